package io.semanticsearch.embed;

import org.opensearch.action.FailedNodeException;
import org.opensearch.action.support.nodes.BaseNodeResponse;
import org.opensearch.action.support.nodes.BaseNodesResponse;
import org.opensearch.cluster.ClusterName;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.xcontent.ToXContent;
import org.opensearch.core.xcontent.ToXContentFragment;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.List;

/**
 * The answers of the plugin's nodes actions ({@link SemanticStatsAction}, {@link ClusterModelsAction},
 * {@link QueryCacheClearAction}): OpenSearch's {@link BaseNodesResponse} wants each to say how its node answers cross
 * the wire; they all send them as a list, so that is said once here.
 */
public abstract class ModelNodesResponse<N extends BaseNodeResponse> extends BaseNodesResponse<N> implements ToXContentFragment {

    protected ModelNodesResponse(ClusterName clusterName, List<N> nodes, List<FailedNodeException> failures) {
        super(clusterName, nodes, failures);
    }

    protected ModelNodesResponse(StreamInput in) throws IOException {
        super(in);
    }

    /** Reads one node's answer. Called from the constructor: return a constant (a constructor reference). */
    protected abstract Writeable.Reader<N> nodeReader();

    @Override
    protected final List<N> readNodesFrom(StreamInput in) throws IOException {
        return in.readList(nodeReader());
    }

    @Override
    protected final void writeNodesTo(StreamOutput out, List<N> nodes) throws IOException {
        out.writeList(nodes);
    }

    /** {@code "nodes": {<node id>: {...}}}, each node as it renders itself. */
    protected static <T extends BaseNodeResponse & ToXContentFragment> XContentBuilder nodesToXContent(
        List<T> nodes,
        XContentBuilder builder,
        ToXContent.Params params
    ) throws IOException {
        builder.startObject("nodes");
        for (T node : nodes) {
            builder.startObject(node.getNode().getId());
            node.toXContent(builder, params);
            builder.endObject();
        }
        return builder.endObject();
    }
}
