package io.semanticsearch.ingest;

import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.TransportAction;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.tasks.CancellableTask;
import org.opensearch.tasks.Task;
import org.opensearch.transport.TransportService;

/** Runs {@link BulkInferenceAction} where it was asked, as a cancellable task; local only, so no transport handler. */
public final class TransportBulkInferenceAction extends TransportAction<BulkInferenceAction.Request, BulkInferenceAction.Response> {

    @Inject
    public TransportBulkInferenceAction(TransportService transportService, ActionFilters actionFilters) {
        super(BulkInferenceAction.NAME, actionFilters, transportService.getTaskManager());
    }

    @Override
    protected void doExecute(Task task, BulkInferenceAction.Request request, ActionListener<BulkInferenceAction.Response> listener) {
        CancellableTask cancellable = task instanceof CancellableTask c ? c : null;
        request.work().run(() -> cancellable != null && cancellable.isCancelled(), () -> listener.onResponse(BulkInferenceAction.Response.INSTANCE));
    }
}
