package io.semanticsearch.rag;

import io.semanticsearch.mapper.SemanticTextFieldMapper.SemanticTextFieldType;
import io.semanticsearch.mapper.SemanticTextFieldMapper;

import org.opensearch.action.admin.indices.mapping.get.GetFieldMappingsResponse.FieldMappingMetadata;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where the passages of {@code field} live, read from the mappings: a {@code semantic_vector} field of the
 * document (the passage is the document's {@code text_field}), or a nested object {@code field} whose entries hold
 * {@code text}, {@code offset} and a {@code semantic_vector} {@code vector} (the passages are its entries, as the
 * {@code semantic_embed} processor writes them).
 *
 * @param vectorField the {@code semantic_vector} field the {@code semantic} query searches
 * @param nestedPath  the nested object holding the passages, or null for a document-level vector field
 * @param model       the embedding model the field was built with, or null for the node's default model
 * @param ownText     for a {@code semantic_text} field, the field itself: the text BM25 searches; else null
 * @param fingerprint for a {@code semantic_text} field, the fingerprint of its model's files as its mapping records it
 */
record PassageField(String vectorField, String nestedPath, String model, String ownText, String fingerprint) {

    static final String SEMANTIC_VECTOR = "semantic_vector";
    static final String SEMANTIC_TEXT = SemanticTextFieldMapper.CONTENT_TYPE;

    PassageField(String vectorField, String nestedPath, String model) {
        this(vectorField, nestedPath, model, null, null);
    }

    PassageField(String vectorField, String nestedPath, String model, String ownText) {
        this(vectorField, nestedPath, model, ownText, null);
    }

    boolean nested() {
        return nestedPath != null;
    }

    /** The passage text inside a nested entry. */
    String nestedText() {
        return nestedPath + ".text";
    }

    /** The passage's offset in the document's text, inside a nested entry. */
    String nestedOffset() {
        return nestedPath + ".offset";
    }

    /** Whether {@code textField} is a field of the nested passages rather than of the document. */
    boolean holds(String textField) {
        return nested() && textField.startsWith(nestedPath + ".");
    }

    /**
     * Resolves the request's {@code field} (and checks its {@code text_field}) against the field mappings of the
     * indices it targets, as returned for the fields {@code field}, {@code field.vector}, {@code field.text} and
     * {@code text_field}. Indices that do not map the field are left to the search; those that do must agree.
     *
     * @throws IllegalArgumentException naming the parameter when no index maps it, or the indices disagree
     */
    static PassageField resolve(RagRequest request, Map<String, Map<String, FieldMappingMetadata>> mappings) {
        String field = request.field();
        PassageField found = null;
        String foundIn = null;
        boolean textFieldMapped = false;
        for (Map.Entry<String, Map<String, FieldMappingMetadata>> index : mappings.entrySet()) {
            Map<String, FieldMappingMetadata> fields = index.getValue();
            PassageField here = null;
            if (SEMANTIC_TEXT.equals(property(fields.get(field), "type"))) {
                String passages = SemanticTextFieldType.passagesPath(field);
                here = new PassageField(
                    passages + "." + SemanticTextFieldMapper.VECTOR,
                    passages,
                    property(fields.get(field), "model"),
                    field,
                    property(fields.get(field), "model_fingerprint")
                );
            } else if (SEMANTIC_VECTOR.equals(property(fields.get(field), "type"))) {
                here = new PassageField(field, null, property(fields.get(field), "model"));
            } else if (SEMANTIC_VECTOR.equals(property(fields.get(field + ".vector"), "type")) && fields.containsKey(field + ".text")) {
                here = new PassageField(field + ".vector", field, property(fields.get(field + ".vector"), "model"));
            }
            if (here == null) {
                continue;
            }
            if (found != null && found.equals(here) == false) {
                throw new IllegalArgumentException(
                    "[field] [" + field + "] is " + found.describe() + " in [" + foundIn + "] but " + here.describe() + " in ["
                        + index.getKey() + "]; query indices that agree"
                );
            }
            found = here;
            foundIn = index.getKey();
            textFieldMapped |= request.textField() != null && fields.containsKey(request.textField());
        }
        List<String> indices = new ArrayList<>(mappings.keySet());
        if (found == null) {
            throw new IllegalArgumentException(
                "[field] [" + field + "] must be a [" + SEMANTIC_TEXT + "] field, a [" + SEMANTIC_VECTOR + "] field or a nested object with ["
                    + field + ".text] and a [" + SEMANTIC_VECTOR + "] [" + field + ".vector], but no index of " + indices + " maps it so"
            );
        }
        if (request.textField() != null && textFieldMapped == false) {
            throw new IllegalArgumentException("[text_field] [" + request.textField() + "] is not mapped in " + indices);
        }
        if (found.nested() == false && request.textField() == null) {
            throw new IllegalArgumentException(
                "[text_field] is required when [field] [" + field + "] is a [" + SEMANTIC_VECTOR
                    + "] field: the passages are the text of that field"
            );
        }
        return found;
    }

    private String describe() {
        return (ownText != null ? "a " + SEMANTIC_TEXT + " field" : nested() ? "a nested passages object" : "a " + SEMANTIC_VECTOR + " field") + " with model ["
            + (model == null ? "default" : model) + "]";
    }

    /** A property of a field's mapping, such as its type; null when the field or the property is absent. */
    private static String property(FieldMappingMetadata mapping, String name) {
        if (mapping == null) {
            return null;
        }
        // The mapping is {leaf name: {type: ..., ...}}.
        for (Object properties : mapping.sourceAsMap().values()) {
            if (properties instanceof Map<?, ?> map && map.get(name) != null) {
                return map.get(name).toString();
            }
        }
        return null;
    }
}
