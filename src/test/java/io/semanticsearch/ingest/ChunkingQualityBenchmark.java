package io.semanticsearch.ingest;

import com.fasterxml.jackson.databind.JsonNode;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.InputType;
import io.semanticsearch.embed.ModelFixtures;
import io.semanticsearch.embed.ModelQualityBenchmark;
import io.semanticsearch.embed.TokenizedText;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Retrieval quality of a model under each way of cutting documents into passages, on a known-item set made by
 * {@code bench/make_debdesc.py}: every document is cut (or truncated) as configured, every passage embedded,
 * a document scored by its best passage (as the {@code semantic} query on a {@code semantic_text} field scores it),
 * exact search over the whole corpus, MRR@10 and Recall@10. What chose the {@code chunking} of each bundled
 * {@code model.json}. Not a test: run by hand with the test classpath (see {@code EmbedderBenchmark}), e.g.
 *
 * <pre>
 * java -cp ... -Dmodels.dir=target/model-files io.semanticsearch.ingest.ChunkingQualityBenchmark \
 *     /tmp/debdesc-en all-minilm-l6-v2 first:128 200/40 128/32
 * </pre>
 *
 * A configuration is {@code max_tokens/overlap_tokens} (our chunker) or {@code first:N} (the first N tokens of each
 * document only, no passages: what a stack that embeds one truncated vector per document does).
 */
public final class ChunkingQualityBenchmark {

    private ChunkingQualityBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path set = Paths.get(args[0]);
        List<JsonNode> corpus = ModelQualityBenchmark.readLines(set.resolve("corpus.jsonl"));
        List<JsonNode> queries = ModelQualityBenchmark.readLines(set.resolve("queries.jsonl"));
        List<String> ids = corpus.stream().map(d -> d.path("id").asText()).toList();
        List<String> texts = corpus.stream().map(d -> d.path("text").asText()).toList();
        Path folder = ModelFixtures.modelFolder(Files.createTempDirectory("chunking-quality"), args[1]);
        try (EmbeddingModel model = EmbeddingModel.load(folder, 2)) {
            float[][] questions = model.embed(queries.stream().map(q -> q.path("query").asText()).toList(), InputType.QUERY, 32);
            for (int c = 2; c < args.length; c++) {
                List<String> passages = new ArrayList<>();
                List<Integer> owners = new ArrayList<>();
                for (int d = 0; d < texts.size(); d++) {
                    for (String passage : cut(model, texts.get(d), args[c])) {
                        passages.add(passage);
                        owners.add(d);
                    }
                }
                long start = System.nanoTime();
                float[][] vectors = model.embed(passages, InputType.PASSAGE, 32);
                double seconds = (System.nanoTime() - start) / 1e9;
                double mrr = 0;
                int found = 0;
                for (int q = 0; q < questions.length; q++) {
                    double[] best = new double[texts.size()];
                    java.util.Arrays.fill(best, Double.NEGATIVE_INFINITY);
                    for (int p = 0; p < vectors.length; p++) {
                        best[owners.get(p)] = Math.max(best[owners.get(p)], ModelQualityBenchmark.dot(questions[q], vectors[p]));
                    }
                    int relevant = ids.indexOf(queries.get(q).path("relevant").asText());
                    int rank = 1;
                    for (int d = 0; d < best.length; d++) {
                        if (d != relevant && best[d] > best[relevant]) {
                            rank++;
                        }
                    }
                    if (rank <= 10) {
                        mrr += 1.0 / rank;
                        found++;
                    }
                }
                System.out.printf(
                    Locale.ROOT,
                    "%s %s on %s: %d docs, %d passages, %d queries: MRR@10 %.4f, Recall@10 %.4f; %.1f passages/s%n",
                    args[1],
                    args[c],
                    set.getFileName(),
                    texts.size(),
                    passages.size(),
                    questions.length,
                    mrr / questions.length,
                    (double) found / questions.length,
                    passages.size() / seconds
                );
            }
        }
    }

    private static List<String> cut(EmbeddingModel model, String text, String config) {
        if (config.startsWith("first:")) {
            int tokens = Integer.parseInt(config.substring("first:".length()));
            TokenizedText tokenized = model.tokenizer().encode(text, tokens + 2);
            int end = tokenized.length() > 2 ? tokenized.ends()[tokenized.length() - 2] : 0;
            return end == 0 ? List.of() : List.of(text.substring(0, end));
        }
        String[] parts = config.split("/");
        PassageChunker chunker = new PassageChunker(model.tokenizer(), Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
        return chunker.chunk(text).stream().map(PassageChunker.Passage::text).toList();
    }
}
