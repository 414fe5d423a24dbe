package io.semanticsearch.embed;

import org.opensearch.action.ActionRunnable;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.tasks.TaskCancelledException;
import org.opensearch.threadpool.ThreadPool;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The node's single door to its embedding models: every caller (REST, query rewrite, ingest) embeds through it, so
 * inference always runs on a bounded pool and is counted in {@link ModelStats}. A full pool rejects the call with a
 * 429, never queues without bound. Thread-safe.
 *
 * <p>Two lanes, each its own pool: {@link Lane#SEARCH} for what a search waits for (query texts, {@code _rag}'s
 * sentences, small {@code _embed} calls) and {@link Lane#INGEST} for documents. A query then never waits behind a
 * bulk's model calls: both lanes run at once on the model's shared session. A call runs as parts on several of its
 * lane's threads at once ({@link EmbeddingRuns}): a search call as one part per thread, an ingest call as runs of at
 * most {@code plugins.semantic.inference.ingest_call_tokens} tokens, each queued behind the others' as it comes, so
 * that several bulks share the lane and none holds it for long.
 */
public final class EmbeddingService implements Closeable {

    /** The pool of {@link Lane#INGEST}; its size and queue come from {@code plugins.semantic.inference.pool.*}. */
    public static final String THREAD_POOL = "semantic_inference";
    /** The pool of {@link Lane#SEARCH}; {@code plugins.semantic.inference.search_pool.*}. */
    public static final String SEARCH_THREAD_POOL = "semantic_search_inference";

    /** Which pool a call runs on: what a search waits for, or what indexing does. */
    public enum Lane {
        SEARCH(SEARCH_THREAD_POOL),
        INGEST(THREAD_POOL);

        private final String pool;

        Lane(String pool) {
            this.pool = pool;
        }

        public String pool() {
            return pool;
        }
    }

    /**
     * Fewest tokens of a run that a small ingest call is cut into so that it uses several threads: a model run
     * streams every weight of the model from memory (about 2.5 ms for all-MiniLM-L6-v2 on one core, whatever its
     * size), which 1024 tokens (about 200 ms) repay.
     */
    static final long MIN_SPLIT_RUN_TOKENS = 1024;

    private final ModelRegistry registry;
    private final ThreadPool threadPool;
    private final int batchSize;
    private final int ingestCallTokens;
    private final QueryVectorCache queryCache;
    private final Map<String, ModelStats> stats = new ConcurrentHashMap<>();
    // Bulk requests being embedded now: admitted up to the backlog bound, released when answered.
    private final AtomicInteger pendingBatches = new AtomicInteger();
    // Null: ingest runs on the lane's threads.
    private volatile NicedModelThreads ingestModelThreads;
    private volatile int maxPendingBatches = Integer.MAX_VALUE;

    public EmbeddingService(ModelRegistry registry, ThreadPool threadPool, int batchSize) {
        this(registry, threadPool, batchSize, Integer.MAX_VALUE, new QueryVectorCache(0));
    }

    /**
     * @param ingestCallTokens most tokens one run of an ingest call embeds
     * @param queryCache       the vectors of query texts embedded lately
     */
    public EmbeddingService(ModelRegistry registry, ThreadPool threadPool, int batchSize, int ingestCallTokens, QueryVectorCache queryCache) {
        this.registry = registry;
        this.threadPool = threadPool;
        this.batchSize = batchSize;
        this.ingestCallTokens = ingestCallTokens;
        this.queryCache = queryCache;
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

    /** Embeds documents' texts on the {@link Lane#INGEST} lane; see {@link #embed(EmbeddingModel, InputType, List, Lane, ActionListener)}. */
    public void embed(EmbeddingModel model, InputType type, List<String> texts, ActionListener<float[][]> listener) {
        embed(model, type, texts, Lane.INGEST, listener);
    }

    /**
     * Embeds {@code texts} with {@code model} on the pool of {@code lane} and answers {@code listener} there, with one
     * vector per text in the order given.
     */
    public void embed(EmbeddingModel model, InputType type, List<String> texts, Lane lane, ActionListener<float[][]> listener) {
        embed(model, type, texts, lane, () -> false, listener);
    }

    /**
     * As {@link #embed(EmbeddingModel, InputType, List, Lane, ActionListener)}, for a caller that may give up (a
     * cancelled task, a closed connection): {@code cancelled} is asked before each model run, and once it says yes
     * the call runs no more and fails with a {@link TaskCancelledException}, leaving the lane to the others.
     */
    public void embed(
        EmbeddingModel model,
        InputType type,
        List<String> texts,
        Lane lane,
        BooleanSupplier cancelled,
        ActionListener<float[][]> listener
    ) {
        ModelStats modelStats = stats(model.name());
        submit(lane, false, modelStats, listener, () -> {
            if (cancelled.getAsBoolean()) {
                listener.onFailure(new TaskCancelledException("the embedding call was cancelled before it ran"));
                return;
            }
            List<TokenizedText> tokenized = new ArrayList<>(texts.size());
            for (String text : texts) {
                tokenized.add(model.tokenize(text, type));
            }
            int width = width(lane);
            // A search call is spread over the lane's threads; an ingest call too, in runs short enough that other
            // bulks' runs interleave with its own.
            int[][] runs = lane == Lane.SEARCH
                ? EmbeddingRuns.evenly(tokenized, width)
                : EmbeddingRuns.forIngest(tokenized, ingestCallTokens, MIN_SPLIT_RUN_TOKENS, width);
            new EmbeddingRuns(
                tokenized,
                runs,
                run -> lane == Lane.INGEST ? embedOnIngestThreads(model, run, modelStats) : embedNow(model, run, modelStats),
                (worker, onFailure) -> submit(lane, true, modelStats, ActionListener.wrap(ignored -> {}, onFailure::accept), worker),
                cancelled,
                listener
            ).start(width);
        });
    }

    /**
     * The vector of one query text on the {@link Lane#SEARCH} lane, from the query cache when the node embedded that
     * text lately with this model (then answered on the calling thread, without a model call).
     */
    public void embedQuery(EmbeddingModel model, String text, ActionListener<float[]> listener) {
        float[] cached = queryCache.get(model, InputType.QUERY, text);
        if (cached != null) {
            listener.onResponse(cached);
            return;
        }
        embed(model, InputType.QUERY, List.of(text), Lane.SEARCH, ActionListener.map(listener, vectors -> {
            queryCache.put(model, InputType.QUERY, text, vectors[0]);
            return vectors[0];
        }));
    }

    /** Runs {@code work} on the generic pool: preparation that must not run on the thread that happens to call back. */
    public void fork(Runnable work) {
        threadPool.generic().execute(work);
    }

    /**
     * Runs the ingest lane's model runs on threads of that nice value ({@code plugins.semantic.inference.pool.nice}; 0
     * runs them on the lane's own threads, at their priority). Set once, before the lane runs anything.
     */
    public void ingestNice(String nodeName, int nice) {
        if (nice > 0) {
            ingestModelThreads = new NicedModelThreads("opensearch[" + nodeName + "][semantic_inference_model]", width(Lane.INGEST), nice);
        }
    }

    /** How many bulk requests may be embedded at once on this node ({@code plugins.semantic.ingest.max_pending_batches}). */
    public void maxPendingBatches(int max) {
        this.maxPendingBatches = max;
    }

    /**
     * Admits one more bulk request into the ingest lane, or says the backlog is full: its documents should then be
     * answered with a 429 at once rather than wait behind every bulk before them. Each admission must be released.
     */
    public boolean admitBatch() {
        while (true) {
            int pending = pendingBatches.get();
            if (pending >= maxPendingBatches) {
                return false;
            }
            if (pendingBatches.compareAndSet(pending, pending + 1)) {
                return true;
            }
        }
    }

    public void releaseBatch() {
        pendingBatches.decrementAndGet();
    }

    public int maxPendingBatches() {
        return maxPendingBatches;
    }

    /**
     * As {@link #embed(EmbeddingModel, InputType, List, Lane, BooleanSupplier, ActionListener)} through the query cache:
     * texts embedded lately (the sentences of passages that keep being cited, a question asked again) are not
     * embedded again, the others are, in one call, and are cached. For query-time work only: documents would crowd
     * the cache out.
     */
    public void embedCached(
        EmbeddingModel model,
        InputType type,
        List<String> texts,
        BooleanSupplier cancelled,
        ActionListener<float[][]> listener
    ) {
        float[][] vectors = new float[texts.size()][];
        List<String> missing = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            vectors[i] = queryCache.get(model, type, texts.get(i));
            if (vectors[i] == null) {
                missing.add(texts.get(i));
                positions.add(i);
            }
        }
        if (missing.isEmpty()) {
            listener.onResponse(vectors);
            return;
        }
        embed(model, type, missing, Lane.SEARCH, cancelled, ActionListener.map(listener, embedded -> {
            for (int j = 0; j < embedded.length; j++) {
                vectors[positions.get(j)] = embedded[j];
                queryCache.put(model, type, missing.get(j), embedded[j]);
            }
            return vectors;
        }));
    }

    /** Empties the query-vector cache; the number of vectors dropped. */
    public long clearQueryCache() {
        return queryCache.clear();
    }

    public QueryVectorCache.Stats queryCacheStats() {
        return queryCache.stats();
    }

    /** How many threads of {@code lane} one call may use at once: all of its pool's. */
    private int width(Lane lane) {
        return Math.max(1, threadPool.info(lane.pool()).getMax());
    }

    /**
     * @param force skip the queue's bound: for the next run of a call the pool already took, whose first runs would be
     *              wasted if it were refused now. Only new calls meet the bound, so a full queue refuses new work.
     */
    private <T> void submit(Lane lane, boolean force, ModelStats modelStats, ActionListener<T> listener, Runnable work) {
        threadPool.executor(lane.pool()).execute(new ActionRunnable<T>(listener) {
            @Override
            protected void doRun() {
                work.run();
            }

            @Override
            public boolean isForceExecution() {
                return force;
            }

            @Override
            public void onRejection(Exception e) {
                modelStats.recordRejection();
                super.onRejection(e);
            }
        });
    }

    private float[][] embedOnIngestThreads(EmbeddingModel model, List<TokenizedText> tokenized, ModelStats modelStats) {
        NicedModelThreads threads = ingestModelThreads;
        return threads == null ? embedNow(model, tokenized, modelStats) : threads.call(() -> embedNow(model, tokenized, modelStats));
    }

    private float[][] embedNow(EmbeddingModel model, List<TokenizedText> tokenized, ModelStats modelStats) {
        long start = System.nanoTime();
        try {
            long tokens = 0;
            for (TokenizedText t : tokenized) {
                tokens += t.length();
            }
            // [0]: batches the model ran, [1]: the token positions they held, padding included.
            long[] run = new long[2];
            float[][] vectors = model.embedder().embed(tokenized, batchSize, paddedTokens -> {
                run[0]++;
                run[1] += paddedTokens;
            });
            modelStats.recordSuccess(tokenized.size(), tokens, run[0], run[1], System.nanoTime() - start);
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
        NicedModelThreads threads = ingestModelThreads;
        if (threads != null) {
            threads.close();
        }
        registry.close();
    }
}
