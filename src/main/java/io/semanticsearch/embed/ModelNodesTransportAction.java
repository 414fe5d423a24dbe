package io.semanticsearch.embed;

import org.opensearch.action.FailedNodeException;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.nodes.BaseNodeResponse;
import org.opensearch.action.support.nodes.TransportNodesAction;
import org.opensearch.cluster.ClusterName;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.TransportService;

import java.io.IOException;
import java.util.List;

/**
 * What the plugin's nodes actions share: each asks every chosen node a {@link ModelNodesRequest} with nothing in it,
 * on the management pool (the answers are cheap reads of the node's own state), and gathers the answers. A subclass
 * says only what a node does ({@link #nodeOperation}).
 */
public abstract class ModelNodesTransportAction<R extends ModelNodesResponse<N>, N extends BaseNodeResponse> extends
    TransportNodesAction<ModelNodesRequest, R, ModelNodesRequest.OfNode, N> {

    /** Makes the gathered answer. */
    @FunctionalInterface
    protected interface Gathered<R, N> {
        R of(ClusterName clusterName, List<N> nodes, List<FailedNodeException> failures);
    }

    private final Writeable.Reader<N> nodeReader;
    private final Gathered<R, N> gathered;

    protected ModelNodesTransportAction(
        String actionName,
        ThreadPool threadPool,
        ClusterService clusterService,
        TransportService transportService,
        ActionFilters actionFilters,
        Class<N> nodeResponseClass,
        Writeable.Reader<N> nodeReader,
        Gathered<R, N> gathered
    ) {
        super(
            actionName,
            threadPool,
            clusterService,
            transportService,
            actionFilters,
            ModelNodesRequest::new,
            ModelNodesRequest.OfNode::new,
            ThreadPool.Names.MANAGEMENT,
            nodeResponseClass
        );
        this.nodeReader = nodeReader;
        this.gathered = gathered;
    }

    @Override
    protected final R newResponse(ModelNodesRequest request, List<N> responses, List<FailedNodeException> failures) {
        return gathered.of(clusterService.getClusterName(), responses, failures);
    }

    @Override
    protected final ModelNodesRequest.OfNode newNodeRequest(ModelNodesRequest request) {
        return new ModelNodesRequest.OfNode();
    }

    @Override
    protected final N newNodeResponse(StreamInput in) throws IOException {
        return nodeReader.read(in);
    }
}
