package io.semanticsearch.query;

import io.semanticsearch.WireFormat;
import io.semanticsearch.embed.InputType;

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
import java.util.List;

/**
 * Embeds the texts of a search on another node, for a node that loads no models ({@code plugins.semantic.models.load:
 * false}): the text of a {@code semantic} query it coordinates, or the sentences a {@code semantic_sentences}
 * highlight ranks on a shard it holds. An indices action on the searched indices, so that whoever may search them may
 * have their texts embedded, as on a node with models.
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
        private final InputType inputType;
        private final List<String> texts;
        // Where to embed; null once it arrived there. Never sent.
        @Nullable
        private final DiscoveryNode target;

        /**
         * @param model       the model's name; null for the default model
         * @param fingerprint the files the mapping recorded for it; null where it recorded none
         */
        public Request(
            String[] indices,
            String field,
            @Nullable String model,
            @Nullable String fingerprint,
            InputType inputType,
            List<String> texts,
            @Nullable DiscoveryNode target
        ) {
            this.indices = indices;
            this.field = field;
            this.model = model;
            this.fingerprint = fingerprint;
            this.inputType = inputType;
            this.texts = List.copyOf(texts);
            this.target = target;
        }

        public Request(StreamInput in) throws IOException {
            super(in);
            int version = WireFormat.readHeader(in, NAME + " request");
            this.indices = in.readStringArray();
            this.field = in.readString();
            this.model = in.readOptionalString();
            this.fingerprint = in.readOptionalString();
            if (version >= 2) {
                this.inputType = in.readEnum(InputType.class);
                this.texts = in.readStringList();
            } else {
                // Version 1 carried one query text.
                this.inputType = InputType.QUERY;
                this.texts = List.of(in.readString());
            }
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
            out.writeEnum(inputType);
            out.writeStringCollection(texts);
        }

        /** The same request, to be embedded where it arrives. */
        Request arrived() {
            return new Request(indices, field, model, fingerprint, inputType, texts, null);
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

        InputType inputType() {
            return inputType;
        }

        List<String> texts() {
            return texts;
        }

        @Nullable
        DiscoveryNode target() {
            return target;
        }
    }

    public static final class Response extends ActionResponse {
        private final float[][] vectors;
        private final String model;

        public Response(float[][] vectors, String model) {
            this.vectors = vectors;
            this.model = model;
        }

        public Response(StreamInput in) throws IOException {
            super(in);
            int version = WireFormat.readHeader(in, NAME + " answer");
            if (version >= 2) {
                this.vectors = new float[in.readVInt()][];
                for (int i = 0; i < vectors.length; i++) {
                    vectors[i] = in.readFloatArray();
                }
            } else {
                this.vectors = new float[][] { in.readFloatArray() };
            }
            this.model = in.readString();
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            WireFormat.writeHeader(out);
            out.writeVInt(vectors.length);
            for (float[] vector : vectors) {
                out.writeFloatArray(vector);
            }
            out.writeString(model);
        }

        /** One vector per text, in the request's order. */
        public float[][] vectors() {
            return vectors;
        }

        /** The model that embedded them, by name. */
        public String model() {
            return model;
        }
    }
}
