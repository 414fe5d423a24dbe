package io.semanticsearch.embed;

import org.opensearch.action.support.ActionFilters;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.TransportService;

import java.util.ArrayList;
import java.util.List;

/** Runs {@link ClusterModelsAction} on every chosen node: lists that node's model folders, cheap, on the management pool. */
public class TransportClusterModelsAction extends ModelNodesTransportAction<
    ClusterModelsAction.Response,
    ClusterModelsAction.NodeResponse> {

    private final EmbeddingService embeddings;

    @Inject
    public TransportClusterModelsAction(
        ThreadPool threadPool,
        ClusterService clusterService,
        TransportService transportService,
        ActionFilters actionFilters,
        EmbeddingService embeddings
    ) {
        super(
            ClusterModelsAction.NAME,
            threadPool,
            clusterService,
            transportService,
            actionFilters,
            ClusterModelsAction.NodeResponse.class,
            ClusterModelsAction.NodeResponse::new,
            ClusterModelsAction.Response::new
        );
        this.embeddings = embeddings;
    }

    @Override
    protected ClusterModelsAction.NodeResponse nodeOperation(ModelNodesRequest.OfNode request) {
        ModelRegistry registry = embeddings.registry();
        List<ClusterModelsAction.Model> models = new ArrayList<>();
        for (ModelRegistry.ModelStatus status : registry.statuses()) {
            if (status.loaded()) {
                EmbeddingModel model = registry.get(status.name());
                models.add(new ClusterModelsAction.Model(status.name(), true, model.config().dims(), model.fingerprint(), model.config().chunking()));
            } else {
                models.add(new ClusterModelsAction.Model(status.name(), false, 0, null));
            }
        }
        return new ClusterModelsAction.NodeResponse(clusterService.localNode(), models, registry.loadsModels());
    }
}
