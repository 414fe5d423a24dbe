package io.semanticsearch.embed;

import io.semanticsearch.SemanticSettings;

import org.opensearch.action.FailedNodeException;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.nodes.TransportNodesAction;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.TransportService;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs {@link SemanticStatsAction} on every chosen node: reads that node's counters, cheap, on the management pool. */
public class TransportSemanticStatsAction extends TransportNodesAction<
    ModelNodesRequest,
    SemanticStatsAction.Response,
    ModelNodesRequest.OfNode,
    SemanticStatsAction.NodeResponse> {

    private final EmbeddingService embeddings;
    private final long maxModelBytes;

    @Inject
    public TransportSemanticStatsAction(
        ThreadPool threadPool,
        ClusterService clusterService,
        TransportService transportService,
        ActionFilters actionFilters,
        EmbeddingService embeddings
    ) {
        super(
            SemanticStatsAction.NAME,
            threadPool,
            clusterService,
            transportService,
            actionFilters,
            ModelNodesRequest::new,
            ModelNodesRequest.OfNode::new,
            ThreadPool.Names.MANAGEMENT,
            SemanticStatsAction.NodeResponse.class
        );
        this.embeddings = embeddings;
        this.maxModelBytes = SemanticSettings.MODELS_MAX_MEMORY.get(clusterService.getSettings()).getBytes();
    }

    @Override
    protected SemanticStatsAction.Response newResponse(
        ModelNodesRequest request,
        List<SemanticStatsAction.NodeResponse> responses,
        List<FailedNodeException> failures
    ) {
        return new SemanticStatsAction.Response(clusterService.getClusterName(), responses, failures);
    }

    @Override
    protected ModelNodesRequest.OfNode newNodeRequest(ModelNodesRequest request) {
        return new ModelNodesRequest.OfNode();
    }

    @Override
    protected SemanticStatsAction.NodeResponse newNodeResponse(StreamInput in) throws IOException {
        return new SemanticStatsAction.NodeResponse(in);
    }

    @Override
    protected SemanticStatsAction.NodeResponse nodeOperation(ModelNodesRequest.OfNode request) {
        Map<String, ModelStats.Snapshot> models = new LinkedHashMap<>();
        for (String name : embeddings.registry().modelNames()) {
            models.put(name, embeddings.stats(name).snapshot(embeddings.registry().get(name).modelBytes()));
        }
        return new SemanticStatsAction.NodeResponse(clusterService.localNode(), models, maxModelBytes, embeddings.queryCacheStats());
    }
}
