package io.semanticsearch.embed;

import io.semanticsearch.WireFormat;

import org.opensearch.action.ActionRequest;
import org.opensearch.action.ActionRequestValidationException;
import org.opensearch.action.ActionType;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.tasks.TaskId;
import org.opensearch.core.xcontent.ToXContentObject;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.tasks.CancellableTask;
import org.opensearch.tasks.Task;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /_plugins/_semantic/_embed} as an action, so that it is a task: {@code _tasks} lists it and
 * {@code _tasks/_cancel} stops it, as does the client closing its connection; a cancelled call embeds nothing more.
 */
public final class EmbedAction extends ActionType<EmbedAction.Response> {

    public static final String NAME = "cluster:admin/semantic/embed";
    public static final EmbedAction INSTANCE = new EmbedAction();

    private EmbedAction() {
        super(NAME, Response::new);
    }

    /** What to embed: validated by the REST layer before it is built. */
    public static final class Request extends ActionRequest {
        private final String model;
        private final InputType inputType;
        private final List<String> texts;

        public Request(String model, InputType inputType, List<String> texts) {
            this.model = model;
            this.inputType = inputType;
            this.texts = List.copyOf(texts);
        }

        public Request(StreamInput in) throws IOException {
            super(in);
            WireFormat.readHeader(in, NAME + " request");
            model = in.readOptionalString();
            inputType = in.readEnum(InputType.class);
            texts = in.readStringList();
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            super.writeTo(out);
            WireFormat.writeHeader(out);
            out.writeOptionalString(model);
            out.writeEnum(inputType);
            out.writeStringCollection(texts);
        }

        public String model() {
            return model;
        }

        public InputType inputType() {
            return inputType;
        }

        public List<String> texts() {
            return texts;
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
                    return true; // the same call forwarded to a node that loads models
                }
            };
        }

        @Override
        public String getDescription() {
            return "embed [" + texts.size() + "] texts with model [" + (model == null ? "default" : model) + "] as [" + inputType + "]";
        }
    }

    /** The vectors, in the order of the texts. */
    public static final class Response extends ActionResponse implements ToXContentObject {
        private final String model;
        private final int dims;
        private final float[][] vectors;

        public Response(String model, int dims, float[][] vectors) {
            this.model = model;
            this.dims = dims;
            this.vectors = vectors;
        }

        public Response(StreamInput in) throws IOException {
            super(in);
            WireFormat.readHeader(in, NAME + " answer");
            model = in.readString();
            dims = in.readVInt();
            vectors = new float[in.readVInt()][];
            for (int i = 0; i < vectors.length; i++) {
                vectors[i] = in.readFloatArray();
            }
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            WireFormat.writeHeader(out);
            out.writeString(model);
            out.writeVInt(dims);
            out.writeVInt(vectors.length);
            for (float[] vector : vectors) {
                out.writeFloatArray(vector);
            }
        }

        @Override
        public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
            builder.startObject();
            builder.field("model", model);
            builder.field("dims", dims);
            builder.startArray("embeddings");
            for (float[] vector : vectors) {
                builder.value(vector);
            }
            builder.endArray();
            return builder.endObject();
        }
    }
}
