package io.semanticsearch.rest;

import io.semanticsearch.SemanticSearchPlugin;
import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.EmbeddingService;

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
import java.util.function.IntSupplier;

/** {@code POST /_plugins/_semantic/_embed}: texts in, vectors out, with the model of your choice. */
public class RestEmbedAction extends BaseRestHandler {

    /** {@code _embed} calls of at most this many texts take the search lane. */
    static final int SEARCH_LANE_TEXTS = 16;

    private final EmbeddingService embeddings;
    private final IntSupplier maxTexts;

    public RestEmbedAction(EmbeddingService embeddings, IntSupplier maxTexts) {
        this.embeddings = embeddings;
        this.maxTexts = maxTexts;
    }

    @Override
    public String getName() {
        return "semantic_embed";
    }

    @Override
    public List<Route> routes() {
        return List.of(
            new Route(RestRequest.Method.POST, SemanticSearchPlugin.REST_PREFIX + "/_embed"),
            new Route(RestRequest.Method.GET, SemanticSearchPlugin.REST_PREFIX + "/_embed")
        );
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) throws IOException {
        if (request.hasContentOrSourceParam() == false) {
            throw new IllegalArgumentException("[_embed] needs a body such as {\"texts\": [\"some text\"]}");
        }
        EmbedRequest embed = EmbedRequest.parse(request.contentOrSourceParamParser().map(), maxTexts.getAsInt());
        EmbeddingModel model = embeddings.model(embed.model());
        // A few texts are what a search or an application waits for; many are indexing work.
        EmbeddingService.Lane lane = embed.texts().size() <= SEARCH_LANE_TEXTS ? EmbeddingService.Lane.SEARCH : EmbeddingService.Lane.INGEST;
        return channel -> embeddings.embed(model, embed.inputType(), embed.texts(), lane, new RestBuilderListener<>(channel) {
            @Override
            public RestResponse buildResponse(float[][] vectors, XContentBuilder builder) throws IOException {
                builder.startObject();
                builder.field("model", model.name());
                builder.field("dims", model.dims());
                builder.startArray("embeddings");
                for (float[] vector : vectors) {
                    builder.value(vector);
                }
                builder.endArray();
                builder.endObject();
                return new BytesRestResponse(RestStatus.OK, builder);
            }
        });
    }
}
