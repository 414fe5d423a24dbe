package io.semanticsearch;

import java.util.Map;

/**
 * Optional values of a request body parsed into a map, each read with an error that names its key, what it takes
 * and what it got: one way of reading them for every API that takes such a body ({@code _rag}, fusion options).
 */
public final class BodyValues {

    private BodyValues() {}

    public static String optionalString(Map<String, Object> body, String key) {
        Object value = body.get(key);
        if (value == null || value instanceof String) {
            return (String) value;
        }
        throw new IllegalArgumentException("[" + key + "] must be a string, got [" + JsonTypeNames.of(value) + "] [" + value + "]");
    }

    public static int optionalInt(Map<String, Object> body, String key, int defaultValue, int min, int max) {
        Object value = body.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            long number = ((Number) value).longValue();
            if (number < min || number > max) {
                throw new IllegalArgumentException("[" + key + "] must be between " + min + " and " + max + ", got [" + number + "]");
            }
            return (int) number;
        }
        throw new IllegalArgumentException("[" + key + "] must be an integer, got [" + JsonTypeNames.of(value) + "] [" + value + "]");
    }

    public static double optionalDouble(Map<String, Object> body, String key, double defaultValue, double min, double max) {
        Object value = body.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Number number && Double.isFinite(number.doubleValue())) {
            double d = number.doubleValue();
            if (d < min || d > max) {
                throw new IllegalArgumentException("[" + key + "] must be between " + min + " and " + max + ", got [" + d + "]");
            }
            return d;
        }
        throw new IllegalArgumentException("[" + key + "] must be a number, got [" + JsonTypeNames.of(value) + "] [" + value + "]");
    }
}
