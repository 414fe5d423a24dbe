package io.semanticsearch.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.semanticsearch.embed.EmbedderBenchmark.BareSession;
import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.InputType;
import io.semanticsearch.embed.ModelFixtures;
import io.semanticsearch.ingest.PassageChunker.Passage;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bulk ingest through {@code semantic_embed} on a running node against (a) the bare ONNX Runtime ceiling on the same
 * texts and (b) the same bulk without a pipeline. Not a test (surefire runs only *Tests): run it by hand against a
 * node started by {@code scripts/run-node.sh}, on a machine as idle as you can get; the command is in
 * docs/benchmarks.md ("Ingest").
 *
 * <p>Corpus: {@code corpus.jsonl} of {@code bench/make_debdesc.py} ({"id", "text"}: Debian long
 * descriptions). Two pipelines: the text as one vector (truncated at the model's 256 tokens), and the text as passages
 * of 200 tokens with 40 of overlap. The ceiling embeds exactly the texts the node embeds (the truncated texts, or the
 * passages the same chunker cuts), pre-tokenized, sorted by length over the whole corpus and in fixed batches: what
 * the node's model could do with no ingest, HTTP, JSON or indexing around it.
 *
 * <p>Properties: {@code bench.corpus} (/tmp/debdesc-en/corpus.jsonl), {@code bench.url} (http://127.0.0.1:9200),
 * {@code bench.docs} (2000), {@code bench.bulk} (documents per bulk request, 250), {@code bench.clients} (concurrent
 * bulk requests, 2), {@code bench.batch_sizes} (the processor's batch_size values to run, "32,128"), {@code bench.rounds} (2),
 * {@code bench.threads} (ONNX Runtime threads of the ceiling, 2: the node's default on a 2-core machine),
 * {@code bench.model} (all-minilm-l6-v2).
 */
public final class IngestBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CORPUS = Paths.get(System.getProperty("bench.corpus", "/tmp/debdesc-en/corpus.jsonl"));
    private static final String URL = System.getProperty("bench.url", "http://127.0.0.1:9200");
    private static final int DOCS = Integer.getInteger("bench.docs", 2000);
    private static final int BULK = Integer.getInteger("bench.bulk", 250);
    private static final int CLIENTS = Integer.getInteger("bench.clients", 2);
    private static final String BATCH_SIZES = System.getProperty("bench.batch_sizes", "32,128");
    private static final String MODEL = System.getProperty("bench.model", ModelFixtures.MINILM);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 2);
    private static final int MODEL_BATCH = 32;
    private static final int MAX_TOKENS = 200;
    private static final int OVERLAP = 40;
    private static final String VECTOR = "{\"type\": \"semantic_vector\", \"model\": \"" + MODEL + "\"}";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private IngestBenchmark() {}

    public static void main(String[] args) throws Exception {
        List<JsonNode> corpus = corpus();
        System.out.printf(Locale.ROOT, "corpus: %d documents of %s; node %s; %d clients, %d documents per bulk%n", corpus.size(), CORPUS, URL, CLIENTS, BULK);
        Path work = Files.createTempDirectory("ingest-benchmark");
        Path folder = ModelFixtures.modelFolder(work.resolve(MODEL), MODEL);
        try (EmbeddingModel model = EmbeddingModel.load(folder, Integer.getInteger("bench.threads", 2))) {
            Ceiling ceiling = new Ceiling(model, folder.resolve(EmbeddingModel.ONNX_FILE), corpus);
            // Warm the node up (JIT, first model calls) on a throwaway index.
            node(corpus.subList(0, Math.min(300, corpus.size())), "bench-warmup", pipeline(false, 32));
            System.out.printf(Locale.ROOT, "(b) node, no pipeline: %.1f docs/s%n", node(corpus, "bench-raw", null).docsPerSecond);
            // Ceiling and node alternate, so that both see about the same load from whatever else runs on the machine.
            for (int round = 1; round <= ROUNDS; round++) {
                for (String batchSize : BATCH_SIZES.split(",")) {
                    int size = Integer.parseInt(batchSize.trim());
                    for (boolean chunked : new boolean[] { false, true }) {
                        double limit = ceiling.docsPerSecond(chunked);
                        Run run = node(corpus, "bench-" + (chunked ? "passages" : "vector") + "-" + size, pipeline(chunked, size));
                        System.out.printf(
                            Locale.ROOT,
                            "round %d, %s, batch_size %d: (a) ceiling %.1f docs/s, (c) node %.1f docs/s = %.2f x ceiling; "
                                + "model busy %.0f%% of the bulk's wall time%n",
                            round, chunked ? "passages 200/40" : "one vector", size, limit, run.docsPerSecond,
                            run.docsPerSecond / limit, 100 * run.modelBusy
                        );
                    }
                }
            }
        } finally {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static List<JsonNode> corpus() throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        for (String line : Files.readAllLines(CORPUS, StandardCharsets.UTF_8)) {
            if (line.isBlank() == false && docs.size() < DOCS) {
                docs.add(JSON.readTree(line));
            }
        }
        return docs;
    }

    /**
     * The bare session on the texts of each pipeline: pre-tokenized, sorted over the whole corpus, fixed batches of
     * {@value #MODEL_BATCH}.
     */
    private static final class Ceiling {
        private final List<long[]> whole = new ArrayList<>();
        private final List<long[]> passages = new ArrayList<>();
        private final Path onnx;
        private final int docs;

        Ceiling(EmbeddingModel model, Path onnx, List<JsonNode> corpus) {
            this.onnx = onnx;
            this.docs = corpus.size();
            PassageChunker chunker = new PassageChunker(model.tokenizer(), MAX_TOKENS, OVERLAP);
            for (JsonNode doc : corpus) {
                String text = doc.path("text").asText();
                whole.add(model.tokenize(text, InputType.PASSAGE).ids());
                for (Passage passage : chunker.chunk(text)) {
                    passages.add(model.tokenize(passage.text(), InputType.PASSAGE).ids());
                }
            }
            System.out.printf(
                Locale.ROOT,
                "texts: %d whole (%.0f tokens on average after truncation), %d passages of %d/%d tokens (%.0f on average)%n",
                whole.size(), whole.stream().mapToInt(ids -> ids.length).average().orElse(0),
                passages.size(), MAX_TOKENS, OVERLAP, passages.stream().mapToInt(ids -> ids.length).average().orElse(0)
            );
        }

        double docsPerSecond(boolean chunked) throws Exception {
            List<long[]> texts = chunked ? passages : whole;
            try (BareSession bare = new BareSession(onnx)) {
                bare.embedSorted(texts.subList(0, Math.min(64, texts.size())), MODEL_BATCH);
                long start = System.nanoTime();
                bare.embedSorted(texts, MODEL_BATCH);
                return docs / seconds(start);
            }
        }
    }

    /** One bulk load: its rate, and the share of its wall time the node's model spent embedding. */
    private record Run(double docsPerSecond, double modelBusy) {}

    private static String pipeline(boolean chunked, int batchSize) {
        ObjectNode processor = JSON.createObjectNode();
        ObjectNode config = processor.putObject("semantic_embed");
        config.putObject("field_map").put("text", chunked ? "passages" : "text_vec");
        config.put("model", MODEL).put("batch_size", batchSize);
        if (chunked) {
            config.putObject("chunking").put("max_tokens", MAX_TOKENS).put("overlap_tokens", OVERLAP);
        }
        return "{\"processors\": [" + processor + "]}";
    }

    /** Bulk-loads the corpus into a fresh index through {@code pipeline} (none when null); documents per second. */
    private static Run node(List<JsonNode> corpus, String index, String pipeline) throws Exception {
        send("DELETE", "/" + index, null);
        String settings = "\"number_of_shards\": 1, \"number_of_replicas\": 0";
        if (pipeline != null) {
            check(send("PUT", "/_ingest/pipeline/" + index, pipeline));
            settings += ", \"index.default_pipeline\": \"" + index + "\"";
        }
        check(send("PUT", "/" + index, """
            {"settings": {%s}, "mappings": {"properties": {"text": {"type": "text"}, "text_vec": %s,
              "passages": {"type": "nested", "properties": {"text": {"type": "text"}, "offset": {"type": "integer"}, "vector": %s}}}}}
            """.formatted(settings, VECTOR, VECTOR)));
        List<String> bulks = new ArrayList<>();
        for (int from = 0; from < corpus.size(); from += BULK) {
            StringBuilder body = new StringBuilder();
            for (JsonNode doc : corpus.subList(from, Math.min(corpus.size(), from + BULK))) {
                body.append("{\"index\": {\"_index\": \"").append(index).append("\", \"_id\": ").append(doc.path("id")).append("}}\n");
                body.append("{\"text\": ").append(doc.path("text")).append("}\n");
            }
            bulks.add(body.toString());
        }
        AtomicInteger next = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        double modelSecondsBefore = modelSeconds();
        long start = System.nanoTime();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                running.add(clients.submit(() -> {
                    for (int b = next.getAndIncrement(); b < bulks.size(); b = next.getAndIncrement()) {
                        JsonNode response = JSON.readTree(check(send("POST", "/_bulk", bulks.get(b))));
                        if (response.path("errors").asBoolean()) {
                            throw new IllegalStateException("bulk failed: " + response.toString().substring(0, 500));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> client : running) {
                client.get();
            }
        } finally {
            clients.shutdownNow();
        }
        double wall = seconds(start);
        double busy = (modelSeconds() - modelSecondsBefore) / wall;
        send("DELETE", "/" + index, null);
        return new Run(corpus.size() / wall, busy);
    }

    /** Seconds the node's model has spent in embed calls since it started: mean latency times calls. */
    private static double modelSeconds() throws Exception {
        JsonNode stats = JSON.readTree(check(send("GET", "/_plugins/_semantic/stats", null))).path("nodes").elements().next()
            .path("models").path(MODEL);
        return stats.path("requests").asLong() * stats.path("latency_ms").path("mean").asDouble() / 1000;
    }

    private static HttpResponse<String> send(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(URL + path)).timeout(Duration.ofMinutes(10));
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", path.contains("_bulk") ? "application/x-ndjson" : "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static String check(HttpResponse<String> response) {
        if (response.statusCode() >= 300) {
            throw new IllegalStateException(response.uri() + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
