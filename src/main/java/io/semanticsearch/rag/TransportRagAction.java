package io.semanticsearch.rag;

import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.HandledTransportAction;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.tasks.CancellableTask;
import org.opensearch.tasks.Task;
import org.opensearch.transport.TransportService;
import org.opensearch.transport.client.Client;
import org.opensearch.transport.client.ParentTaskAssigningClient;

/**
 * Runs {@link RagAction} on the node that received it: its searches are child tasks (cancelled with it), and its
 * generation stops between model runs once it is cancelled. The caller's thread context (identity, headers) carries
 * through to the searches, so the security plugin checks them as the caller's own.
 */
public final class TransportRagAction extends HandledTransportAction<RagAction.Request, RagAction.Response> {

    private final RagService rag;
    private final Client client;
    private final ClusterService clusterService;
    private final NamedXContentRegistry registry;

    @Inject
    public TransportRagAction(
        TransportService transportService,
        ActionFilters actionFilters,
        RagService rag,
        Client client,
        ClusterService clusterService,
        NamedXContentRegistry registry
    ) {
        super(RagAction.NAME, transportService, actionFilters, in -> {
            throw new UnsupportedOperationException("[" + RagAction.NAME + "] is never sent");
        });
        this.rag = rag;
        this.client = client;
        this.clusterService = clusterService;
        this.registry = registry;
    }

    @Override
    protected void doExecute(Task task, RagAction.Request request, ActionListener<RagAction.Response> listener) {
        CancellableTask cancellable = task instanceof CancellableTask c ? c : null;
        rag.answer(
            new ParentTaskAssigningClient(client, clusterService.localNode(), task),
            registry,
            request.indices(),
            request.rag(),
            () -> cancellable != null && cancellable.isCancelled(),
            ActionListener.map(listener, RagAction.Response::new)
        );
    }
}
