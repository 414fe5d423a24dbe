package io.semanticsearch.embed;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongConsumer;
import java.util.stream.IntStream;

/**
 * Turns tokenized texts into vectors with a BERT-style ONNX model: one {@link OrtSession} per model, created once
 * and shared. Thread-safe: concurrent {@link #embed} calls run concurrently on the session (ONNX Runtime allows
 * it); {@link #close} waits for them. Cost: a forward pass per batch, roughly linear in batch size × padded
 * length; inputs are sorted by length first so batches carry little padding.
 */
public final class OnnxEmbedder implements Closeable {

    static final String INPUT_IDS = "input_ids";
    static final String ATTENTION_MASK = "attention_mask";
    static final String TOKEN_TYPE_IDS = "token_type_ids";
    static final String LAST_HIDDEN_STATE = "last_hidden_state";
    /** The most of a batch's token positions that may be padding; see {@link #batchEnd}. */
    static final double MAX_PADDING_SHARE = 0.1;

    private final OrtEnvironment env;
    private final OrtSession session;
    private final ModelConfig config;
    private final String output;
    private final boolean feedsTokenTypes;
    private final long modelBytes;
    /** Whether the graph quantizes activations per run ({@link DynamicQuantization}): then every text runs alone. */
    private final boolean quantizesPerRun;
    // Closing a session while a native run uses it crashes the JVM: runs hold the read lock, close the write lock.
    private final ReadWriteLock closeLock = new ReentrantReadWriteLock();
    private boolean closed;

    private OnnxEmbedder(OrtEnvironment env, OrtSession session, ModelConfig config, String output, long modelBytes, boolean quantizesPerRun) {
        this.env = env;
        this.session = session;
        this.config = config;
        this.output = output;
        this.feedsTokenTypes = session.getInputNames().contains(TOKEN_TYPE_IDS);
        this.modelBytes = modelBytes;
        this.quantizesPerRun = quantizesPerRun;
    }

    /** Whether every text runs alone; see {@link DynamicQuantization}. */
    public boolean runsTextsAlone() {
        return quantizesPerRun;
    }

