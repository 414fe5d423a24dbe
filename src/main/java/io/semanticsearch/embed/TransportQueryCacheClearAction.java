package io.semanticsearch.embed;

import org.opensearch.action.support.ActionFilters;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.TransportService;

/** Runs {@link QueryCacheClearAction} on every chosen node: drops that node's cached query vectors, on the management pool. */
public class TransportQueryCacheClearAction extends ModelNodesTransportAction<
    QueryCacheClearAction.Response,
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
            QueryCacheClearAction.NodeResponse.class,
            QueryCacheClearAction.NodeResponse::new,
            QueryCacheClearAction.Response::new
        );
        this.embeddings = embeddings;
    }

    @Override
    protected QueryCacheClearAction.NodeResponse nodeOperation(ModelNodesRequest.OfNode request) {
        return new QueryCacheClearAction.NodeResponse(clusterService.localNode(), embeddings.clearQueryCache());
    }
}
