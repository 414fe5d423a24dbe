package io.semanticsearch.mapper;

import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.MappingMetadata;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the stored mapping of an index says of a field: its type, and for our fields the model and fingerprint it
 * records. For code without a mapper service (the coordinating node of a search, an ingest pipeline): parsing a whole
 * mapping on every query or document would cost more than the work, so answers are kept per index and mapping
 * version. Thread-safe.
 */
public final class MappedModels {

    /**
     * @param type        the field's type, or null when the index does not map it
     * @param model       the model the mapping records, or null
     * @param fingerprint the fingerprint of the model's files the mapping records, or null
     */
    public record MappedModel(String type, String model, String fingerprint) {

        /** Whether the field is a {@code semantic_vector} or a {@code semantic_text} field. */
        public boolean embedded() {
            return SemanticVectorFieldMapper.CONTENT_TYPE.equals(type) || SemanticTextFieldMapper.CONTENT_TYPE.equals(type);
        }
    }

    private record Key(String indexUuid, long mappingVersion, String field) {}

    // Entries of old mapping versions would pile up: past this, the cache starts over and fills again.
    private static final int MAX_ENTRIES = 10_000;

    private final Map<Key, MappedModel> cache = new ConcurrentHashMap<>();

    public MappedModel of(IndexMetadata metadata, String field) {
        if (cache.size() > MAX_ENTRIES) {
            cache.clear();
        }
        return cache.computeIfAbsent(new Key(metadata.getIndexUUID(), metadata.getMappingVersion(), field), key -> {
            MappingMetadata mapping = metadata.mapping();
            Map<String, Object> definition = mapping == null ? null : FieldDefinitions.find(mapping.sourceAsMap(), field);
            if (definition == null) {
                return new MappedModel(null, null, null);
            }
            return new MappedModel(string(definition.get("type")), string(definition.get("model")), string(definition.get("model_fingerprint")));
        });
    }

    private static String string(Object value) {
        return value == null ? null : value.toString();
    }
}
