package io.semanticsearch.ingest;

import io.semanticsearch.mapper.MappedModels;
import io.semanticsearch.mapper.SemanticVectorFieldMapper;

import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.Nullable;

/**
 * The model each {@code semantic_vector} target of a pipeline was mapped with, in the index a document goes to, read
 * from the cluster state: so that {@code semantic_embed} refuses to write one model's vectors into a field whose
 * queries are embedded with another (same dims or not, they would be compared as if alike). Thread-safe.
 */
final class TargetModels {

    private final ClusterService clusterService;
    private final MappedModels mappedModels = new MappedModels();

    TargetModels(ClusterService clusterService) {
        this.clusterService = clusterService;
    }

    /** The model of the {@code semantic_vector} field {@code field} in index {@code index}, or null when it has none. */
    @Nullable
    String modelOf(String index, String field) {
        MappedModels.MappedModel mapped = mappedOf(index, field);
        return mapped == null ? null : mapped.model();
    }

    String nodeName() {
        return clusterService.getNodeName();
    }

    /** The fingerprint the mapping of that field recorded, or null when it recorded none. */
    @Nullable
    String fingerprintOf(String index, String field) {
        MappedModels.MappedModel mapped = mappedOf(index, field);
        return mapped == null ? null : mapped.fingerprint();
    }

    @Nullable
    private MappedModels.MappedModel mappedOf(String index, String field) {
        IndexMetadata metadata = clusterService.state().metadata().index(index);
        if (metadata == null) {
            return null; // an index the bulk is about to create: its mapping is not known yet
        }
        MappedModels.MappedModel mapped = mappedModels.of(metadata, field);
        return SemanticVectorFieldMapper.CONTENT_TYPE.equals(mapped.type()) ? mapped : null;
    }
}
