package io.semanticsearch.rest;

import io.semanticsearch.rag.RagAction;
import io.semanticsearch.rag.RagRequest;
import io.semanticsearch.rag.RagService;

import org.opensearch.core.common.Strings;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.action.RestCancellableNodeClient;
import org.opensearch.rest.action.RestToXContentListener;
import org.opensearch.transport.client.node.NodeClient;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /{index}/_rag}: answers a question from the passages of an index, with citations. Parses and checks the
 * request here (a 400 before any work), then runs {@link RagAction}, a task in the caller's thread context, so that the
 * security plugin checks its searches as the caller's own; closing the connection cancels it.
 */
public class RestRagAction extends BaseRestHandler {

    private final RagService rag;

    public RestRagAction(RagService rag) {
        this.rag = rag;
    }

    @Override
    public String getName() {
        return "semantic_rag";
    }

    @Override
    public List<Route> routes() {
        return List.of(new Route(RestRequest.Method.POST, "/{index}/_rag"), new Route(RestRequest.Method.GET, "/{index}/_rag"));
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) throws IOException {
        String[] indices = Strings.splitStringByCommaToArray(request.param("index"));
        if (request.hasContentOrSourceParam() == false) {
            throw new IllegalArgumentException("[_rag] needs a body such as {\"question\": \"...\", \"field\": \"passages\"}");
        }
        Map<String, Object> body = RequestBodies.read(request, "_rag");
        RagRequest ragRequest = RagRequest.parse(body, request.getXContentRegistry());
        // An unknown or unusable connector is a 400 before any search runs.
        rag.connector(ragRequest);
        // A task of its own, cancelled (with its searches) when the client closes its connection.
        RagAction.Request action = new RagAction.Request(indices, body, ragRequest);
        return channel -> new RestCancellableNodeClient(client, request.getHttpChannel()).execute(
            RagAction.INSTANCE,
            action,
            new RestToXContentListener<>(channel)
        );
    }
}
