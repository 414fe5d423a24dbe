package io.semanticsearch.ingest;

import org.opensearch.action.ActionRequest;
import org.opensearch.action.ActionRequestValidationException;
import org.opensearch.action.ActionType;
import org.opensearch.action.IndicesRequest;
import org.opensearch.action.support.IndicesOptions;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.tasks.TaskId;
import org.opensearch.tasks.CancellableTask;
import org.opensearch.tasks.Task;

import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The inference of one bulk request's documents as a task: {@code _tasks?actions=*semantic*} lists it while the bulk
 * is being embedded, and {@code _tasks/_cancel} stops it between model runs; the documents it had not embedded yet
 * then fail (each with a {@code task_cancelled_exception}), those embedded are indexed. The bulk itself is not
 * cancellable in OpenSearch, so this is the part of it that can be stopped.
 */
public final class BulkInferenceAction extends ActionType<BulkInferenceAction.Response> {

    public static final String NAME = "indices:data/write/semantic/embed_documents";
    public static final BulkInferenceAction INSTANCE = new BulkInferenceAction();

    private BulkInferenceAction() {
        super(NAME, in -> Response.INSTANCE);
    }

    /** The embedding work of one bulk: it runs once, is told when the task is cancelled, and says when it is done. */
    @FunctionalInterface
    public interface Work {
        void run(BooleanSupplier cancelled, Runnable done);
    }

    /**
     * One bulk's inference. It runs on the node whose ingest service has the documents, so it is never sent. An
     * {@link IndicesRequest}: the security plugin checks it against the documents' indices, as it checks the bulk.
     */
    public static final class Request extends ActionRequest implements IndicesRequest {
        private final String[] indices;
        private final String description;
        private final Work work;

        public Request(String[] indices, String description, Work work) {
            this.indices = indices;
            this.description = description;
            this.work = work;
        }

        @Override
        public String[] indices() {
            return indices;
        }

        @Override
        public IndicesOptions indicesOptions() {
            // Lenient: a bulk may target an index that it is about to create.
            return IndicesOptions.lenientExpandOpen();
        }

        Work work() {
            return work;
        }

        @Override
        public void writeTo(StreamOutput out) {
            throw new UnsupportedOperationException("[" + NAME + "] runs on the node that embeds the documents and is never sent");
        }

        @Override
        public ActionRequestValidationException validate() {
            return null;
        }

        @Override
        public Task createTask(long id, String type, String action, TaskId parentTaskId, Map<String, String> headers) {
            return new CancellableTask(id, type, action, description, parentTaskId, headers) {
                @Override
                public boolean shouldCancelChildrenOnCancellation() {
                    return false;
                }
            };
        }

        @Override
        public String getDescription() {
            return description;
        }
    }

    /** Nothing: the documents are answered through the ingest service, not through this response. */
    public static final class Response extends ActionResponse {
        static final Response INSTANCE = new Response();

        @Override
        public void writeTo(StreamOutput out) {}
    }
}