    /**
     * Loads an ONNX model and checks that it takes {@code input_ids} and {@code attention_mask} (and optionally
     * {@code token_type_ids}) and puts out token vectors of {@code config.dims()} values. Slow: reads and
     * optimises the whole model (about a second for a 90 MB model).
     *
     * @param intraOpThreads how many threads one forward pass may use
     * @throws IllegalArgumentException when the file is not a usable model, naming what the model has instead
     */
    public static OnnxEmbedder load(Path onnxFile, ModelConfig config, int intraOpThreads) throws IOException {
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("[intraOpThreads] must be at least 1, got [" + intraOpThreads + "]");
        }
        long modelBytes = Files.size(onnxFile);
        OrtEnvironment env = OnnxRuntimeEnvironment.get();
        OrtSession session;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(intraOpThreads);
            // BERT is one chain of operators: parallelism comes from inside each operator, not between them.
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setInterOpNumThreads(1);
            // Idle pool threads otherwise spin for a while after each operator, taking CPU from search and indexing.
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            session = env.createSession(onnxFile.toAbsolutePath().toString(), options);
        } catch (OrtException e) {
            throw new IllegalArgumentException("cannot load ONNX model [" + onnxFile + "]: " + e.getMessage(), e);
        }
        try {
            checkInputs(session, onnxFile);
            String output = pickOutput(session, onnxFile);
            OnnxEmbedder embedder = new OnnxEmbedder(env, session, config, output, modelBytes, DynamicQuantization.in(onnxFile));
            embedder.checkHiddenSize(onnxFile);
            return embedder;
        } catch (OrtException | RuntimeException e) {
            closeQuietly(session, e);
            if (e instanceof OrtException) {
                throw new IllegalArgumentException("cannot inspect ONNX model [" + onnxFile + "]: " + e.getMessage(), e);
            }
            throw (RuntimeException) e;
        }
    }

    private static void checkInputs(OrtSession session, Path onnxFile) throws OrtException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        for (String required : List.of(INPUT_IDS, ATTENTION_MASK)) {
            if (inputs.containsKey(required) == false) {
                throw new IllegalArgumentException(
                    "ONNX model [" + onnxFile + "] does not take required input [" + required + "]; its inputs are " + describe(inputs)
                );
            }
        }
        for (Map.Entry<String, NodeInfo> input : inputs.entrySet()) {
            String name = input.getKey();
            if (Set.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS).contains(name) == false) {
                throw new IllegalArgumentException(
                    "ONNX model ["
                        + onnxFile
                        + "] needs input ["
                        + name
                        + "], which a text embedder cannot feed; it feeds input_ids, attention_mask and token_type_ids. "
                        + "Model inputs: "
                        + describe(inputs)
                );
            }
            ValueInfo info = input.getValue().getInfo();
            if (!(info instanceof TensorInfo tensor) || tensor.type != OnnxJavaType.INT64) {
                throw new IllegalArgumentException(
                    "ONNX model [" + onnxFile + "] input [" + name + "] must be an int64 tensor; model inputs: " + describe(inputs)
                );
            }
        }
    }

    /** {@code last_hidden_state} by name, else the first output, which is where BERT exports put it. */
    private static String pickOutput(OrtSession session, Path onnxFile) throws OrtException {
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        String name = outputs.containsKey(LAST_HIDDEN_STATE) ? LAST_HIDDEN_STATE : outputs.keySet().iterator().next();
        ValueInfo info = outputs.get(name).getInfo();
        if (!(info instanceof TensorInfo tensor) || tensor.type != OnnxJavaType.FLOAT || tensor.getShape().length != 3) {
            throw new IllegalArgumentException(
                "ONNX model ["
                    + onnxFile
                    + "] output ["
                    + name
                    + "] must be token vectors, a float tensor [batch, sequence, hidden]; model outputs: "
                    + describe(outputs)
            );
        }
        return name;
    }

    private void checkHiddenSize(Path onnxFile) throws OrtException {
        long hidden = ((TensorInfo) session.getOutputInfo().get(output).getInfo()).getShape()[2];
        if (hidden < 0) {
            // A symbolic hidden size: one forward pass over a single token tells the real one.
            hidden = probeHiddenSize();
        }
        if (hidden != config.dims()) {
            throw new IllegalArgumentException(
                "[dims] is ["
                    + config.dims()
                    + "] in model.json of model ["
                    + config.name()
                    + "] but ONNX model ["
                    + onnxFile
                    + "] output ["
                    + output
                    + "] has vectors of ["
                    + hidden
                    + "] values; set [dims] to ["
                    + hidden
                    + "]"
            );
        }
    }

    private long probeHiddenSize() throws OrtException {
        long[] shape = { 1, 1 };
        LongBuffer one = directLongs(1).put(0, 1L);
        try (
            OnnxTensor ids = OnnxTensor.createTensor(env, directLongs(1), shape);
            OnnxTensor mask = OnnxTensor.createTensor(env, one, shape);
            OnnxTensor types = feedsTokenTypes ? OnnxTensor.createTensor(env, directLongs(1), shape) : null;
            OrtSession.Result result = session.run(feeds(ids, mask, types), Set.of(output))
        ) {
            return ((TensorInfo) result.get(0).getInfo()).getShape()[2];
        }
    }

    /**
     * Embeds texts, returning one vector per input in the callers' order. Inputs are sorted by length and cut
     * into batches of at most {@code batchSize}, each padded to its longest text (a batch is cut early rather than
     * be more than a tenth padding); padding is masked out, so a text's vector does not depend on what it was
     * batched with. A model that quantizes per run runs each text alone, for the same reason.
     *
     * @throws IllegalArgumentException when an input is empty or longer than the model's {@code max_tokens}
     * @throws IllegalStateException    when ONNX Runtime fails or the embedder is closed
     */
    public float[][] embed(List<TokenizedText> inputs, int batchSize) {
        return embed(inputs, batchSize, paddedTokens -> {});
    }

    /**
     * As {@link #embed(List, int)}, telling {@code onBatch} the size of each batch the model ran: rows times padded
     * length, the token positions it paid for.
     */
    public float[][] embed(List<TokenizedText> inputs, int batchSize, LongConsumer onBatch) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("[batch_size] must be at least 1, got [" + batchSize + "]");
        }
        for (int i = 0; i < inputs.size(); i++) {
            int length = inputs.get(i).length();
            if (length < 1 || length > config.maxTokens()) {
                throw new IllegalArgumentException(
                    "input ["
                        + i
                        + "] has ["
                        + length
                        + "] tokens; model ["
                        + config.name()
                        + "] takes 1 to ["
                        + config.maxTokens()
                        + "] ([max_tokens] in its model.json)"
                );
            }
        }
        int[] order = IntStream.range(0, inputs.size())
            .boxed()
            .sorted(Comparator.comparingInt(i -> inputs.get(i).length()))
            .mapToInt(Integer::intValue)
            .toArray();
        float[][] vectors = new float[inputs.size()][];
        closeLock.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("model [" + config.name() + "] is closed");
            }
            for (int from = 0, to; from < order.length; from = to) {
                to = quantizesPerRun ? from + 1 : batchEnd(inputs, order, from, batchSize);
                embedBatch(inputs, order, from, to, vectors);
                onBatch.accept((long) (to - from) * inputs.get(order[to - 1]).length());
            }
        } finally {
            closeLock.readLock().unlock();
        }
        return vectors;
    }

    /**
     * Where the batch starting at {@code order[from]} ends: after {@code batchSize} texts, or before the text whose
     * length would make padding more than {@link #MAX_PADDING_SHARE} of the batch. Padded positions cost as much as
     * real ones (and attention grows with the square of the length), while a smaller batch costs little more per
     * token on a CPU; so a long text is better run apart than padded into a batch of short ones. With the oracle's
     * mixed lengths a cap of a quarter took bge from 3x to about 1x the unbatched time; on ingest of the Debian
     * corpus a quarter still left 20% of the model's work as padding, a tenth 8% (docs/benchmarks.md, "Ingest").
     */
    private static int batchEnd(List<TokenizedText> inputs, int[] order, int from, int batchSize) {
        long tokens = inputs.get(order[from]).length();
        int to = from + 1;
        while (to < order.length && to - from < batchSize) {
            int length = inputs.get(order[to]).length();
            long cells = (long) (to - from + 1) * length;
            if (cells - tokens - length > MAX_PADDING_SHARE * cells) {
                break;
            }
            tokens += length;
            to++;
        }
        return to;
    }

    /** Runs {@code order[from, to)} as one padded batch and stores each vector at its caller's index. */
    private void embedBatch(List<TokenizedText> inputs, int[] order, int from, int to, float[][] vectors) {
        int rows = to - from;
        // Sorted ascending, so the last text of the batch is the longest.
        int seqLength = inputs.get(order[to - 1]).length();
        // Direct, native-order buffers are handed to ONNX Runtime as they are; heap buffers would be copied.
        LongBuffer ids = directLongs(rows * seqLength);
        LongBuffer mask = directLongs(rows * seqLength);
        for (int r = 0; r < rows; r++) {
            long[] tokens = inputs.get(order[from + r]).ids();
            ids.put(r * seqLength, tokens);
            for (int t = 0; t < tokens.length; t++) {
                mask.put(r * seqLength + t, 1L);
            }
        }
        long[] shape = { rows, seqLength };
        try (
            OnnxTensor idsTensor = OnnxTensor.createTensor(env, ids, shape);
            OnnxTensor maskTensor = OnnxTensor.createTensor(env, mask, shape);
            // Single-segment input: all token types are 0, which a fresh direct buffer already holds.
            OnnxTensor typesTensor = feedsTokenTypes ? OnnxTensor.createTensor(env, directLongs(rows * seqLength), shape) : null;
            OrtSession.Result result = session.run(feeds(idsTensor, maskTensor, typesTensor), Set.of(output))
        ) {
            OnnxTensor states = (OnnxTensor) result.get(0);
            long[] outShape = states.getInfo().getShape();
            if (outShape.length != 3 || outShape[0] != rows || outShape[1] != seqLength || outShape[2] != config.dims()) {
                throw new IllegalStateException(
                    "model [" + config.name() + "] returned shape " + Arrays.toString(outShape)
                        + " for input shape " + Arrays.toString(shape)
                );
            }
            FloatBuffer flat = states.getFloatBuffer();
            for (int r = 0; r < rows; r++) {
                float[] vector = config.pooling().pool(flat, mask, r, seqLength, config.dims());
                if (config.normalize()) {
                    normalize(vector);
                }
                vectors[order[from + r]] = vector;
            }
        } catch (OrtException e) {
            throw new IllegalStateException(
                "model [" + config.name() + "] failed on a batch of [" + rows + "] texts of [" + seqLength + "] tokens: " + e.getMessage(),
                e
            );
        }
    }

    private Map<String, OnnxTensor> feeds(OnnxTensor ids, OnnxTensor mask, OnnxTensor types) {
        Map<String, OnnxTensor> feeds = new HashMap<>(4);
        feeds.put(INPUT_IDS, ids);
        feeds.put(ATTENTION_MASK, mask);
        if (types != null) {
            feeds.put(TOKEN_TYPE_IDS, types);
        }
        return feeds;
    }

    /** Scales a vector to unit length, leaving an all-zero vector as it is. */
    static void normalize(float[] vector) {
        double sumOfSquares = 0;
        for (float v : vector) {
            sumOfSquares += (double) v * v;
        }
        if (sumOfSquares > 0) {
            float scale = (float) (1.0 / Math.sqrt(sumOfSquares));
            for (int i = 0; i < vector.length; i++) {
                vector[i] *= scale;
            }
        }
    }

    private static LongBuffer directLongs(int count) {
        return ByteBuffer.allocateDirect(count * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    private static String describe(Map<String, NodeInfo> nodes) {
        return nodes.values().stream().map(node -> node.getName() + " " + node.getInfo()).toList().toString();
    }

    private static void closeQuietly(OrtSession session, Exception cause) {
        try {
            session.close();
        } catch (OrtException e) {
            cause.addSuppressed(e);
        }
    }

    /** The configuration the model was loaded with. */
    public ModelConfig config() {
        return config;
    }

    /** The name of the model output that is pooled. */
    public String outputName() {
        return output;
    }

    /** Size of the ONNX file in bytes, a lower bound of the memory the session holds. */
    public long modelBytes() {
        return modelBytes;
    }

    /** Releases the session's native memory once running calls finish; later calls fail. Idempotent. */
    @Override
    public void close() {
        closeLock.writeLock().lock();
        try {
            if (closed == false) {
                closed = true;
                session.close();
            }
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close model [" + config.name() + "]: " + e.getMessage(), e);
        } finally {
            closeLock.writeLock().unlock();
        }
    }
}
