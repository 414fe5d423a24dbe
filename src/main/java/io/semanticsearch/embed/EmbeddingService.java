package io.semanticsearch.embed;

import org.opensearch.action.ActionRunnable;
import org.opensearch.core.action.ActionListener;
import org.opensearch.threadpool.ThreadPool;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's single door to its embedding models: every caller (REST, query rewrite, ingest) embeds through it, so
 * inference always runs on the bounded {@value #THREAD_POOL} pool and is counted in {@link ModelStats}. A full pool
 * rejects the call with a 429, never queues without bound. Thread-safe.
 */
public final class EmbeddingService implements Closeable {

    /** The thread pool inference runs on; its size and queue come from {@code plugins.semantic.inference.pool.*}. */
    public static final String THREAD_POOL = "semantic_inference";

    private final ModelRegistry registry;
    private final ThreadPool threadPool;
    private final int batchSize;
    private final Map<String, ModelStats> stats = new ConcurrentHashMap<>();

    public EmbeddingService(ModelRegistry registry, ThreadPool threadPool, int batchSize) {
        this.registry = registry;
        this.threadPool = threadPool;
        this.batchSize = batchSize;
        for (String name : registry.modelNames()) {
            stats.put(name, new ModelStats());
        }
    }

    public ModelRegistry registry() {
        return registry;
    }

    /**
     * The model called {@code name}, or the default model when {@code name} is null.
     *
     * @throws IllegalArgumentException naming the loaded models when there is no such model
     */
    public EmbeddingModel model(String name) {
        return name == null ? registry.defaultModel() : registry.get(name);
    }

    /**
     * Embeds {@code texts} with {@code model} on the inference pool and answers {@code listener} there, with one
     * vector per text in the order given.
     */
    public void embed(EmbeddingModel model, InputType type, List<String> texts, ActionListener<float[][]> listener) {
        ModelStats modelStats = stats(model.name());
        threadPool.executor(THREAD_POOL).execute(new ActionRunnable<>(listener) {
            @Override
            protected void doRun() {
                listener.onResponse(embedNow(model, type, texts, modelStats));
            }

            @Override
            public void onRejection(Exception e) {
                modelStats.recordRejection();
                super.onRejection(e);
            }
        });
    }

    private float[][] embedNow(EmbeddingModel model, InputType type, List<String> texts, ModelStats modelStats) {
        long start = System.nanoTime();
        try {
            List<TokenizedText> tokenized = new ArrayList<>(texts.size());
            long tokens = 0;
            for (String text : texts) {
                TokenizedText t = model.tokenize(text, type);
                tokens += t.length();
                tokenized.add(t);
            }
            // [0]: batches the model ran, [1]: the token positions they held, padding included.
            long[] run = new long[2];
            float[][] vectors = model.embedder().embed(tokenized, batchSize, paddedTokens -> {
                run[0]++;
                run[1] += paddedTokens;
            });
            modelStats.recordSuccess(texts.size(), tokens, run[0], run[1], System.nanoTime() - start);
            return vectors;
        } catch (RuntimeException e) {
            modelStats.recordFailure();
            throw e;
        }
    }

    /** The counters of one model. */
    public ModelStats stats(String modelName) {
        return stats.computeIfAbsent(modelName, n -> new ModelStats());
    }

    public int batchSize() {
        return batchSize;
    }

    @Override
    public void close() {
        registry.close();
    }
}
