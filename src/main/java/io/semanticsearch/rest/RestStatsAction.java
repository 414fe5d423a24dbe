package io.semanticsearch.rest;

import io.semanticsearch.embed.ModelNodesRequest;
import io.semanticsearch.embed.SemanticStatsAction;

import org.opensearch.core.common.Strings;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.action.RestActions;
import org.opensearch.transport.client.node.NodeClient;

import java.util.List;

/** {@code GET /_plugins/_semantic/stats}: per-model inference counters of every node (or the nodes named). */
public class RestStatsAction extends BaseRestHandler {

    @Override
    public String getName() {
        return "semantic_stats";
    }

    @Override
    public List<Route> routes() {
        return List.of(
            new Route(RestRequest.Method.GET, Routes.PREFIX + "/stats"),
            new Route(RestRequest.Method.GET, Routes.PREFIX + "/{nodeId}/stats")
        );
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        ModelNodesRequest stats = new ModelNodesRequest(Strings.splitStringByCommaToArray(request.param("nodeId")));
        stats.timeout(request.param("timeout"));
        return channel -> client.execute(SemanticStatsAction.INSTANCE, stats, new RestActions.NodesResponseRestListener<>(channel));
    }
}
