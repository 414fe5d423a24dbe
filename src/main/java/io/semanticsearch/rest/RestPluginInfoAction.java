package io.semanticsearch.rest;

import io.semanticsearch.PluginVersion;
import io.semanticsearch.embed.ModelRegistry;

import org.opensearch.Version;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.BytesRestResponse;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.RestResponse;
import org.opensearch.rest.action.RestBuilderListener;
import org.opensearch.transport.client.node.NodeClient;

import java.util.List;

/** {@code GET /_plugins/_semantic}: what is installed on this node. */
public class RestPluginInfoAction extends BaseRestHandler {

    private final ModelRegistry registry;

    public RestPluginInfoAction(ModelRegistry registry) {
        this.registry = registry;
    }

    @Override
    public String getName() {
        return "semantic_plugin_info";
    }

    @Override
    public List<Route> routes() {
        return List.of(new Route(RestRequest.Method.GET, Routes.PREFIX));
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
        // Through an action, so that the security plugin can grant or deny it (cluster:monitor/semantic/info).
        return channel -> client.execute(PluginInfoAction.INSTANCE, new PluginInfoAction.Request(), new RestBuilderListener<>(channel) {
            @Override
            public RestResponse buildResponse(PluginInfoAction.Response response, XContentBuilder builder) throws Exception {
                builder.startObject();
                builder.field("plugin", "opensearch-semantic");
                builder.field("version", PluginVersion.CURRENT);
                builder.field("opensearch_version", Version.CURRENT.toString());
                builder.field("lucene_version", org.apache.lucene.util.Version.LATEST.toString());
                builder.field("default_model", registry.defaultModelName());
                builder.startArray("models");
                RestModelsAction.writeModels(registry, builder);
                builder.endArray();
                builder.endObject();
                return new BytesRestResponse(RestStatus.OK, builder);
            }
        });
    }
}
