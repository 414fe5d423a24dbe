package io.semanticsearch.ingest;

import io.semanticsearch.mapper.FieldDefinitions;
import io.semanticsearch.mapper.SemanticVectorFieldMapper;

import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.MappingMetadata;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.Nullable;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The model each {@code semantic_vector} target of a pipeline was mapped with, in the index a document goes to, read
 * from the cluster state: so that {@code semantic_embed} refuses to write one model's vectors into a field whose
 * queries are embedded with another (same dims or not, they would be compared as if alike). Cached per index and
 * mapping version. Thread-safe.
 */
final class TargetModels {

    private record Key(String indexUuid, long mappingVersion, String field) {}

    // Null model: the field is not a semantic_vector with a model (unmapped, dims only, or another type).
    private record Found(@Nullable String model) {}

    private final ClusterService clusterService;
    private final Map<Key, Found> cache = new ConcurrentHashMap<>();

    TargetModels(ClusterService clusterService) {
        this.clusterService = clusterService;
    }

    /** The model of the {@code semantic_vector} field {@code field} in index {@code index}, or null when it has none. */
    @Nullable
    String modelOf(String index, String field) {
        IndexMetadata metadata = clusterService.state().metadata().index(index);
        if (metadata == null) {
            return null; // an index the bulk is about to create: its mapping is not known yet
        }
        if (cache.size() > 10_000) {
            cache.clear(); // old mapping versions pile up otherwise; the next lookups fill it again
        }
        return cache.computeIfAbsent(new Key(metadata.getIndexUUID(), metadata.getMappingVersion(), field), key -> {
            MappingMetadata mapping = metadata.mapping();
            Map<String, Object> definition = mapping == null ? null : FieldDefinitions.find(mapping.sourceAsMap(), field);
            boolean vector = definition != null && SemanticVectorFieldMapper.CONTENT_TYPE.equals(definition.get("type"));
            return new Found(vector && definition.get("model") != null ? definition.get("model").toString() : null);
        }).model();
    }
}
