package io.semanticsearch.rest;

import io.semanticsearch.embed.ClusterModelsAction;
import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.ModelConfig;
import io.semanticsearch.embed.ModelNodesRequest;
import io.semanticsearch.embed.ModelRegistry;

import org.opensearch.core.rest.RestStatus;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.BytesRestResponse;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.RestResponse;
import org.opensearch.rest.action.RestBuilderListener;
import org.opensearch.transport.client.node.NodeClient;

import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * {@code GET /_plugins/_semantic/models}: every model folder this node found, loaded or failed and why, and under
 * {@code cluster} every node's models grouped by fingerprint, with whether the nodes agree.
 */
public class RestModelsAction extends BaseRestHandler {

    private final ModelRegistry registry;

    public RestModelsAction(ModelRegistry registry) {
        this.registry = registry;
    }

    @Override
    public String getName() {
        return "semantic_models";
    }

    @Override
    public List<Route> routes() {
        return List.of(new Route(RestRequest.Method.GET, Routes.PREFIX + "/models"));
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        // The node's own models in detail, then every node's by fingerprint: a transport action, so that the
        // security plugin can grant or deny it (cluster:monitor/semantic/models).
        return channel -> client.execute(ClusterModelsAction.INSTANCE, new ModelNodesRequest(), new RestBuilderListener<>(channel) {
            @Override
            public RestResponse buildResponse(ClusterModelsAction.Response cluster, XContentBuilder builder) throws Exception {
                builder.startObject();
                builder.field("default_model", registry.defaultModelName());
                builder.startArray("models");
                writeModels(registry, builder);
                builder.endArray();
                cluster.toXContent(builder, request);
                builder.endObject();
                return new BytesRestResponse(RestStatus.OK, builder);
            }
        });
    }

    /** One object per model folder; shared with {@code GET /_plugins/_semantic}. */
    static void writeModels(ModelRegistry registry, XContentBuilder builder) throws IOException {
        for (ModelRegistry.ModelStatus status : registry.statuses()) {
            builder.startObject();
            builder.field("name", status.name());
            builder.field("source", status.source().name().toLowerCase(Locale.ROOT));
            builder.field("status", status.loaded() ? "loaded" : "failed");
            if (status.loaded()) {
                EmbeddingModel model = registry.get(status.name());
                ModelConfig config = model.config();
                builder.field("default", status.name().equals(registry.defaultModelName()));
                builder.field("dims", config.dims());
                builder.field("pooling", config.pooling().name().toLowerCase(Locale.ROOT));
                builder.field("normalize", config.normalize());
                builder.field("max_tokens", config.maxTokens());
                builder.field("languages", config.languages());
                builder.field("license", config.license());
                if (config.quantizedFrom() != null) {
                    builder.field("quantized_from", config.quantizedFrom());
                }
                if (config.description() != null) {
                    builder.field("description", config.description());
                }
                builder.field("query_prefix", config.queryPrefix());
                builder.field("passage_prefix", config.passagePrefix());
                builder.field("model_bytes", model.modelBytes());
                builder.field("fingerprint", model.fingerprint());
            } else {
                builder.field("reason", status.failure());
            }
            builder.endObject();
        }
    }
}
