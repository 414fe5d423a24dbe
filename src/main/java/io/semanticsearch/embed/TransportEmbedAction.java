package io.semanticsearch.embed;

import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.HandledTransportAction;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.tasks.CancellableTask;
import org.opensearch.tasks.Task;
import org.opensearch.transport.TransportService;

/** Runs {@link EmbedAction} on the node that received it, checking its task between model runs. */
public final class TransportEmbedAction extends HandledTransportAction<EmbedAction.Request, EmbedAction.Response> {

    /** Calls of at most this many texts are what a search or an application waits for: they take the search lane. */
    static final int SEARCH_LANE_TEXTS = 16;

    private final EmbeddingService embeddings;

    @Inject
    public TransportEmbedAction(TransportService transportService, ActionFilters actionFilters, EmbeddingService embeddings) {
        super(EmbedAction.NAME, transportService, actionFilters, EmbedAction.Request::new);
        this.embeddings = embeddings;
    }

    @Override
    protected void doExecute(Task task, EmbedAction.Request request, ActionListener<EmbedAction.Response> listener) {
        EmbeddingModel model;
        try {
            model = embeddings.model(request.model());
        } catch (RuntimeException e) {
            listener.onFailure(e);
            return;
        }
        EmbeddingService.Lane lane = request.texts().size() <= SEARCH_LANE_TEXTS ? EmbeddingService.Lane.SEARCH : EmbeddingService.Lane.INGEST;
        CancellableTask cancellable = task instanceof CancellableTask c ? c : null;
        embeddings.embed(
            model,
            request.inputType(),
            request.texts(),
            lane,
            () -> cancellable != null && cancellable.isCancelled(),
            ActionListener.map(listener, vectors -> new EmbedAction.Response(model.name(), model.dims(), vectors))
        );
    }
}
