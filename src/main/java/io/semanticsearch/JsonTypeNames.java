package io.semanticsearch;

import java.util.List;
import java.util.Map;

/** Names a parsed JSON value's type the way users write JSON, for messages such as "[k] must be a number, got [string]". */
public final class JsonTypeNames {

    private JsonTypeNames() {}

    public static String of(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof List) {
            return "array";
        }
        if (value instanceof Map) {
            return "object";
        }
        if (value instanceof Number) {
            return "number";
        }
        if (value instanceof Boolean) {
            return "boolean";
        }
        if (value instanceof String) {
            return "string";
        }
        return value.getClass().getSimpleName();
    }
}
