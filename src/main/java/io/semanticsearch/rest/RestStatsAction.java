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
    private final long maxMemoryBytes;

    public RestStatsAction(EmbeddingService embeddings, Supplier<String> nodeName, long maxMemoryBytes) {
        this.embeddings = embeddings;
        this.nodeName = nodeName;
        this.maxMemoryBytes = maxMemoryBytes;
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
            long totalBytes = 0;
            builder.startObject("models");
            for (String model : embeddings.registry().modelNames()) {
                long bytes = embeddings.registry().get(model).modelBytes();
                totalBytes += bytes;
                builder.startObject(model);
                builder.field("model_bytes", bytes);
                embeddings.stats(model).toXContent(builder, request);
                builder.endObject();
            }
            builder.endObject();
            builder.field("models_bytes", totalBytes);
            builder.field("models_max_bytes", maxMemoryBytes);
            builder.endObject();
            channel.sendResponse(new BytesRestResponse(RestStatus.OK, builder));
        };
    }
}
