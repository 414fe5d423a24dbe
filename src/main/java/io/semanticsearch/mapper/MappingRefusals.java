package io.semanticsearch.mapper;

import org.opensearch.core.action.ActionListener;
import org.opensearch.index.mapper.MapperParsingException;

import java.util.List;
import java.util.Map;

/**
 * What {@link SemanticTextMappings} refuses in a mapping, and how a refusal reaches the user: as the parse error of
 * the mapping (a 400), never as a failed mapping transformer.
 */
final class MappingRefusals {

    private MappingRefusals() {}

    /**
     * Hands a user's mistake to the mapping's parsing, which reports it as any invalid mapping (a 400, no node error):
     * failing the transformer itself would have OpenSearch log it at ERROR as if the node were at fault.
     */
    static void refuse(Map<String, Object> mapping, MapperParsingException e, ActionListener<Void> listener) {
        Map<String, Object> root = SemanticTextMappings.root(mapping);
        try {
            root.put(PassageIntegrityMapper.NAME, Map.of(PassageIntegrityMapper.REFUSED, e.getMessage()));
            // Each field too: parsing reaches the fields before the metadata fields, and an unexpanded field fails there.
            markFields(root, e.getMessage());
        } catch (UnsupportedOperationException immutable) {
            listener.onFailure(e);
            return;
        }
        listener.onResponse(null);
    }

    /** Marks every {@code semantic_text} definition under {@code object}, wherever it is (nested, multi-field...). */
    private static void markFields(Map<String, Object> object, String reason) {
        if (SemanticTextFieldMapper.CONTENT_TYPE.equals(object.get("type"))) {
            object.put(SemanticTextFieldMapper.REFUSED, reason);
        }
        for (Object value : object.values()) {
            if (value instanceof Map<?, ?> child) {
                markFields(SemanticTextMappings.asMap(child), reason);
            }
        }
    }

    /**
     * Refuses the way a {@code semantic_text} field could get text that never reaches the pipeline that embeds it:
     * dynamic templates (which map a field while its first document is parsed, after the pipeline built from the
     * mapping before it ran). Text that {@code copy_to} brings is embedded: see {@link CopyToSources}.
     */
    static void refuseDynamicTemplates(Map<String, Object> mapping) {
        Map<String, Object> root = SemanticTextMappings.root(mapping);
        if (root.get("dynamic_templates") instanceof List<?> templates) {
            for (Object template : templates) {
                if (template instanceof Map<?, ?> named) {
                    for (Map.Entry<?, ?> entry : named.entrySet()) {
                        if (entry.getValue() instanceof Map<?, ?> body
                            && body.get("mapping") instanceof Map<?, ?> produced
                            && SemanticTextFieldMapper.CONTENT_TYPE.equals(produced.get("type"))) {
                            throw new MapperParsingException(
                                "dynamic template [" + entry.getKey() + "] maps fields to [" + SemanticTextFieldMapper.CONTENT_TYPE
                                    + "], which a dynamic mapping cannot embed (its first documents would be refused); map each "
                                    + "[semantic_text] field explicitly, in the mapping or in an index template"
                            );
                        }
                    }
                }
            }
        }
    }
}
