package io.semanticsearch.embed;

import org.opensearch.common.hash.MessageDigests;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One model folder made usable: its {@code model.json}, {@code tokenizer.json} and {@code model.onnx} loaded
 * together, turning raw texts into vectors. Thread-safe (the tokenizer is read-only, the embedder shares one
 * session); loading costs a second or so and the model's size in native memory, so load once per node.
 */
public final class EmbeddingModel implements Closeable {

    public static final String ONNX_FILE = "model.onnx";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    /**
     * The longest text a search embeds (a {@code semantic} query's text, a {@code _rag} question), in characters: the
     * model reads only its first few hundred tokens, and a longer text is almost always a document pasted by mistake.
     */
    public static final int MAX_QUERY_CHARS = 4096;
    private static final List<String> FILES = List.of(ModelConfig.FILE_NAME, TOKENIZER_FILE, ONNX_FILE);

    private final Path folder;
    private final ModelConfig config;
    private final WordPieceTokenizer tokenizer;
    private final OnnxEmbedder embedder;
    // Computed on first use: hashing 90 MB of weights takes a few hundred ms that nodes not asked for it never pay.
    private volatile String fingerprint;

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

    /**
     * Whether this model sees something in {@code text}: the one rule for blank text, which every path that embeds
     * applies (queries, {@code _rag} questions, {@code _embed}, both processors) before it embeds.
     */
    public boolean hasTokens(String text) {
        return tokenizer.hasTokens(text);
    }

    /**
     * @param parameter what the user calls the text, e.g. {@code [semantic] [query]}
     * @throws IllegalArgumentException naming {@code parameter} when the text is blank to this model
     */
    public void requireTokens(String text, String parameter) {
        if (hasTokens(text) == false) {
            throw new IllegalArgumentException(
                parameter + " has nothing to embed: once normalised for model [" + name() + "] it is blank (it holds only spaces, "
                    + "control or format characters, combining marks or variation selectors); send text with words in it"
            );
        }
    }

    /** Tokenizes one text as {@link #embed} would, prefix included (offsets then count the prefix too). */
    public TokenizedText tokenize(String text, InputType type) {
        return tokenizer.encode(type.prefix(config) + text, config.maxTokens());
    }

    /**
     * The most tokens of text one input of {@code type} can hold: {@code max_tokens} less {@code [CLS]}, {@code [SEP]}
     * and the tokens of the prefix the model puts before such inputs. Passages cut to it are embedded whole.
     */
    public int textTokenLimit(InputType type) {
        return config.maxTokens() - 2 - tokenizer.tokenCount(type.prefix(config));
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

    /**
     * The identity of the model's files: {@code sha256:} and the first 16 bytes, in hex, of the SHA-256 of
     * {@code model.json}, {@code tokenizer.json} and {@code model.onnx} (each preceded by its length). Two nodes with
     * a model of the same name but other files (another export, other weights, another vocabulary) get different
     * fingerprints; mappings record it so that a node never writes or queries vectors of another model.
     */
    public String fingerprint() {
        String value = fingerprint;
        if (value == null) {
            value = computeFingerprint();
            fingerprint = value;
        }
        return value;
    }

    private String computeFingerprint() {
        MessageDigest digest = MessageDigests.sha256();
        byte[] buffer = new byte[1 << 16];
        for (String file : FILES) {
            Path path = folder.resolve(file);
            try (InputStream in = Files.newInputStream(path)) {
                digest.update((file + ":" + Files.size(path) + ";").getBytes(StandardCharsets.UTF_8));
                for (int read = in.read(buffer); read > 0; read = in.read(buffer)) {
                    digest.update(buffer, 0, read);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read [" + path + "] to fingerprint model [" + name() + "]", e);
            }
        }
        return "sha256:" + MessageDigests.toHexString(Arrays.copyOf(digest.digest(), 16));
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
