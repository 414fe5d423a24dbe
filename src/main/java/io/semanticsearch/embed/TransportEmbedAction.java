package io.semanticsearch.embed;

import org.opensearch.action.ActionListenerResponseHandler;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.HandledTransportAction;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.tasks.CancellableTask;
import org.opensearch.tasks.Task;
import org.opensearch.transport.TransportRequestOptions;
import org.opensearch.transport.TransportService;

/**
 * Runs {@link EmbedAction} on the node that received it, checking its task between model runs; a node that loads no
 * models ({@code plugins.semantic.models.load: false}) sends the request on to one that does, as a child task (so that
 * cancelling the call, or closing its connection, stops the inference there too).
 */
public final class TransportEmbedAction extends HandledTransportAction<EmbedAction.Request, EmbedAction.Response> {

    /** Calls of at most this many texts are what a search or an application waits for: they take the search lane. */
    static final int SEARCH_LANE_TEXTS = 16;

    private final TransportService transportService;
    private final ClusterService clusterService;
    private final EmbeddingService embeddings;

    @Inject
    public TransportEmbedAction(
        TransportService transportService,
        ActionFilters actionFilters,
        ClusterService clusterService,
        EmbeddingService embeddings
    ) {
        super(EmbedAction.NAME, transportService, actionFilters, EmbedAction.Request::new);
        this.transportService = transportService;
        this.clusterService = clusterService;
        this.embeddings = embeddings;
    }

    @Override
    protected void doExecute(Task task, EmbedAction.Request request, ActionListener<EmbedAction.Response> listener) {
        if (embeddings.registry().loadsModels() == false) {
            forward(task, request, listener);
            return;
        }
        EmbeddingModel model;
        try {
            model = embeddings.model(request.model());
            for (int i = 0; i < request.texts().size(); i++) {
                model.requireTokens(request.texts().get(i), "[texts][" + i + "]");
            }
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

    private void forward(Task task, EmbedAction.Request request, ActionListener<EmbedAction.Response> listener) {
        // The same texts go to the same node, whose query cache may hold them.
        DiscoveryNode target;
        try {
            target = NodesWithModels.target(clusterService, request.texts().hashCode(), "[_embed]");
        } catch (IllegalArgumentException e) {
            listener.onFailure(e);
            return;
        }
        transportService.sendChildRequest(
            target,
            EmbedAction.NAME,
            request,
            task,
            TransportRequestOptions.EMPTY,
            new ActionListenerResponseHandler<>(listener, EmbedAction.Response::new)
        );
    }
}
