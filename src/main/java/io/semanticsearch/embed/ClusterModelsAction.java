package io.semanticsearch.embed;

import io.semanticsearch.WireFormat;

import org.opensearch.action.ActionType;
import org.opensearch.action.FailedNodeException;
import org.opensearch.action.support.nodes.BaseNodeResponse;
import org.opensearch.cluster.ClusterName;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.common.Nullable;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Asks every node which models it holds, for {@code GET /_plugins/_semantic/models}: a mapping or a pipeline names
 * a model by name and fingerprint, and every node that embeds for it must hold the same files. The answer groups
 * each model's nodes by fingerprint and says whether they agree, so that a node with another file under the same
 * name, or none, shows before it embeds anything.
 */
public final class ClusterModelsAction extends ActionType<ClusterModelsAction.Response> {

    public static final String NAME = "cluster:monitor/semantic/models";
    public static final ClusterModelsAction INSTANCE = new ClusterModelsAction();

    private ClusterModelsAction() {
        super(NAME, Response::new);
    }



    /**
     * One model folder of one node: its name, and for a loaded model its dims, fingerprint and default chunking (null
     * from a node of wire format 2, which did not send it: {@link ModelConfig.Chunking#DEFAULT} then, as it was).
     */
    public record Model(String name, boolean loaded, int dims, @Nullable String fingerprint, @Nullable ModelConfig.Chunking chunking)
        implements
            Writeable {

        public Model(String name, boolean loaded, int dims, @Nullable String fingerprint) {
            this(name, loaded, dims, fingerprint, loaded ? ModelConfig.Chunking.DEFAULT : null);
        }

        static Model readFrom(StreamInput in, int wireFormat) throws IOException {
            String name = in.readString();
            boolean loaded = in.readBoolean();
            int dims = in.readVInt();
            String fingerprint = in.readOptionalString();
            ModelConfig.Chunking chunking = null;
            if (wireFormat >= 3 && in.readBoolean()) {
                chunking = new ModelConfig.Chunking(in.readVInt(), in.readVInt());
            }
            return new Model(name, loaded, dims, fingerprint, chunking);
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            out.writeString(name);
            out.writeBoolean(loaded);
            out.writeVInt(dims);
            out.writeOptionalString(fingerprint);
            out.writeBoolean(chunking != null);
            if (chunking != null) {
                out.writeVInt(chunking.maxTokens());
                out.writeVInt(chunking.overlapTokens());
            }
        }
    }

    public static final class NodeResponse extends BaseNodeResponse {
        private final List<Model> models;
        // False on a node with plugins.semantic.models.load: false, which holds no models on purpose.
        private final boolean loadsModels;

        public NodeResponse(DiscoveryNode node, List<Model> models) {
            this(node, models, true);
        }

        public NodeResponse(DiscoveryNode node, List<Model> models, boolean loadsModels) {
            super(node);
            this.models = models;
            this.loadsModels = loadsModels;
        }

        public NodeResponse(StreamInput in) throws IOException {
            super(in);
            int wireFormat = WireFormat.readHeader(in, NAME + " answer");
            models = in.readList(stream -> Model.readFrom(stream, wireFormat));
            loadsModels = in.readBoolean();
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            super.writeTo(out);
            WireFormat.writeHeader(out);
            out.writeList(models);
            out.writeBoolean(loadsModels);
        }

        public boolean loadsModels() {
            return loadsModels;
        }

        public List<Model> models() {
            return models;
        }
    }

    /** Every node's models, grouped per model name. */
    public static final class Response extends ModelNodesResponse<NodeResponse> {
        public Response(ClusterName clusterName, List<NodeResponse> nodes, List<FailedNodeException> failures) {
            super(clusterName, nodes, failures);
        }

        public Response(StreamInput in) throws IOException {
            super(in);
        }

        @Override
        protected Writeable.Reader<NodeResponse> nodeReader() {
            return NodeResponse::new;
        }

