package io.semanticsearch.rest;

import io.semanticsearch.embed.ModelNodesRequest;
import io.semanticsearch.embed.QueryCacheClearAction;

import org.opensearch.core.common.Strings;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.action.RestActions;
import org.opensearch.transport.client.node.NodeClient;

import java.util.List;

/** {@code POST /_plugins/_semantic/query_cache/_clear}: empties the query-vector cache of every node (or the nodes named). */
public class RestQueryCacheClearAction extends BaseRestHandler {

    @Override
    public String getName() {
        return "semantic_query_cache_clear";
    }

    @Override
    public List<Route> routes() {
        return List.of(
            new Route(RestRequest.Method.POST, Routes.PREFIX + "/query_cache/_clear"),
            new Route(RestRequest.Method.POST, Routes.PREFIX + "/{nodeId}/query_cache/_clear")
        );
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        ModelNodesRequest clear = new ModelNodesRequest(Strings.splitStringByCommaToArray(request.param("nodeId")));
        clear.timeout(request.param("timeout"));
        return channel -> client.execute(QueryCacheClearAction.INSTANCE, clear, new RestActions.NodesResponseRestListener<>(channel));
    }
}
