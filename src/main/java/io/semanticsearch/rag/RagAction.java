package io.semanticsearch.rag;

import io.semanticsearch.WireFormat;

import org.opensearch.action.ActionRequest;
import org.opensearch.action.ActionRequestValidationException;
import org.opensearch.action.ActionType;
import org.opensearch.action.IndicesRequest;
import org.opensearch.action.support.IndicesOptions;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.tasks.TaskId;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.core.xcontent.ToXContentObject;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.tasks.CancellableTask;
import org.opensearch.tasks.Task;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /{index}/_rag} as an action, so that it is a task: {@code _tasks} lists it, {@code _tasks/_cancel} and a
 * closed connection stop it, its searches with it (they are its child tasks).
 */
public final class RagAction extends ActionType<RagAction.Response> {

    public static final String NAME = "indices:data/read/semantic/rag";
    public static final RagAction INSTANCE = new RagAction();

    private RagAction() {
        super(NAME, Response::new);
    }

    /**
     * A {@code _rag} request: its body as it came, parsed where it came in (so that a bad one is a 400 at once) and
     * again on the node it is sent to when that node loads no models, with that node's query DSL parsers.
     */
    public static final class Request extends ActionRequest implements IndicesRequest {
        private final String[] indices;
        private final Map<String, Object> body;
        private RagRequest rag;

        public Request(String[] indices, Map<String, Object> body, RagRequest rag) {
            this.indices = indices;
            this.body = body;
            this.rag = rag;
        }

        public Request(StreamInput in) throws IOException {
            super(in);
            WireFormat.readHeader(in, NAME + " request");
            indices = in.readStringArray();
            body = in.readMap();
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            super.writeTo(out);
            WireFormat.writeHeader(out);
            out.writeStringArray(indices);
            out.writeMap(body);
        }

        @Override
        public String[] indices() {
            return indices;
        }

        @Override
        public IndicesOptions indicesOptions() {
            return IndicesOptions.strictExpandOpenAndForbidClosed();
        }

        /** The parsed request; parsed here, with {@code registry}, when it arrived from another node. */
        public RagRequest rag(NamedXContentRegistry registry) {
            if (rag == null) {
                rag = RagRequest.parse(body, registry);
            }
            return rag;
        }

        @Override
        public ActionRequestValidationException validate() {
            return null;
        }

        @Override
        public Task createTask(long id, String type, String action, TaskId parentTaskId, Map<String, String> headers) {
            return new CancellableTask(id, type, action, getDescription(), parentTaskId, headers) {
                @Override
                public boolean shouldCancelChildrenOnCancellation() {
                    return true;
                }
            };
        }

        @Override
        public String getDescription() {
            return "rag " + List.of(indices) + " field [" + body.get("field") + "] question [" + body.get("question") + "]";
        }
    }

    /** The answer, its citations and timings: {@link RagResponse} on the wire. */
    public static final class Response extends ActionResponse implements ToXContentObject {
        private final RagResponse rag;

        public Response(RagResponse rag) {
            this.rag = rag;
        }

        public Response(StreamInput in) throws IOException {
            super(in);
            int version = WireFormat.readHeader(in, NAME + " answer");
            String answer = in.readOptionalString();
            int count = in.readVInt();
            List<Citation> citations = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                citations.add(new Citation(in.readVInt(), in.readString(), in.readString(), in.readString(), in.readOptionalVInt(), in.readDouble()));
            }
            String generator = in.readString();
            String answerModel = version >= 2 ? in.readOptionalString() : null;
            long retrieval = in.readVLong();
            long generation = in.readVLong();
            LlmException error = in.readBoolean() ? new LlmException(in.readString(), in.readString()) : null;
            this.rag = new RagResponse(answer, citations, generator, answerModel, retrieval, generation, error);
        }

        public RagResponse rag() {
            return rag;
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            WireFormat.writeHeader(out);
            out.writeOptionalString(rag.answer());
            out.writeVInt(rag.citations().size());
            for (Citation citation : rag.citations()) {
                out.writeVInt(citation.n());
                out.writeString(citation.index());
                out.writeString(citation.id());
                out.writeString(citation.passage());
                out.writeOptionalVInt(citation.offset());
                out.writeDouble(citation.score());
            }
            out.writeString(rag.generator());
            out.writeOptionalString(rag.answerModel());
            out.writeVLong(rag.retrievalMillis());
            out.writeVLong(rag.generationMillis());
            out.writeBoolean(rag.error() != null);
            if (rag.error() != null) {
                out.writeString(rag.error().type());
                out.writeString(rag.error().getMessage());
            }
        }

        @Override
        public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
            return rag.toXContent(builder, params);
        }
    }
}
