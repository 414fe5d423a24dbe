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

/**
 * Empties every node's query-vector cache ({@link QueryVectorCache}) for {@code POST /_plugins/_semantic/query_cache/_clear}:
 * each node caches the texts it embedded itself, so clearing is a nodes action, like OpenSearch's {@code _cache/clear}
 * reaching every shard. For measuring cold query latency, or freeing the memory at once.
 */
public final class QueryCacheClearAction extends ActionType<QueryCacheClearAction.Response> {

    public static final String NAME = "cluster:admin/semantic/query_cache/clear";
    public static final QueryCacheClearAction INSTANCE = new QueryCacheClearAction();

    private QueryCacheClearAction() {
        super(NAME, Response::new);
    }

    /** One node: how many vectors it dropped. */
    public static final class NodeResponse extends BaseNodeResponse implements ToXContentFragment {
        private final long cleared;

        public NodeResponse(DiscoveryNode node, long cleared) {
            super(node);
            this.cleared = cleared;
        }

        public NodeResponse(StreamInput in) throws IOException {
            super(in);
            WireFormat.readHeader(in, NAME + " answer");
            cleared = in.readVLong();
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            super.writeTo(out);
            WireFormat.writeHeader(out);
            out.writeVLong(cleared);
        }

        @Override
        public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
            return builder.field("name", getNode().getName()).field("cleared_entries", cleared);
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
