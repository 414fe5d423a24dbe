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
import java.util.ArrayList;
import java.util.List;

/** Runs {@link ClusterModelsAction} on every chosen node: lists that node's model folders, cheap, on the management pool. */
public class TransportClusterModelsAction extends TransportNodesAction<
    ModelNodesRequest,
    ClusterModelsAction.Response,
    ModelNodesRequest.OfNode,
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
            ModelNodesRequest::new,
            ModelNodesRequest.OfNode::new,
            ThreadPool.Names.MANAGEMENT,
            ClusterModelsAction.NodeResponse.class
        );
        this.embeddings = embeddings;
    }

    @Override
    protected ClusterModelsAction.Response newResponse(
        ModelNodesRequest request,
        List<ClusterModelsAction.NodeResponse> responses,
        List<FailedNodeException> failures
    ) {
        return new ClusterModelsAction.Response(clusterService.getClusterName(), responses, failures);
    }

    @Override
    protected ModelNodesRequest.OfNode newNodeRequest(ModelNodesRequest request) {
        return new ModelNodesRequest.OfNode();
    }

    @Override
    protected ClusterModelsAction.NodeResponse newNodeResponse(StreamInput in) throws IOException {
        return new ClusterModelsAction.NodeResponse(in);
    }

    @Override
    protected ClusterModelsAction.NodeResponse nodeOperation(ModelNodesRequest.OfNode request) {
        ModelRegistry registry = embeddings.registry();
        List<ClusterModelsAction.Model> models = new ArrayList<>();
        for (ModelRegistry.ModelStatus status : registry.statuses()) {
            if (status.loaded()) {
                EmbeddingModel model = registry.get(status.name());
                models.add(new ClusterModelsAction.Model(status.name(), true, model.config().dims(), model.fingerprint()));
            } else {
                models.add(new ClusterModelsAction.Model(status.name(), false, 0, null));
            }
        }
        return new ClusterModelsAction.NodeResponse(clusterService.localNode(), models, registry.loadsModels());
    }
}
