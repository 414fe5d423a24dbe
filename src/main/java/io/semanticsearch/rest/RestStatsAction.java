package io.semanticsearch.rest;

import io.semanticsearch.SemanticSearchPlugin;
import io.semanticsearch.embed.EmbeddingService;

import org.opensearch.core.rest.RestStatus;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.BytesRestResponse;
import org.opensearch.rest.RestRequest;
import org.opensearch.transport.client.node.NodeClient;

import java.util.List;
import java.util.function.Supplier;

/** {@code GET /_plugins/_semantic/stats}: per-model inference counters of the node that answers. */
public class RestStatsAction extends BaseRestHandler {

    private final EmbeddingService embeddings;
    private final Supplier<String> nodeName;

    public RestStatsAction(EmbeddingService embeddings, Supplier<String> nodeName) {
        this.embeddings = embeddings;
        this.nodeName = nodeName;
    }

    @Override
    public String getName() {
        return "semantic_stats";
    }

    @Override
    public List<Route> routes() {
        return List.of(new Route(RestRequest.Method.GET, SemanticSearchPlugin.REST_PREFIX + "/stats"));
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        return channel -> {
            XContentBuilder builder = channel.newBuilder();
            builder.startObject();
            builder.field("node", nodeName.get());
            builder.startObject("models");
            for (String model : embeddings.registry().modelNames()) {
                builder.startObject(model);
                embeddings.stats(model).toXContent(builder, request);
                builder.endObject();
            }
            builder.endObject();
            builder.endObject();
            channel.sendResponse(new BytesRestResponse(RestStatus.OK, builder));
        };
    }
}
