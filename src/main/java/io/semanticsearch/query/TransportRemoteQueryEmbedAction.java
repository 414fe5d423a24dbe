package io.semanticsearch.query;

import org.opensearch.action.ActionListenerResponseHandler;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.HandledTransportAction;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.tasks.Task;
import org.opensearch.transport.TransportService;

/**
 * Runs {@link RemoteQueryEmbedAction}: on the coordinating node it sends the request to the chosen node; there (as a
 * request that has arrived) it embeds the text with the node's model, checking the fingerprint the mapping recorded.
 */
public final class TransportRemoteQueryEmbedAction extends HandledTransportAction<RemoteQueryEmbedAction.Request, RemoteQueryEmbedAction.Response> {

    private final TransportService transportService;
    private final QueryEmbedder embedder;

    @Inject
    public TransportRemoteQueryEmbedAction(TransportService transportService, ActionFilters actionFilters, QueryEmbedder embedder) {
        super(RemoteQueryEmbedAction.NAME, transportService, actionFilters, RemoteQueryEmbedAction.Request::new);
        this.transportService = transportService;
        this.embedder = embedder;
    }

    @Override
    protected void doExecute(Task task, RemoteQueryEmbedAction.Request request, ActionListener<RemoteQueryEmbedAction.Response> listener) {
        if (request.target() != null) {
            transportService.sendRequest(
                request.target(),
                RemoteQueryEmbedAction.NAME,
                request.arrived(),
                new ActionListenerResponseHandler<>(listener, RemoteQueryEmbedAction.Response::new)
            );
            return;
        }
        embedder.embedHere(request, listener);
    }
}
