package io.semanticsearch.ingest;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.InputType;
import io.semanticsearch.ingest.PassageChunker.Passage;
import io.semanticsearch.mapper.PassageIntegrity;
import io.semanticsearch.mapper.SourceText;
import io.semanticsearch.mapper.TextChunking;

import org.opensearch.common.Nullable;
import org.opensearch.core.action.ActionListener;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * How the strings of one source field become the value of its target field: with chunking, an array of passages
 * {@code {"text", "offset", "vector"}}; without, one vector per string (the model reads the first
 * {@code max_tokens} tokens of each). Also the hash that tells whether a stored target still matches its source.
 * Immutable and thread-safe.
 */
final class TextEmbedder {

    static final String TEXT = "text";
    static final String OFFSET = "offset";
    static final String VECTOR = "vector";
    /** Only in passages of an array of strings: the position of the string the passage comes from. */
    static final String ELEMENT = "element";

    private final EmbeddingService service;
    private final EmbeddingModel model;
    private final InputType inputType;
    @Nullable
    private final PassageChunker chunker;
    // Without a chunker: passages all the same (one per string), rather than bare vectors.
    private final boolean passages;
    // Everything besides the text that decides the target's value: a change to any of it must re-embed.
    private final String recipe;

    TextEmbedder(EmbeddingService service, EmbeddingModel model, InputType inputType, @Nullable PassageChunker chunker) {
        this(
            service,
            model,
            inputType,
            chunker,
            false,
            "model=" + model.name() + ";input_type=" + inputType.name().toLowerCase(Locale.ROOT)
                + (chunker == null ? "" : ";max_tokens=" + chunker.maxTokens() + ";overlap_tokens=" + chunker.overlapTokens())
        );
    }

    private TextEmbedder(
        EmbeddingService service,
        EmbeddingModel model,
        InputType inputType,
        @Nullable PassageChunker chunker,
        boolean passages,
        String recipe
    ) {
        this.service = service;
        this.model = model;
        this.inputType = inputType;
        this.chunker = chunker;
        this.passages = passages || chunker != null;
        this.recipe = recipe;
    }

    /**
     * For a {@code semantic_text} field: always passages (one per string without a chunker), and the hash of
     * {@link PassageIntegrity}, which also covers the model's fingerprint (so that vectors of other files under the
     * same model name are never reused) and which the field's mapper checks every document against.
     */
    static TextEmbedder forPassages(EmbeddingService service, EmbeddingModel model, @Nullable PassageChunker chunker) {
        TextChunking chunking = chunker == null ? TextChunking.NONE : new TextChunking(true, chunker.maxTokens(), chunker.overlapTokens());
        return new TextEmbedder(
            service,
            model,
            InputType.PASSAGE,
            chunker,
            true,
            PassageIntegrity.recipe(model.name(), model.fingerprint(), chunking)
        );
    }

    EmbeddingModel model() {
        return model;
    }

    InputType inputType() {
        return inputType;
    }

    @Nullable
    PassageChunker chunker() {
        return chunker;
    }

    /**
     * The SHA-256, in hex, of a source text together with the model, the input type and the chunking:
     * equal hashes mean that embedding again would give the same target value.
     */
    String hash(SourceText text) {
        return PassageIntegrity.hash(recipe, text.strings(), text.array());
    }

    /** Cuts a source text into the texts the model embeds, remembering how to put the vectors back. */
    Pending prepare(SourceText text) {
        List<String> strings = text.strings();
        if (passages == false) {
            // Text blank once normalised has no vector: the model's answer to no text would match nothing honestly.
            return new Pending(strings.stream().filter(model::hasTokens).toList(), null, null, text.array());
        }
        List<String> texts = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        List<Integer> elements = new ArrayList<>();
        for (int element = 0; element < strings.size(); element++) {
            if (chunker == null) {
                if (model.hasTokens(strings.get(element))) {
                    texts.add(strings.get(element));
                    offsets.add(0);
                    elements.add(element);
                }
                continue;
            }
            for (Passage passage : chunker.chunk(strings.get(element))) {
                texts.add(passage.text());
                offsets.add(passage.offset());
                elements.add(element);
            }
        }
        return new Pending(texts, offsets, elements, text.array());
    }

    /** Embeds {@code texts} on the ingest lane; {@code listener} is answered there. Stops once {@code cancelled} says so. */
    void embed(List<String> texts, BooleanSupplier cancelled, ActionListener<float[][]> listener) {
        service.embed(model, inputType, texts, EmbeddingService.Lane.INGEST, cancelled, listener);
    }

    /**
     * The texts of one source value and how their vectors become the target's value.
     *
     * @param offsets  with chunking, where each passage starts in its string; null without
     * @param elements with chunking, which string each passage comes from; null without
     */
    record Pending(List<String> texts, @Nullable List<Integer> offsets, @Nullable List<Integer> elements, boolean array) {

        /** The value of a target whose single text is blank: the document gets no vector there. */
        static final Object NO_VECTOR = new Object();

        /**
         * The target's value, from the vectors of {@link #texts()} found from {@code vectors[from]} on; {@link #NO_VECTOR}
         * for a single blank text without passages.
         */
        Object value(float[][] vectors, int from) {
            if (offsets == null) {
                if (array == false && texts.isEmpty()) {
                    return NO_VECTOR;
                }
                if (array == false) {
                    return asList(vectors[from]);
                }
                List<List<Float>> values = new ArrayList<>(texts.size());
                for (int i = 0; i < texts.size(); i++) {
                    values.add(asList(vectors[from + i]));
                }
                return values;
            }
            List<Map<String, Object>> passages = new ArrayList<>(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                Map<String, Object> passage = new HashMap<>();
                passage.put(TEXT, texts.get(i));
                passage.put(OFFSET, offsets.get(i));
                if (array) {
                    passage.put(ELEMENT, elements.get(i));
                }
                passage.put(VECTOR, asList(vectors[from + i]));
                passages.add(passage);
            }
            return passages;
        }

        // Lists, not float[]: every processor after this one, _simulate and the source writer expect JSON-like values.
        private static List<Float> asList(float[] vector) {
            List<Float> list = new ArrayList<>(vector.length);
            for (float v : vector) {
                list.add(v);
            }
            return list;
        }
    }
}
