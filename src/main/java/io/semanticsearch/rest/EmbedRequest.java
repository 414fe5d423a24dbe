package io.semanticsearch.rest;

import io.semanticsearch.JsonTypeNames;
import io.semanticsearch.embed.InputType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The body of {@code POST /_plugins/_semantic/_embed}, validated: every problem is an
 * {@link IllegalArgumentException} (HTTP 400) that names the parameter and the fix.
 */
record EmbedRequest(String model, InputType inputType, List<String> texts) {

    private static final Set<String> FIELDS = Set.of("model", "input_type", "texts");

    static EmbedRequest parse(Map<String, Object> body, int maxTexts) {
        for (String key : body.keySet()) {
            if (FIELDS.contains(key) == false) {
                throw new IllegalArgumentException("[_embed] does not support [" + key + "]; supported: [model, input_type, texts]");
            }
        }
        String model = optionalString(body, "model");
        String inputType = optionalString(body, "input_type");
        Object rawTexts = body.get("texts");
        if (rawTexts == null) {
            throw new IllegalArgumentException("[texts] is required: an array of strings to embed");
        }
        if (rawTexts instanceof List<?> == false) {
            throw new IllegalArgumentException("[texts] must be an array of strings, got [" + JsonTypeNames.of(rawTexts) + "]");
        }
        List<?> list = (List<?>) rawTexts;
        if (list.isEmpty()) {
            throw new IllegalArgumentException("[texts] must hold at least one string, got an empty array");
        }
        if (list.size() > maxTexts) {
            throw new IllegalArgumentException(
                "[texts] holds [" + list.size() + "] items, more than [plugins.semantic.embed.max_texts] = [" + maxTexts
                    + "]; send them in several requests"
            );
        }
        List<String> texts = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) instanceof String s) {
                texts.add(s);
            } else {
                throw new IllegalArgumentException("[texts][" + i + "] must be a string, got [" + JsonTypeNames.of(list.get(i)) + "]");
            }
        }
        return new EmbedRequest(model, parseInputType(inputType), texts);
    }

    private static InputType parseInputType(String value) {
        if (value == null) {
            return InputType.PASSAGE;
        }
        try {
            return InputType.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[input_type] must be [query] or [passage], got [" + value + "]");
        }
    }

    private static String optionalString(Map<String, Object> body, String key) {
        Object value = body.get(key);
        if (value == null || value instanceof String) {
            return (String) value;
        }
        throw new IllegalArgumentException("[" + key + "] must be a string, got [" + JsonTypeNames.of(value) + "]");
    }
}
