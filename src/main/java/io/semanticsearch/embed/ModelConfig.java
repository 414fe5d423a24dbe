package io.semanticsearch.embed;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a model folder's {@code model.json} says about its model: name, vector size, pooling and the prefixes
 * the model was trained with. Immutable; {@link #load} reads and validates the file once, at node start.
 *
 * <p>Required: {@code name}, {@code dims}, {@code pooling}, {@code max_tokens}. Optional, with defaults:
 * {@code description} (""), {@code normalize} (true), {@code query_prefix} and {@code passage_prefix} (""),
 * {@code languages} ([]), {@code license} ("unknown"), {@code quantized_from} (none), {@code default} (false),
 * {@code chunking} (200 tokens, 40 repeated).
 *
 * @param name           the name users refer to the model by (lower case, digits, {@code . _ -})
 * @param description    one line for humans
 * @param dims           length of the vectors the model produces
 * @param pooling        how token vectors become one text vector
 * @param normalize      whether vectors are scaled to unit length
 * @param maxTokens      tokens per text the model reads, {@code [CLS]} and {@code [SEP]} included
 * @param queryPrefix    text put before a query (some models, e.g. bge, were trained with one)
 * @param passagePrefix  text put before a passage
 * @param languages      languages the model was trained for (ISO 639-1 codes)
 * @param license        the model's license (SPDX identifier)
 * @param quantizedFrom  the model this one is a quantized build of, null when it is none: the extractive answerer
 *                       scores sentences with such a variant of the field's model (docs/rag.md)
 * @param isDefault      whether this model is used when a request names none
 * @param chunking       how a {@code semantic_text} field of this model cuts its text by default, as chosen by
 *                       measurement for the model (docs/models.md)
 */
public record ModelConfig(
    String name,
    String description,
    int dims,
    Pooling pooling,
    boolean normalize,
    int maxTokens,
    String queryPrefix,
    String passagePrefix,
    List<String> languages,
    String license,
    String quantizedFrom,
    boolean isDefault,
    Chunking chunking
) {

    /**
     * Passages of at most {@code maxTokens} tokens, each repeating {@code overlapTokens} of the one before.
     * 200 and 40 for every bundled model: on the known-item sets of docs/models.md, longer passages and whole
     * documents score the same (within 0.003 MRR@10) and shorter ones lose (128 tokens: up to 0.012).
     */
    public record Chunking(int maxTokens, int overlapTokens) {
        public static final Chunking DEFAULT = new Chunking(200, 40);
    }

    /** The file name of the configuration inside a model folder. */
    public static final String FILE_NAME = "model.json";

    // Names end up in REST paths, mappings and file names: keep them to characters that need no escaping.
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    // [CLS], at least one text token, [SEP].
    private static final int MIN_TOKENS = 3;
    private static final Set<String> KEYS = Set.of(
        "name",
        "description",
        "dims",
        "pooling",
        "normalize",
        "max_tokens",
        "query_prefix",
        "passage_prefix",
        "languages",
        "license",
        "quantized_from",
        "default",
        "chunking"
    );
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public ModelConfig {
        languages = List.copyOf(languages);
    }

    /**
     * Reads and validates {@code model.json}.
     *
     * @throws IllegalArgumentException naming the file, the field and the fix when the file is invalid
     * @throws IOException              when the file cannot be read
     */
    public static ModelConfig load(Path file) throws IOException {
        JsonNode root;
        try (InputStream in = Files.newInputStream(file)) {
            root = JSON.readTree(in);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("cannot parse " + file + " as JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || root.isObject() == false) {
            throw new IllegalArgumentException(file + " must hold a JSON object, got [" + root + "]");
        }
        Reader reader = new Reader(root, file);
        reader.rejectUnknownKeys();
        String name = reader.string("name", false);
        if (NAME.matcher(name).matches() == false) {
            throw reader.invalid("name", "must start with a lower-case letter or digit and hold only those, '.', '_' or '-'", name);
        }
        int maxTokens = reader.positiveInt("max_tokens", MIN_TOKENS);
        return new ModelConfig(
            name,
            reader.has("description") ? reader.string("description", true) : "",
            reader.positiveInt("dims", 1),
            reader.pooling(),
            reader.has("normalize") ? reader.bool("normalize") : true,
            maxTokens,
            reader.has("query_prefix") ? reader.string("query_prefix", true) : "",
            reader.has("passage_prefix") ? reader.string("passage_prefix", true) : "",
            reader.has("languages") ? reader.languages() : List.of(),
            reader.has("license") ? reader.string("license", false) : "unknown",
            reader.quantizedFrom(name),
            reader.optionalBool("default"),
            reader.has("chunking") ? reader.chunking(maxTokens) : Chunking.DEFAULT
        );
    }

    /** Field accessors that fail with one message style: field, file, what is expected, what was found. */
    private record Reader(JsonNode root, Path file) {

        void rejectUnknownKeys() {
            for (Iterator<String> names = root.fieldNames(); names.hasNext();) {
                String key = names.next();
                if (KEYS.contains(key) == false) {
                    throw new IllegalArgumentException(
                        "unknown key [" + key + "] in " + file + "; remove it or use one of " + KEYS.stream().sorted().toList()
                    );
                }
            }
        }

        /** Whether an optional field is given; absent optional fields take their documented default. */
        boolean has(String field) {
            JsonNode node = root.get(field);
            return node != null && node.isNull() == false;
        }

        JsonNode required(String field) {
            JsonNode node = root.get(field);
            if (node == null || node.isNull()) {
                throw new IllegalArgumentException("[" + field + "] is required in " + file);
            }
            return node;
        }

        IllegalArgumentException invalid(String field, String expectation, Object got) {
            return new IllegalArgumentException("[" + field + "] " + expectation + " in " + file + ", got [" + got + "]");
        }

        String string(String field, boolean mayBeEmpty) {
            JsonNode node = required(field);
            if (node.isTextual() == false) {
                throw invalid(field, "must be a string", node);
            }
            if (mayBeEmpty == false && node.textValue().isBlank()) {
                throw invalid(field, "must not be empty", node.textValue());
            }
            return node.textValue();
        }

        int positiveInt(String field, int min) {
            JsonNode node = required(field);
            if (node.isIntegralNumber() == false || node.canConvertToInt() == false || node.intValue() < min) {
                throw invalid(field, min == 1 ? "must be a positive integer" : "must be an integer of at least " + min, node);
            }
            return node.intValue();
        }

        boolean optionalBool(String field) {
            JsonNode node = root.get(field);
            return node != null && node.isNull() == false && bool(field);
        }

        boolean bool(String field) {
            JsonNode node = required(field);
            if (node.isBoolean() == false) {
                throw invalid(field, "must be true or false", node);
            }
            return node.booleanValue();
        }

        String quantizedFrom(String name) {
            if (has("quantized_from") == false) {
                return null;
            }
            String value = string("quantized_from", false);
            if (NAME.matcher(value).matches() == false) {
                throw invalid("quantized_from", "must be the name of another model", value);
            }
            if (value.equals(name)) {
                throw invalid("quantized_from", "must name the model this one was quantized from, not this model [" + name + "]", value);
            }
            return value;
        }

        /** {@code {"max_tokens": n, "overlap_tokens": m}}: passages that fit the model with its special tokens. */
        Chunking chunking(int modelMaxTokens) {
            JsonNode node = required("chunking");
            JsonNode max = node.get("max_tokens");
            JsonNode overlap = node.get("overlap_tokens");
            if (node.isObject() == false || node.size() != 2 || max == null || overlap == null || max.canConvertToInt() == false
                || max.isIntegralNumber() == false || overlap.isIntegralNumber() == false || overlap.canConvertToInt() == false) {
                throw invalid("chunking", "must be {\"max_tokens\": n, \"overlap_tokens\": m} with integers", node);
            }
            int maxTokens = max.intValue();
            int overlapTokens = overlap.intValue();
            if (maxTokens < 1 || maxTokens > modelMaxTokens - 2) {
                throw invalid("chunking", "[max_tokens] must be between 1 and [max_tokens] - 2 = " + (modelMaxTokens - 2), maxTokens);
            }
            if (overlapTokens < 0 || overlapTokens >= maxTokens) {
                throw invalid("chunking", "[overlap_tokens] must be at least 0 and less than [max_tokens] " + maxTokens, overlapTokens);
            }
            return new Chunking(maxTokens, overlapTokens);
        }

        Pooling pooling() {
            String value = string("pooling", false);
            try {
                return Pooling.fromName(value);
            } catch (IllegalArgumentException e) {
                throw invalid("pooling", "must be one of " + Pooling.names(), value);
            }
        }

        List<String> languages() {
            JsonNode node = required("languages");
            if (node.isArray() == false || node.isEmpty()) {
                throw invalid("languages", "must be a non-empty array of language codes such as [\"en\"]", node);
            }
            List<String> languages = new ArrayList<>();
            for (JsonNode language : node) {
                if (language.isTextual() == false || language.textValue().isBlank()) {
                    throw invalid("languages", "must hold only non-empty strings such as \"en\"", node);
                }
                languages.add(language.textValue());
            }
            return languages;
        }
    }
}
