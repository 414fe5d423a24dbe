package io.semanticsearch.embed;

import org.opensearch.action.FailedNodeException;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.nodes.TransportNodesAction;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.TransportService;

import java.io.IOException;
import java.util.List;

/** Runs {@link QueryCacheClearAction} on every chosen node: drops that node's cached query vectors, on the management pool. */
public class TransportQueryCacheClearAction extends TransportNodesAction<
    ModelNodesRequest,
    QueryCacheClearAction.Response,
    ModelNodesRequest.OfNode,
    QueryCacheClearAction.NodeResponse> {

    private final EmbeddingService embeddings;

    @Inject
    public TransportQueryCacheClearAction(
        ThreadPool threadPool,
        ClusterService clusterService,
        TransportService transportService,
        ActionFilters actionFilters,
        EmbeddingService embeddings
    ) {
        super(
            QueryCacheClearAction.NAME,
            threadPool,
            clusterService,
            transportService,
            actionFilters,
            ModelNodesRequest::new,
            ModelNodesRequest.OfNode::new,
            ThreadPool.Names.MANAGEMENT,
            QueryCacheClearAction.NodeResponse.class
        );
        this.embeddings = embeddings;
    }

    @Override
    protected QueryCacheClearAction.Response newResponse(
        ModelNodesRequest request,
        List<QueryCacheClearAction.NodeResponse> responses,
        List<FailedNodeException> failures
    ) {
        return new QueryCacheClearAction.Response(clusterService.getClusterName(), responses, failures);
    }

    @Override
    protected ModelNodesRequest.OfNode newNodeRequest(ModelNodesRequest request) {
        return new ModelNodesRequest.OfNode();
    }

    @Override
    protected QueryCacheClearAction.NodeResponse newNodeResponse(StreamInput in) throws IOException {
        return new QueryCacheClearAction.NodeResponse(in);
    }

    @Override
    protected QueryCacheClearAction.NodeResponse nodeOperation(ModelNodesRequest.OfNode request) {
        return new QueryCacheClearAction.NodeResponse(clusterService.localNode(), embeddings.clearQueryCache());
    }
}
