package io.semanticsearch.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.opensearch.common.io.PathUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The real model files and reference data the embed tests and the benchmark share: the unpacked ONNX and
 * tokenizer files ({@code models.dir}), the bundled model.json files, and the oracle lines ({@code oracle.dir}).
 */
public final class ModelFixtures {

    public static final String MINILM = "all-minilm-l6-v2";
    public static final String BGE = "bge-small-zh-v1.5";
    /** The bundled int8 build of {@link #MINILM}. */
    public static final String MINILM_INT8 = "all-minilm-l6-v2-int8";

    /** One line of an oracle file: a text, its reference token ids and its reference embedding. */
    public record OracleLine(String model, String text, int maxTokens, long[] inputIds, float[] embedding) {
        TokenizedText tokenized() {
            // Offsets do not matter to the embedder.
            return new TokenizedText(inputIds, new int[inputIds.length], new int[inputIds.length], false);
        }
    }

    private ModelFixtures() {}

    public static Path modelsDir() {
        return PathUtils.get(requiredProperty("models.dir"));
    }

    /** The ONNX file of a model as unpacked from its langchain4j jar. */
    public static Path onnxFile(String model) {
        return modelsDir().resolve(jarFileStem(model) + ".onnx");
    }

    public static Path tokenizerFile(String model) {
        return modelsDir().resolve(jarFileStem(model) + "-tokenizer.json");
    }

    // The int8 model's files are named as in its langchain4j jar, not as the model is called.
    private static String jarFileStem(String model) {
        return model.equals(MINILM_INT8) ? "all-minilm-l6-v2-q" : model;
    }

    /** The bundled {@code src/main/models/<model>/model.json}. */
    public static Path bundledConfig(String model) {
        return PathUtils.get(System.getProperty("user.dir"), "src", "main", "models", model, ModelConfig.FILE_NAME);
    }

    /** Makes {@code dir} a model folder of {@code model}: links to its ONNX and tokenizer files and a copy of its model.json. */
    public static Path modelFolder(Path dir, String model) throws IOException {
        Files.createDirectories(dir);
        Files.createSymbolicLink(dir.resolve(EmbeddingModel.ONNX_FILE), onnxFile(model).toAbsolutePath());
        Files.createSymbolicLink(dir.resolve(EmbeddingModel.TOKENIZER_FILE), tokenizerFile(model).toAbsolutePath());
        Files.copy(bundledConfig(model), dir.resolve(ModelConfig.FILE_NAME));
        return dir;
    }

    /** A registry of the bundled {@code models}, one thread each, from folders made under {@code root}. */
    public static ModelRegistry registry(Path root, String... models) throws IOException {
        for (String model : models) {
            modelFolder(root.resolve(model), model);
        }
        return ModelRegistry.load(List.of(new ModelRegistry.Root(root, ModelRegistry.Source.BUNDLED)), 1);
    }

    public static List<OracleLine> oracle(String model) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<OracleLine> lines = new ArrayList<>();
        for (String line : Files.readAllLines(PathUtils.get(requiredProperty("oracle.dir"), model + ".jsonl"))) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode node = json.readTree(line);
            long[] ids = new long[node.get("input_ids").size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = node.get("input_ids").get(i).longValue();
            }
            float[] embedding = new float[node.get("embedding").size()];
            for (int i = 0; i < embedding.length; i++) {
                embedding[i] = node.get("embedding").get(i).floatValue();
            }
            String text = node.get("text").textValue();
            lines.add(new OracleLine(node.get("model").textValue(), text, node.get("max_tokens").intValue(), ids, embedding));
        }
        return lines;
    }

    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("vectors of " + a.length + " and " + b.length + " values");
        }
        double dot = 0, normA = 0, normB = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            normA += (double) a[i] * a[i];
            normB += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(normA * normB);
    }

    private static String requiredProperty(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException("system property [" + name + "] is not set; the Maven build sets it for the tests");
        }
        return value;
    }
}
