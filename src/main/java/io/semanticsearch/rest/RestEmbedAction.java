package io.semanticsearch.rest;

import io.semanticsearch.embed.BertCharClasses;
import io.semanticsearch.embed.EmbedAction;
import io.semanticsearch.embed.EmbeddingService;

import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.action.RestCancellableNodeClient;
import org.opensearch.rest.action.RestToXContentListener;
import org.opensearch.transport.client.node.NodeClient;

import java.io.IOException;
import java.util.List;
import java.util.function.IntSupplier;

/** {@code POST /_plugins/_semantic/_embed}: texts in, vectors out, with the model of your choice. */
public class RestEmbedAction extends BaseRestHandler {

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
            new Route(RestRequest.Method.POST, Routes.PREFIX + "/_embed"),
            new Route(RestRequest.Method.GET, Routes.PREFIX + "/_embed")
        );
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) throws IOException {
        if (request.hasContentOrSourceParam() == false) {
            throw new IllegalArgumentException("[_embed] needs a body such as {\"texts\": [\"some text\"]}");
        }
        EmbedRequest embed = EmbedRequest.parse(RequestBodies.read(request, "_embed"), maxTexts.getAsInt());
        // Checked here, so that an unknown model or a text without a single token is a 400 before any task starts (on a
        // node that loads no models, the node the request goes to checks the model).
        if (embeddings.registry().loadsModels()) {
            embeddings.model(embed.model());
        }
        for (int i = 0; i < embed.texts().size(); i++) {
            if (BertCharClasses.hasContent(embed.texts().get(i)) == false) {
                throw new IllegalArgumentException(
                    "[texts][" + i + "] has nothing to embed: it is empty or holds only spaces, control or invisible characters"
                );
            }
        }
        EmbedAction.Request action = new EmbedAction.Request(embed.model(), embed.inputType(), embed.texts());
        // A task of its own, cancelled when the client closes its connection.
        return channel -> new RestCancellableNodeClient(client, request.getHttpChannel()).execute(
            EmbedAction.INSTANCE,
            action,
            new RestToXContentListener<>(channel)
        );
    }
}
