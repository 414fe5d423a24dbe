package io.semanticsearch.rag;

import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.NodesWithModels;

import org.opensearch.action.ActionListenerResponseHandler;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.HandledTransportAction;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.tasks.CancellableTask;
import org.opensearch.tasks.Task;
import org.opensearch.transport.TransportRequestOptions;
import org.opensearch.transport.TransportService;
import org.opensearch.transport.client.Client;
import org.opensearch.transport.client.ParentTaskAssigningClient;

/**
 * Runs {@link RagAction} on the node that received it: its searches are child tasks (cancelled with it), and its
 * generation stops between model runs once it is cancelled. The caller's thread context (identity, headers) carries
 * through to the searches, so the security plugin checks them as the caller's own. A node that loads no models
 * ({@code plugins.semantic.models.load: false}) sends the whole request on to one that does, as a child task: the
 * answer needs the field's model (its tokenizer for the context budget, its vectors for the extractive answer).
 */
public final class TransportRagAction extends HandledTransportAction<RagAction.Request, RagAction.Response> {

    private final TransportService transportService;
    private final RagService rag;
    private final EmbeddingService embeddings;
    private final Client client;
    private final ClusterService clusterService;
    private final NamedXContentRegistry registry;

    @Inject
    public TransportRagAction(
        TransportService transportService,
        ActionFilters actionFilters,
        RagService rag,
        EmbeddingService embeddings,
        Client client,
        ClusterService clusterService,
        NamedXContentRegistry registry
    ) {
        super(RagAction.NAME, transportService, actionFilters, RagAction.Request::new);
        this.transportService = transportService;
        this.rag = rag;
        this.embeddings = embeddings;
        this.client = client;
        this.clusterService = clusterService;
        this.registry = registry;
    }

    @Override
    protected void doExecute(Task task, RagAction.Request request, ActionListener<RagAction.Response> listener) {
        RagRequest parsed;
        try {
            parsed = request.rag(registry);
        } catch (RuntimeException e) {
            listener.onFailure(e);
            return;
        }
        if (embeddings.registry().loadsModels() == false) {
            forward(task, request, parsed, listener);
            return;
        }
        CancellableTask cancellable = task instanceof CancellableTask c ? c : null;
        rag.answer(
            new ParentTaskAssigningClient(client, clusterService.localNode(), task),
            registry,
            request.indices(),
            parsed,
            () -> cancellable != null && cancellable.isCancelled(),
            ActionListener.map(listener, RagAction.Response::new)
        );
    }

    private void forward(Task task, RagAction.Request request, RagRequest parsed, ActionListener<RagAction.Response> listener) {
        // The same question goes to the same node, whose query cache holds its vector and the sentences it cited.
        DiscoveryNode target;
        try {
            target = NodesWithModels.target(clusterService, parsed.question().hashCode(), "[_rag]");
        } catch (IllegalArgumentException e) {
            listener.onFailure(e);
            return;
        }
        transportService.sendChildRequest(
            target,
            RagAction.NAME,
            request,
            task,
            TransportRequestOptions.EMPTY,
            new ActionListenerResponseHandler<>(listener, RagAction.Response::new)
        );
    }
}
