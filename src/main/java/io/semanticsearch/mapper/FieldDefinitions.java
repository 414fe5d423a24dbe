package io.semanticsearch.mapper;

import java.util.Map;

/** Finds a field's definition in a mapping as the cluster state holds it, for code that has no mapper service. */
public final class FieldDefinitions {

    private FieldDefinitions() {}

    /**
     * The mapping of the field at {@code path} under {@code properties}, through objects and nested objects; a
     * mapping may also name a field with dots in it, so every split of the path is tried. Null when there is none.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> find(Map<String, Object> object, String path) {
        if (object.get("properties") instanceof Map<?, ?> == false) {
            return null;
        }
        Map<String, Object> properties = (Map<String, Object>) object.get("properties");
        for (int dot = path.indexOf('.');; dot = path.indexOf('.', dot + 1)) {
            String head = dot < 0 ? path : path.substring(0, dot);
            if (properties.get(head) instanceof Map<?, ?> child) {
                Map<String, Object> found = dot < 0 ? (Map<String, Object>) child : find((Map<String, Object>) child, path.substring(dot + 1));
                if (found != null) {
                    return found;
                }
            }
            if (dot < 0) {
                return null;
            }
        }
    }
}
