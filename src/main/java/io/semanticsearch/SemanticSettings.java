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

    /** Threads one forward pass of a model may use (ONNX Runtime intra-op threads). */
    public static final Setting<Integer> INFERENCE_THREADS = new Setting<>(
        "plugins.semantic.inference.threads",
        s -> Integer.toString(OpenSearchExecutors.allocatedProcessors(s)),
        v -> Setting.parseInt(v, 1, 256, "plugins.semantic.inference.threads"),
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

    /** Inference pool threads: one by default, since each inference already uses every core it is given. */
    public static final int DEFAULT_POOL_SIZE = 1;
    public static final int DEFAULT_POOL_QUEUE = 100;
    public static final String POOL_PREFIX = "plugins.semantic.inference.pool";

    public static List<Setting<?>> all() {
        return List.of(INFERENCE_THREADS, EMBED_BATCH_SIZE, EMBED_MAX_TEXTS, MODELS_MAX_MEMORY, MAX_PASSAGES);
    }

    static int inferenceThreads(Settings settings) {
        return INFERENCE_THREADS.get(settings);
    }
}
