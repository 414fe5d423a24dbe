package io.semanticsearch.embed;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One model folder made usable: its {@code model.json}, {@code tokenizer.json} and {@code model.onnx} loaded
 * together, turning raw texts into vectors. Thread-safe (the tokenizer is read-only, the embedder shares one
 * session); loading costs a second or so and the model's size in native memory, so load once per node.
 */
public final class EmbeddingModel implements Closeable {

    public static final String ONNX_FILE = "model.onnx";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    private static final List<String> FILES = List.of(ModelConfig.FILE_NAME, TOKENIZER_FILE, ONNX_FILE);

    private final Path folder;
    private final ModelConfig config;
    private final WordPieceTokenizer tokenizer;
    private final OnnxEmbedder embedder;

    private EmbeddingModel(Path folder, ModelConfig config, WordPieceTokenizer tokenizer, OnnxEmbedder embedder) {
        this.folder = folder;
        this.config = config;
        this.tokenizer = tokenizer;
        this.embedder = embedder;
    }

    /**
     * Loads the model in {@code folder}, which holds {@code model.json}, {@code tokenizer.json} and
     * {@code model.onnx}.
     *
     * @param threads how many threads one forward pass may use
     * @throws IllegalArgumentException naming the file and folder when a file is missing or invalid
     */
    public static EmbeddingModel load(Path folder, int threads) throws IOException {
        if (Files.isDirectory(folder) == false) {
            throw new IllegalArgumentException("model folder [" + folder + "] does not exist or is not a folder");
        }
        List<String> missing = new ArrayList<>();
        for (String file : FILES) {
            if (Files.isRegularFile(folder.resolve(file)) == false) {
                missing.add(file);
            }
        }
        if (missing.isEmpty() == false) {
            throw new IllegalArgumentException(
                "model folder [" + folder + "] has no " + missing + "; a model folder must hold " + String.join(", ", FILES)
            );
        }
        ModelConfig config = ModelConfig.load(folder.resolve(ModelConfig.FILE_NAME));
        WordPieceTokenizer tokenizer = loadTokenizer(folder.resolve(TOKENIZER_FILE));
        OnnxEmbedder embedder = OnnxEmbedder.load(folder.resolve(ONNX_FILE), config, threads);
        return new EmbeddingModel(folder, config, tokenizer, embedder);
    }

    private static WordPieceTokenizer loadTokenizer(Path file) {
        try {
            return WordPieceTokenizer.load(file);
        } catch (Exception e) {
            // The tokenizer's own message may not say which file it was reading.
            throw new IllegalArgumentException("cannot load tokenizer [" + file + "]: " + e.getMessage(), e);
        }
    }

    /**
     * Embeds texts: puts the model's prefix for {@code type} before each, tokenizes to at most
     * {@code max_tokens} (longer texts are truncated), and runs the model in batches of {@code batchSize}.
     *
     * @return one vector of {@code dims()} values per text, in the order of {@code texts}
     */
    public float[][] embed(List<String> texts, InputType type, int batchSize) {
        List<TokenizedText> tokenized = new ArrayList<>(texts.size());
        for (String text : texts) {
            tokenized.add(tokenize(text, type));
        }
        return embedder.embed(tokenized, batchSize);
    }

    /** Tokenizes one text as {@link #embed} would, prefix included (offsets then count the prefix too). */
    public TokenizedText tokenize(String text, InputType type) {
        return tokenizer.encode(type.prefix(config) + text, config.maxTokens());
    }

    public String name() {
        return config.name();
    }

    public ModelConfig config() {
        return config;
    }

    public int dims() {
        return config.dims();
    }

    public Path folder() {
        return folder;
    }

    public WordPieceTokenizer tokenizer() {
        return tokenizer;
    }

    public OnnxEmbedder embedder() {
        return embedder;
    }

    /** Size of the ONNX file, a lower bound of the native memory the model holds. */
    public long modelBytes() {
        return embedder.modelBytes();
    }

    @Override
    public void close() {
        embedder.close();
    }
}
