package io.semanticsearch.mapper;

import java.util.Map;

/** Reads a field's value out of a document's source the way OpenSearch maps it, whatever mix of objects and dots. */
public final class SourcePaths {

    private SourcePaths() {}

    /**
     * Where a value lives in a source: the object that holds it and its key there as the document wrote it (a literal
     * dotted key such as {@code "meta.summary"} stays one key).
     */
    public record Location(Map<String, Object> parent, String key) {}

    /** Where the value at {@code path} is, found as {@link #valueAt} finds it; null when missing. */
    @SuppressWarnings("unchecked")
    public static Location locate(Map<String, Object> source, String path) {
        if (source.get(path) != null) {
            return new Location(source, path);
        }
        for (int dot = path.indexOf('.'); dot > 0; dot = path.indexOf('.', dot + 1)) {
            if (source.get(path.substring(0, dot)) instanceof Map<?, ?> child) {
                Location nested = locate((Map<String, Object>) child, path.substring(dot + 1));
                if (nested != null) {
                    return nested;
                }
            }
        }
        return null;
    }

    /**
     * The value at a dotted path of a source: {@code "a.b"} is found as {@code {"a": {"b": ...}}}, as the literal key
     * {@code {"a.b": ...}} or any mix of the two, all of which OpenSearch maps to the same field. Null when missing.
     */
    @SuppressWarnings("unchecked")
    public static Object valueAt(Map<String, Object> source, String path) {
        Object value = source.get(path);
        if (value != null) {
            return value;
        }
        for (int dot = path.indexOf('.'); dot > 0; dot = path.indexOf('.', dot + 1)) {
            if (source.get(path.substring(0, dot)) instanceof Map<?, ?> child) {
                Object nested = valueAt((Map<String, Object>) child, path.substring(dot + 1));
                if (nested != null) {
                    return nested;
                }
            }
        }
        return null;
    }
}
