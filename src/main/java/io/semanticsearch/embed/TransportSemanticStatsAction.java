package io.semanticsearch.embed;

import io.semanticsearch.SemanticSettings;

import org.opensearch.action.support.ActionFilters;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.TransportService;

import java.util.LinkedHashMap;
import java.util.Map;

/** Runs {@link SemanticStatsAction} on every chosen node: reads that node's counters, cheap, on the management pool. */
public class TransportSemanticStatsAction extends ModelNodesTransportAction<
    SemanticStatsAction.Response,
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
            SemanticStatsAction.NodeResponse.class,
            SemanticStatsAction.NodeResponse::new,
            SemanticStatsAction.Response::new
        );
        this.embeddings = embeddings;
        this.maxModelBytes = SemanticSettings.MODELS_MAX_MEMORY.get(clusterService.getSettings()).getBytes();
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
