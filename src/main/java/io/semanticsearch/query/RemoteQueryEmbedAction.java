package io.semanticsearch.query;

import io.semanticsearch.WireFormat;

import org.opensearch.action.ActionRequest;
import org.opensearch.action.ActionRequestValidationException;
import org.opensearch.action.ActionType;
import org.opensearch.action.IndicesRequest;
import org.opensearch.action.support.IndicesOptions;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.common.Nullable;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;

import java.io.IOException;

/**
 * Embeds a query text on another node: what a node that loads no models ({@code plugins.semantic.models.load:
 * false}) does with the text of a {@code semantic} query it coordinates. An indices action on the searched indices,
 * so that whoever may search them may have their query embedded, as on a node with models.
 */
public final class RemoteQueryEmbedAction extends ActionType<RemoteQueryEmbedAction.Response> {

    public static final String NAME = "indices:data/read/semantic/embed_query";
    public static final RemoteQueryEmbedAction INSTANCE = new RemoteQueryEmbedAction();

    private RemoteQueryEmbedAction() {
        super(NAME, Response::new);
    }

    public static final class Request extends ActionRequest implements IndicesRequest {
        private final String[] indices;
        private final String field;
        @Nullable
        private final String model;
        @Nullable
        private final String fingerprint;
        private final String text;
        // Where to embed; null once it arrived there. Never sent.
        @Nullable
        private final DiscoveryNode target;

        public Request(String[] indices, String field, @Nullable String model, @Nullable String fingerprint, String text, @Nullable DiscoveryNode target) {
            this.indices = indices;
            this.field = field;
            this.model = model;
            this.fingerprint = fingerprint;
            this.text = text;
            this.target = target;
        }

        public Request(StreamInput in) throws IOException {
            super(in);
            WireFormat.readHeader(in, NAME + " request");
            this.indices = in.readStringArray();
            this.field = in.readString();
            this.model = in.readOptionalString();
            this.fingerprint = in.readOptionalString();
            this.text = in.readString();
            this.target = null;
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            super.writeTo(out);
            WireFormat.writeHeader(out);
            out.writeStringArray(indices);
            out.writeString(field);
            out.writeOptionalString(model);
            out.writeOptionalString(fingerprint);
            out.writeString(text);
        }

        /** The same request, to be embedded where it arrives. */
        Request arrived() {
            return new Request(indices, field, model, fingerprint, text, null);
        }

        @Override
        public String[] indices() {
            return indices;
        }

        @Override
        public IndicesOptions indicesOptions() {
            return IndicesOptions.lenientExpandOpen();
        }

        @Override
        public ActionRequestValidationException validate() {
            return null;
        }

        String field() {
            return field;
        }

        @Nullable
        String model() {
            return model;
        }

        @Nullable
        String fingerprint() {
            return fingerprint;
        }

        String text() {
            return text;
        }

        @Nullable
        DiscoveryNode target() {
            return target;
        }
    }

    public static final class Response extends ActionResponse {
        private final float[] vector;
        private final String model;

        public Response(float[] vector, String model) {
            this.vector = vector;
            this.model = model;
        }

        public Response(StreamInput in) throws IOException {
            super(in);
            WireFormat.readHeader(in, NAME + " answer");
            this.vector = in.readFloatArray();
            this.model = in.readString();
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            WireFormat.writeHeader(out);
            out.writeFloatArray(vector);
            out.writeString(model);
        }

        public float[] vector() {
            return vector;
        }

        /** The model that embedded it, by name. */
        public String model() {
            return model;
        }
    }
}
