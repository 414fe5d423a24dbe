package io.semanticsearch.mapper;

import io.semanticsearch.JsonTypeNames;

import org.opensearch.common.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What one source field of a document gives to embed: a string, or an array of strings ({@code array}). Read with
 * the errors a user can act on: the field and what it holds. Immutable.
 */
public record SourceText(List<String> strings, boolean array) {

    public SourceText {
        strings = List.copyOf(strings);
    }

    /**
     * The text at {@code path} in a document's source, or null when it is missing or null and {@code ignoreMissing}.
     *
     * @throws IllegalArgumentException naming the field and what it holds when that is not a string or an array of
     *                                  strings, or when it is missing and not {@code ignoreMissing}
     */
    @Nullable
    public static SourceText read(Map<String, Object> source, String path, boolean ignoreMissing) {
        Object value = valueAt(source, path);
        if (value == null) {
            if (ignoreMissing) {
                return null;
            }
            throw new IllegalArgumentException(
                "field [" + path + "] is missing or null; set [ignore_missing] to true to index documents without it unembedded"
            );
        }
        if (value instanceof String string) {
            return new SourceText(List.of(string), false);
        }
        if (value instanceof List<?> list) {
            List<String> strings = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                if (list.get(i) instanceof String string) {
                    strings.add(string);
                } else {
                    throw new IllegalArgumentException(
                        "field [" + path + "] must be a string or an array of strings, but its element [" + i + "] is " + describe(list.get(i))
                    );
                }
            }
            return new SourceText(strings, true);
        }
        throw new IllegalArgumentException("field [" + path + "] must be a string or an array of strings, got " + describe(value));
    }

    /**
     * The text a {@code semantic_text} field embeds: its own value, then the values of the fields whose
     * {@code copy_to} names it, in {@code copiedFrom}'s order; always an array when the field has such fields (the
     * pipeline that embeds and the passage check both read it here). Null when none of them has a value.
     *
     * @throws IllegalArgumentException naming the field, when one of them holds something that is not text
     */
    @Nullable
    public static SourceText readWithCopies(Map<String, Object> source, String path, List<String> copiedFrom) {
        SourceText own = read(source, path, true);
        if (copiedFrom.isEmpty()) {
            return own;
        }
        List<String> strings = new ArrayList<>(own == null ? List.of() : own.strings());
        boolean any = own != null;
        for (String from : copiedFrom) {
            SourceText copied = read(source, from, true);
            if (copied != null) {
                strings.addAll(copied.strings());
                any = true;
            }
        }
        return any ? new SourceText(strings, true) : null;
    }

    public static Object valueAt(Map<String, Object> source, String path) {
        return SourcePaths.valueAt(source, path);
    }

    /** "a number [42]": the JSON type of a value and the value, cut at 100 characters. */
    private static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        String type = JsonTypeNames.of(value);
        String shown = String.valueOf(value);
        return ("aeiou".indexOf(type.charAt(0)) >= 0 ? "an " : "a ") + type + " [" + (shown.length() > 100 ? shown.substring(0, 100) + "..." : shown) + "]";
    }
}
