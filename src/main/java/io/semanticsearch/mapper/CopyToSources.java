package io.semanticsearch.mapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The fields whose {@code copy_to} names each field of a mapping: the text a {@code semantic_text} field embeds besides its own. */
public final class CopyToSources {

    private CopyToSources() {}

    /**
     * Target path to the sorted paths of the fields whose {@code copy_to} names it, in a mapping as create-index takes
     * it or as it is stored. A {@code semantic_text} field embeds its own values, then those of these fields in this
     * order: the pipeline (which runs before {@code copy_to} does) reads them from the source, and the passage check
     * reads them the same way.
     */
    public static Map<String, List<String>> of(Map<String, Object> mapping) {
        Map<String, Object> root = SemanticTextMappings.root(mapping);
        Map<String, List<String>> sources = new TreeMap<>();
        collectCopies(root, "", sources);
        sources.values().forEach(list -> list.sort(null));
        return sources;
    }

    private static void collectCopies(Map<String, Object> object, String prefix, Map<String, List<String>> sources) {
        if (object.get("properties") instanceof Map<?, ?> properties) {
            for (Map.Entry<?, ?> entry : properties.entrySet()) {
                if (entry.getValue() instanceof Map<?, ?> definition) {
                    Object copyTo = definition.get("copy_to");
                    List<?> targets = copyTo instanceof List<?> list ? list : copyTo == null ? List.of() : List.of(copyTo);
                    for (Object target : targets) {
                        sources.computeIfAbsent(String.valueOf(target), t -> new ArrayList<>()).add(prefix + entry.getKey());
                    }
                    collectCopies(SemanticTextMappings.asMap(definition), prefix + entry.getKey() + ".", sources);
                }
            }
        }
    }
}
