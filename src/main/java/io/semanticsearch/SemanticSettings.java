package io.semanticsearch;


import org.opensearch.common.settings.Setting;
import org.opensearch.common.settings.Setting.Property;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.util.concurrent.OpenSearchExecutors;
import org.opensearch.core.common.unit.ByteSizeValue;

import java.util.List;

/** The node settings of the plugin, all under {@code plugins.semantic.}; see docs/settings in docs/README.md. */
public final class SemanticSettings {

    private SemanticSettings() {}

    /**
     * Threads one forward pass of a model may use (ONNX Runtime intra-op threads). One by default: a call uses the
     * cores by running its parts on several threads of its lane's pool at once, which wastes nothing on handing small
     * operators between threads, and lets two queries run side by side rather than queue.
     */
    public static final Setting<Integer> INFERENCE_THREADS = Setting.intSetting(
        "plugins.semantic.inference.threads",
        1,
        1,
        256,
        Property.NodeScope
    );

    /** Texts the model sees at once; bigger batches amortise overhead, smaller ones pad less. */
    public static final Setting<Integer> EMBED_BATCH_SIZE = Setting.intSetting(
        "plugins.semantic.embed.batch_size",
        32,
        1,
        1024,
        Property.NodeScope
    );

    /** Most texts one {@code _embed} request may carry. */
    public static final Setting<Integer> EMBED_MAX_TEXTS = Setting.intSetting(
        "plugins.semantic.embed.max_texts",
        256,
        1,
        100_000,
        Property.NodeScope,
        Property.Dynamic
    );

    /**
     * Native memory the node may give to models, estimated from their ONNX files: a model that would go over it is
     * not loaded and is listed as failed, so a node never loads more than it can hold.
     */
    /**
     * Whether this node loads the embedding models. {@code false} for nodes that only hold data: they parse
     * mappings from what the mappings record, and leave embedding to the ingest and coordinating nodes.
     */
    public static final Setting<Boolean> MODELS_LOAD = Setting.boolSetting("plugins.semantic.models.load", true, Property.NodeScope);

    public static final Setting<ByteSizeValue> MODELS_MAX_MEMORY = Setting.byteSizeSetting(
        "plugins.semantic.models.max_memory",
        new ByteSizeValue(2L << 30),
        Property.NodeScope
    );

    /**
     * Most passages one field of one document may make at ingest: a longer text fails that document before any of it
     * is embedded. Well under OpenSearch's {@code index.mapping.nested_objects.limit} (10,000), which would refuse
     * such a document only after all of its passages were embedded.
     */
    public static final Setting<Integer> MAX_PASSAGES = Setting.intSetting(
        "plugins.semantic.ingest.max_passages_per_document",
        1000,
        1,
        100_000,
        Property.NodeScope
    );

    /**
     * Most characters one field of one document may hold at ingest: checked before the text is cut into passages,
     * whose cost grows with it. A million characters is about 1,500 passages at the default chunking, so the passage
     * limit usually speaks first; this one keeps a runaway value (a whole book, a base64 blob) from costing seconds.
     */
    public static final Setting<Integer> MAX_TEXT_CHARS = Setting.intSetting(
        "plugins.semantic.ingest.max_text_chars",
        1_000_000,
        1,
        Integer.MAX_VALUE,
        Property.NodeScope
    );

    /**
     * Most tokens one model run of an ingest call embeds: a longer call (a bulk of long documents) is cut into runs
     * of this size, each queued on its own, so that no bulk holds the ingest lane for long. 8192 tokens is 32 texts of
     * 256 tokens: about two seconds of all-MiniLM-L6-v2 on one core.
     */
    public static final Setting<Integer> INGEST_CALL_TOKENS = Setting.intSetting(
        "plugins.semantic.inference.ingest_call_tokens",
        8192,
        256,
        1_000_000,
        Property.NodeScope
    );

    /**
     * Bulk requests a node embeds at once (each with at most two model calls waiting): one more is refused with a 429
     * at once, rather than waiting behind all of them. Eight bulks of a few hundred documents are a minute or so of
     * inference on two cores: the most a client should wait before being told to back off. Dynamic.
     */
    public static final Setting<Integer> MAX_PENDING_BATCHES = Setting.intSetting(
        "plugins.semantic.ingest.max_pending_batches",
        8,
        1,
        10_000,
        Property.NodeScope,
        Property.Dynamic
    );

    /**
     * The nice value of the threads that run the ingest lane's model runs (0: they run on the lane's own threads at the
     * normal priority; up to 19): while a bulk keeps every core busy, the kernel then gives the cores to searches and
     * the search lane's model runs first. 5: the kernel weighs a thread of nice 5 at a third of one of nice 0. Linux
     * only (see NicedModelThreads).
     */
    public static final Setting<Integer> INGEST_POOL_NICE = Setting.intSetting("plugins.semantic.inference.pool.nice", 5, 0, 19, Property.NodeScope);

    /** Memory for the vectors of query texts embedded lately; 0 turns the cache off. */
    public static final Setting<ByteSizeValue> QUERY_CACHE_SIZE = Setting.byteSizeSetting(
        "plugins.semantic.query_cache.size",
        new ByteSizeValue(10L << 20),
        Property.NodeScope
    );

    /** The ingest lane's pool: a thread per core (each model call runs on one), a short queue of bulks' runs. */
    public static final int DEFAULT_POOL_QUEUE = 100;
    public static final String POOL_PREFIX = "plugins.semantic.inference.pool";
    /** The search lane's pool: a thread per core too, and a long queue, since each query call is short. */
    public static final int DEFAULT_SEARCH_POOL_QUEUE = 1000;
    public static final String SEARCH_POOL_PREFIX = "plugins.semantic.inference.search_pool";

    /**
     * Whether an index gets this plugin's codec service (per-field vectors formats, passage vectors kept out of
     * {@code _source}). False steps aside for another plugin that supplies one for the index: OpenSearch takes one codec
     * service per index. Fixed at creation, as the codec service is.
     */
    public static final Setting<Boolean> INDEX_CODEC = Setting.boolSetting(
        "index.semantic.codec",
        true,
        Property.IndexScope,
        Property.Final
    );

    /**
     * Index settings of other plugins that hand an index's codec service to them when true: OpenSearch takes one
     * codec service per index, so this plugin's steps aside there (k-NN's {@code index.knn} and neural sparse's
     * {@code index.sparse} always).
     */
    public static final Setting<List<String>> CODEC_YIELD_TO = Setting.listSetting(
        "plugins.semantic.codec.yield_to",
        List.of(),
        s -> s,
        Property.NodeScope
    );

    public static List<Setting<?>> all() {
        return List.of(
            MODELS_LOAD,
            CODEC_YIELD_TO,
            INFERENCE_THREADS,
            EMBED_BATCH_SIZE,
            EMBED_MAX_TEXTS,
            MODELS_MAX_MEMORY,
            MAX_PASSAGES,
            MAX_TEXT_CHARS,
            MAX_PENDING_BATCHES,
            INGEST_CALL_TOKENS,
            INGEST_POOL_NICE,
            QUERY_CACHE_SIZE,
            INDEX_CODEC
        );
    }

    static int inferenceThreads(Settings settings) {
        return INFERENCE_THREADS.get(settings);
    }

    /** Threads of each inference lane's pool unless its {@code .size} says otherwise: the node's allocated processors. */
    static int defaultPoolSize(Settings settings) {
        return OpenSearchExecutors.allocatedProcessors(settings);
    }
}
