package io.semanticsearch.embed;

import io.semanticsearch.WireFormat;

import org.opensearch.action.ActionType;
import org.opensearch.action.FailedNodeException;
import org.opensearch.action.support.nodes.BaseNodeResponse;
import org.opensearch.cluster.ClusterName;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.xcontent.ToXContentFragment;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Gathers every node's inference counters ({@link ModelStats}) for {@code GET /_plugins/_semantic/stats}: each node
 * embeds on its own, so the cluster's picture is the sum of its nodes, as in {@code _nodes/stats}.
 */
public final class SemanticStatsAction extends ActionType<SemanticStatsAction.Response> {

    public static final String NAME = "cluster:monitor/semantic/stats";
    public static final SemanticStatsAction INSTANCE = new SemanticStatsAction();

    private SemanticStatsAction() {
        super(NAME, Response::new);
    }



    /** One node's models: their counters and the node's model memory against its cap. */
    public static final class NodeResponse extends BaseNodeResponse implements ToXContentFragment {
        private final Map<String, ModelStats.Snapshot> models;
        private final long maxModelBytes;
        private final QueryVectorCache.Stats queryCache;

        public NodeResponse(DiscoveryNode node, Map<String, ModelStats.Snapshot> models, long maxModelBytes, QueryVectorCache.Stats queryCache) {
            super(node);
            this.models = models;
            this.maxModelBytes = maxModelBytes;
            this.queryCache = queryCache;
        }

        public NodeResponse(StreamInput in) throws IOException {
            super(in);
            WireFormat.readHeader(in, NAME + " answer");
            models = in.readOrderedMap(StreamInput::readString, ModelStats.Snapshot::readFrom);
            maxModelBytes = in.readVLong();
            queryCache = QueryVectorCache.Stats.readFrom(in);
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            super.writeTo(out);
            WireFormat.writeHeader(out);
            out.writeMap(models, StreamOutput::writeString, (o, s) -> s.writeTo(o));
            out.writeVLong(maxModelBytes);
            queryCache.writeTo(out);
        }

        public QueryVectorCache.Stats queryCache() {
            return queryCache;
        }

        public Map<String, ModelStats.Snapshot> models() {
            return models;
        }

        @Override
        public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
            builder.field("name", getNode().getName());
            builder.startObject("models");
            long total = 0;
            for (Map.Entry<String, ModelStats.Snapshot> model : models.entrySet()) {
                total += model.getValue().modelBytes();
                builder.startObject(model.getKey());
                model.getValue().toXContent(builder, params);
                builder.endObject();
            }
            builder.endObject();
            builder.field("models_bytes", total);
            builder.field("models_max_bytes", maxModelBytes);
            queryCache.toXContent(builder, params);
            return builder;
        }
    }

    /** Every node's answer, keyed by node id in the JSON. */
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

        @Override
        public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
            return nodesToXContent(getNodes(), builder, params);
        }
    }
}
