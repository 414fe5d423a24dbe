package io.semanticsearch.query;

import io.semanticsearch.mapper.SemanticTextFieldMapper.SemanticTextFieldType;
import io.semanticsearch.mapper.SemanticTextFieldMapper;

import org.opensearch.common.xcontent.support.XContentMapValues;

import java.util.List;
import java.util.Map;

/**
 * A stored document's vector in a field, read from its {@code _source}: the one vector of a {@code semantic_vector}
 * field, or the normalised mean of a {@code semantic_text} field's passage vectors ({@link PassageCentroid}). What
 * {@code like} searches with and what {@code diversity} compares documents by.
 */
final class DocumentVectors {

    private DocumentVectors() {}

    /** The {@code _source} paths that hold {@code field}'s vectors, whichever of the two types it is. */
    static String[] sourcePaths(String field) {
        return new String[] { field, SemanticTextFieldType.passagesPath(field) + "." + SemanticTextFieldMapper.VECTOR };
    }

    /**
     * @param where the document, for error messages
     * @throws IllegalArgumentException when the document has no vector, or several, in {@code field}
     */
    static float[] of(Map<String, Object> source, String field, String where) {
        Object passages = XContentMapValues.extractValue(SemanticTextFieldType.passagesPath(field) + "." + SemanticTextFieldMapper.VECTOR, source);
        if (passages instanceof List<?> vectors && vectors.isEmpty() == false) {
            return PassageCentroid.of(vectors, where + " [" + field + "]");
        }
        Object value = XContentMapValues.extractValue(field, source);
        List<?> values = value instanceof List<?> list ? list : List.of();
        if (values.size() == 1 && values.get(0) instanceof List<?> only) {
            values = only; // the field of the one object of an array of (nested) objects
        }
        if (values.isEmpty()) {
            throw new IllegalArgumentException(where + " has no vector in [" + field + "]");
        }
        if (values.get(0) instanceof List<?>) {
            throw new IllegalArgumentException(where + " has [" + values.size() + "] vectors in [" + field + "]; [like] needs a document with one");
        }
        float[] vector = new float[values.size()];
        for (int i = 0; i < vector.length; i++) {
            if (values.get(i) instanceof Number number) {
                vector[i] = number.floatValue();
            } else {
                throw new IllegalArgumentException(where + " has a non-number [" + values.get(i) + "] in [" + field + "]");
            }
        }
        return vector;
    }
}
