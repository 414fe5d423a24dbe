package io.semanticsearch.rag;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.BodyValues;
import io.semanticsearch.JsonTypeNames;
import io.semanticsearch.ranking.Fusion;

import org.opensearch.common.xcontent.XContentFactory;
import org.opensearch.common.xcontent.XContentType;
import org.opensearch.core.common.bytes.BytesReference;
import org.opensearch.core.xcontent.DeprecationHandler;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.index.query.AbstractQueryBuilder;
import org.opensearch.index.query.QueryBuilder;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The body of {@code POST /{index}/_rag}, validated: every problem is an {@link IllegalArgumentException} (HTTP
 * 400) naming the parameter and the value received.
 *
 * @param textField    the text field BM25 searches in hybrid retrieval, and the passage text when {@code field} is
 *                     a plain {@code semantic_vector} field; may be null
 * @param retrieval    how documents are found; null when the request leaves it to the field ({@link #forField})
 * @param filter       a query the retrieved documents must match; may be null
 * @param fusion       how hybrid retrieval merges its two rankings
 * @param prompt       the user-message template of an LLM connector; null for the default
 * @param minScore     the least cosine similarity a sentence needs to be extracted (extractive only)
 * @param answerModel  the model the extractive answerer embeds the question and sentences with; null for its
 *                     default, the field model's quantized variant where one is loaded (see RagService)
 */
public record RagRequest(
    String question,
    String field,
    String textField,
    Retrieval retrieval,
    int k,
    Fusion fusion,
    QueryBuilder filter,
    String generator,
    int maxContextTokens,
    String prompt,
    double minScore,
    String answerModel
) {

    /** How documents are found. */
    public enum Retrieval {
        /** The {@code semantic} query alone. */
        SEMANTIC,
        /** BM25 on {@code text_field} and the {@code semantic} query, fused ({@link Fusion}). */
        HYBRID;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final int DEFAULT_K = 5;
    public static final int MAX_K = 100;
    public static final int DEFAULT_MAX_CONTEXT_TOKENS = 2000;
    static final int MIN_CONTEXT_TOKENS = 16;
    static final int MAX_CONTEXT_TOKENS = 100_000;

    private static final List<String> FIELDS = List.of(
        "question",
        "field",
        "text_field",
        "retrieval",
        "k",
        "fusion",
        "rank_constant",
        "semantic_weight",
        "normalizer",
        "filter",
        "generator",
        "max_context_tokens",
        "prompt",
        "min_score",
        "answer_model"
    );

    /** Reads and validates a request body; {@code registry} parses the {@code filter} query. */
    public static RagRequest parse(Map<String, Object> body, NamedXContentRegistry registry) {
        for (String key : body.keySet()) {
            if (FIELDS.contains(key) == false) {
                throw new IllegalArgumentException("[_rag] does not support [" + key + "]; supported: " + FIELDS);
            }
        }
        String question = requiredString(body, "question");
        // Characters as a reader counts them: an emoji is one, not the two UTF-16 units Java's length() sees.
        int characters = question.codePointCount(0, question.length());
        if (characters > EmbeddingModel.MAX_QUERY_CHARS) {
            throw new IllegalArgumentException("[question] must be at most [" + EmbeddingModel.MAX_QUERY_CHARS + "] characters, got [" + characters + "]");
        }
        String field = requiredString(body, "field");
        String textField = BodyValues.optionalString(body, "text_field");
        // Null: decided by the field, once its mapping is known (see forField): hybrid for a semantic_text field.
        String retrievalName = BodyValues.optionalString(body, "retrieval");
        Retrieval retrieval = retrievalName == null && textField == null ? null : parseRetrieval(retrievalName, textField);
        int k = BodyValues.optionalInt(body, "k", DEFAULT_K, 1, MAX_K);
        Fusion fusion = parseFusion(body, retrieval);
        QueryBuilder filter = parseFilter(body.get("filter"), registry);
        String generator = BodyValues.optionalString(body, "generator");
        if (generator == null) {
            generator = ExtractiveAnswerer.NAME;
        }
        boolean extractive = generator.equals(ExtractiveAnswerer.NAME);
        int maxContextTokens = BodyValues.optionalInt(body, "max_context_tokens", DEFAULT_MAX_CONTEXT_TOKENS, MIN_CONTEXT_TOKENS, MAX_CONTEXT_TOKENS);
        String prompt = BodyValues.optionalString(body, "prompt");
        if (prompt != null) {
            if (extractive) {
                throw new IllegalArgumentException("[prompt] applies to LLM connectors only; [generator] [extractive] uses no prompt");
            }
            PromptBuilder.validateTemplate(prompt);
        }
        if (body.containsKey("min_score") && extractive == false) {
            throw new IllegalArgumentException("[min_score] applies to [generator] [extractive] only, got [generator] [" + generator + "]");
        }
        double minScore = BodyValues.optionalDouble(body, "min_score", ExtractiveAnswerer.DEFAULT_MIN_SCORE, -1, 1);
        String answerModel = BodyValues.optionalString(body, "answer_model");
        if (answerModel != null) {
            if (extractive == false) {
                throw new IllegalArgumentException(
                    "[answer_model] applies to [generator] [extractive] only, got [generator] [" + generator + "]"
                );
            }
            if (answerModel.isBlank()) {
                throw new IllegalArgumentException("[answer_model] must name a loaded model (GET _plugins/_semantic/models), got [" + answerModel + "]");
            }
        }
        return new RagRequest(
            question,
            field,
            textField,
            retrieval,
            k,
            fusion,
            filter,
            generator,
            maxContextTokens,
            prompt,
            minScore,
            answerModel
        );
    }

    private static Retrieval parseRetrieval(String value, String textField) {
        if (value == null) {
            // Hybrid whenever it is possible: BM25 rescues exact names and rare words that embeddings blur.
            return textField == null ? Retrieval.SEMANTIC : Retrieval.HYBRID;
        }
        Retrieval retrieval;
        try {
            retrieval = Retrieval.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[retrieval] must be [semantic] or [hybrid], got [" + value + "]");
        }
        return retrieval;
    }

    /**
     * This request as it runs on {@code passages}: a {@code semantic_text} field is its own {@code text_field}, and
     * retrieval left unset is hybrid wherever there is a text field to search with BM25.
     *
     * @throws IllegalArgumentException when hybrid retrieval has no text field
     */
    RagRequest forField(PassageField passages) {
        String text = textField != null ? textField : passages.ownText();
        Retrieval effective = retrieval != null ? retrieval : text != null ? Retrieval.HYBRID : Retrieval.SEMANTIC;
        if (effective == Retrieval.HYBRID && text == null) {
            throw new IllegalArgumentException("[retrieval] [hybrid] needs [text_field], the text field BM25 searches");
        }
        return new RagRequest(question, field, text, effective, k, fusion, filter, generator, maxContextTokens, prompt, minScore, answerModel);
    }

    private static Fusion parseFusion(Map<String, Object> body, Retrieval retrieval) {
        for (String key : Fusion.OPTIONS) {
            if (body.containsKey(key) && retrieval == Retrieval.SEMANTIC) {
                throw new IllegalArgumentException("[" + key + "] applies to [retrieval] [hybrid] only, got [retrieval] [" + retrieval + "]");
            }
        }
        return Fusion.parse(body);
    }

    private static QueryBuilder parseFilter(Object value, NamedXContentRegistry registry) {
        if (value == null) {
            return null;
        }
        if (value instanceof Map<?, ?> == false) {
            throw new IllegalArgumentException("[filter] must be a query object such as {\"term\": {\"lang\": \"en\"}}, got [" + JsonTypeNames.of(value) + "]");
        }
        try (XContentBuilder json = XContentFactory.jsonBuilder().map(castMap(value))) {
            try (
                XContentParser parser = XContentType.JSON.xContent()
                    .createParser(registry, DeprecationHandler.THROW_UNSUPPORTED_OPERATION, BytesReference.bytes(json).streamInput())
            ) {
                return AbstractQueryBuilder.parseInnerQueryBuilder(parser);
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("[filter] is not a valid query: " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object value) {
        return (Map<String, Object>) value;
    }

    private static String requiredString(Map<String, Object> body, String key) {
        String value = BodyValues.optionalString(body, key);
        if (value == null) {
            throw new IllegalArgumentException("[" + key + "] is required");
        }
        if (value.isBlank()) {
            throw new IllegalArgumentException("[" + key + "] must not be blank, got [" + value + "]");
        }
        return value;
    }
}