        /** Whether every node that answered holds every model with one fingerprint. */
        public boolean consistent() {
            for (Map.Entry<String, Map<String, Set<String>>> model : byModel().entrySet()) {
                if (model.getValue().size() != 1 || missingOn(model.getKey()).isEmpty() == false) {
                    return false;
                }
            }
            return true;
        }

        /** Model name to fingerprint ("failed" for a model that did not load) to the names of the nodes holding it. */
        Map<String, Map<String, Set<String>>> byModel() {
            Map<String, Map<String, Set<String>>> models = new TreeMap<>();
            for (NodeResponse node : getNodes()) {
                for (Model model : node.models()) {
                    String fingerprint = model.loaded() ? model.fingerprint() : "failed";
                    models.computeIfAbsent(model.name(), n -> new TreeMap<>())
                        .computeIfAbsent(fingerprint, f -> new TreeSet<>())
                        .add(node.getNode().getName());
                }
            }
            return models;
        }

        /**
         * The one identity the nodes that loaded {@code modelName} agree on, for a node that must record a model it
         * does not hold itself.
         *
         * @throws IllegalArgumentException when no node has it loaded, or nodes hold different files under the name
         */
        public Model agreed(String modelName) {
            Map<String, Model> byFingerprint = new TreeMap<>();
            Map<String, Set<String>> nodes = new TreeMap<>();
            for (NodeResponse node : getNodes()) {
                for (Model model : node.models()) {
                    if (model.name().equals(modelName) && model.loaded()) {
                        byFingerprint.putIfAbsent(model.fingerprint(), model);
                        nodes.computeIfAbsent(model.fingerprint(), f -> new TreeSet<>()).add(node.getNode().getName());
                    }
                }
            }
            if (byFingerprint.isEmpty()) {
                throw new IllegalArgumentException(
                    "unknown model [" + modelName + "]: no node of the cluster has it loaded; the cluster's models are " + byModel().keySet()
                );
            }
            if (byFingerprint.size() > 1) {
                throw new IllegalArgumentException(
                    "the nodes hold different files under model [" + modelName + "] " + nodes + "; give every node the same files"
                );
            }
            return byFingerprint.values().iterator().next();
        }

        /** The nodes that answered without a folder of this name (not counting those that load no models on purpose). */
        List<String> missingOn(String modelName) {
            List<String> missing = new ArrayList<>();
            for (NodeResponse node : getNodes()) {
                if (node.loadsModels() && node.models().stream().noneMatch(m -> m.name().equals(modelName))) {
                    missing.add(node.getNode().getName());
                }
            }
            return missing;
        }

        @Override
        public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
            builder.startObject("cluster");
            builder.field("nodes", getNodes().size());
            if (failures().isEmpty() == false) {
                builder.startArray("failed_nodes");
                for (FailedNodeException failure : failures()) {
                    builder.value(failure.nodeId() + ": " + failure.getDetailedMessage());
                }
                builder.endArray();
            }
            builder.field("consistent", consistent());
            List<String> notLoading = getNodes().stream().filter(n -> n.loadsModels() == false).map(n -> n.getNode().getName()).toList();
            if (notLoading.isEmpty() == false) {
                builder.field("models_not_loaded_on", notLoading);
            }
            builder.startObject("models");
            for (Map.Entry<String, Map<String, Set<String>>> model : byModel().entrySet()) {
                List<String> missing = missingOn(model.getKey());
                builder.startObject(model.getKey());
                builder.field("consistent", model.getValue().size() == 1 && missing.isEmpty());
                builder.startObject("fingerprints");
                for (Map.Entry<String, Set<String>> fingerprint : model.getValue().entrySet()) {
                    builder.field(fingerprint.getKey(), fingerprint.getValue());
                }
                builder.endObject();
                builder.field("missing_on", missing);
                builder.endObject();
            }
            builder.endObject();
            return builder.endObject();
        }
    }
}
