package io.semanticsearch.embed;

import org.opensearch.action.support.nodes.BaseNodesRequest;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.transport.TransportRequest;

import java.io.IOException;

/**
 * What the plugin's nodes actions ({@link SemanticStatsAction}, {@link ClusterModelsAction},
 * {@link QueryCacheClearAction}) ask: which nodes to ask (all by default, or the ids, names and selectors OpenSearch
 * understands), and nothing else; each node answers about all its models.
 */
public final class ModelNodesRequest extends BaseNodesRequest<ModelNodesRequest> {

    public ModelNodesRequest(String... nodeIds) {
        super(nodeIds);
    }

    public ModelNodesRequest(StreamInput in) throws IOException {
        super(in);
    }

    /** What one node is asked: nothing but to answer. */
    public static final class OfNode extends TransportRequest {
        public OfNode() {}

        public OfNode(StreamInput in) throws IOException {
            super(in);
        }
    }
}
