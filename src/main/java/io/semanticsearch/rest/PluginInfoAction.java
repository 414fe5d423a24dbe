package io.semanticsearch.rest;

import org.opensearch.action.ActionRequest;
import org.opensearch.action.ActionRequestValidationException;
import org.opensearch.action.ActionType;
import org.opensearch.action.support.ActionFilters;
import org.opensearch.action.support.TransportAction;
import org.opensearch.common.inject.Inject;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.tasks.Task;
import org.opensearch.transport.TransportService;

/**
 * {@code GET /_plugins/_semantic} as an action of its own ({@code cluster:monitor/semantic/info}), so that the
 * security plugin can grant or deny it like the plugin's other APIs. It answers from the node that received it
 * (what is installed here), so it is never sent.
 */
public final class PluginInfoAction extends ActionType<PluginInfoAction.Response> {

    public static final String NAME = "cluster:monitor/semantic/info";
    public static final PluginInfoAction INSTANCE = new PluginInfoAction();

    private PluginInfoAction() {
        super(NAME, in -> Response.INSTANCE);
    }

    public static final class Request extends ActionRequest {
        @Override
        public ActionRequestValidationException validate() {
            return null;
        }

        @Override
        public void writeTo(StreamOutput out) {
            throw new UnsupportedOperationException("[" + NAME + "] answers on the node that received it and is never sent");
        }
    }

    /** Nothing but the permission: the REST layer writes what this node has installed. */
    public static final class Response extends ActionResponse {
        static final Response INSTANCE = new Response();

        @Override
        public void writeTo(StreamOutput out) {}
    }

    public static final class Transport extends TransportAction<Request, Response> {
        @Inject
        public Transport(TransportService transportService, ActionFilters actionFilters) {
            super(NAME, actionFilters, transportService.getTaskManager());
        }

        @Override
        protected void doExecute(Task task, Request request, ActionListener<Response> listener) {
            listener.onResponse(Response.INSTANCE);
        }
    }
}
