package io.semanticsearch.query;

import io.semanticsearch.embed.ModelIdentity;
import io.semanticsearch.mapper.MappedModels;
import io.semanticsearch.mapper.SemanticTextFieldMapper.SemanticTextFieldType;
import io.semanticsearch.mapper.SemanticVectorFieldType;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.action.IndicesRequest;
import org.opensearch.action.support.IndicesOptions;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.index.query.QueryCoordinatorContext;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.index.query.QueryShardContext;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which model the text of a {@code semantic} query must be embedded with, by identity, read from the mappings where
 * the rewrite runs: the shard's on a shard; on the coordinator, which has no mapper service for the searched indices,
 * their mappings in the cluster state (every {@code semantic_vector} and {@code semantic_text} mapping records the model
 * it resolved). It never looks at this node's models, so a node that loads none can still say which model another node
 * must embed with; the shards check the vector's model in every case. Thread-safe.
 */
final class QueryModels {

    private static final Logger logger = LogManager.getLogger(QueryModels.class);
    /** Marks, in {@link #fieldModels}, a field that has no model. */
    static final String NO_MODEL = "";

    private final ClusterService clusterService;
    private final IndexNameExpressionResolver indexResolver;
    private final MappedModels mappedModels = new MappedModels();

    QueryModels(ClusterService clusterService, IndexNameExpressionResolver indexResolver) {
        this.clusterService = clusterService;
        this.indexResolver = indexResolver;
    }

    /**
     * The model a query text for {@code field} must be embedded with, by identity, without looking at this node's
     * models: {@code name} null for the default model (a field that names none), {@code fingerprint} null where the
     * mapping recorded none.
     */
    record QueryModel(String field, String name, String fingerprint) {}

    /**
     * The model to embed query text for {@code field} with: {@code requested} when the query names one, else the
     * field's model as seen from where the rewrite runs (the shard's mapping on a shard, the searched indices'
     * mappings on the coordinator); name null where neither is known (e.g. remote indices): the default model.
     *
     * @throws IllegalArgumentException when the field has no model, or different ones in different indices
     */
    QueryModel wanted(String field, String requested, QueryRewriteContext context) {
        if (requested != null) {
            return new QueryModel(field, requested, null);
        }
        QueryShardContext shard = context.convertToShardContext();
        if (shard != null) {
            if (shard.fieldMapper(field) instanceof SemanticTextFieldType text) {
                return new QueryModel(field, text.options().model(), text.options().fingerprint());
            }
            SemanticVectorFieldType fieldType = ShardVectorQuery.semanticField(shard, field);
            return new QueryModel(field, fieldType.modelName() == null ? NO_MODEL : fieldType.modelName(), null);
        }
        Map<String, String> fingerprints = new TreeMap<>();
        Map<String, String> models = fieldModels(field, searchRequest(context), fingerprints);
        TreeSet<String> distinct = new TreeSet<>(models.values());
        if (distinct.size() > 1) {
            throw new IllegalArgumentException(
                "[semantic] field [" + field + "] is embedded with different models in the searched indices " + models
                    + ": search them separately, or with [vector]"
            );
        }
        if (distinct.isEmpty() == false) {
            TreeSet<String> distinctFingerprints = new TreeSet<>(fingerprints.values());
            if (distinctFingerprints.size() > 1) {
                throw new IllegalArgumentException(
                    "[semantic] field [" + field + "] is embedded with different files of model [" + distinct.first()
                        + "] in the searched indices " + fingerprints + ": search them separately"
                );
            }
            if (NO_MODEL.equals(distinct.first())) {
                throw noModel(field);
            }
            return new QueryModel(field, distinct.first(), distinctFingerprints.isEmpty() ? null : distinctFingerprints.first());
        }
        return new QueryModel(field, null, null);
    }

    /** A field mapped with only {@code dims}: nothing can embed text for it. */
    static IllegalArgumentException noModel(String field) {
        return new IllegalArgumentException(
            "[semantic] field ["
                + field
                + "] has no model to embed [query] text with: its mapping gives only [dims]; "
                + "search it with [vector] or [like], or map it with a [model]"
        );
    }

    /**
     * The model whose vectors {@code field} holds in {@code index}, as its mapping in the cluster state records it:
     * {@code requested} when the mapping records none or the index is not known here.
     *
     * @throws IllegalArgumentException when {@code requested} names another model than the mapping's
     */
    String modelOf(String index, String field, String requested) {
        // An alias or pattern naming one index is read as that index: its model must not go unchecked.
        String[] concrete;
        try {
            concrete = indexResolver.concreteIndexNames(clusterService.state(), IndicesOptions.lenientExpandOpen(), index);
        } catch (RuntimeException e) {
            concrete = new String[0];
        }
        IndexMetadata metadata = concrete.length == 1 ? clusterService.state().metadata().index(concrete[0]) : null;
        MappedModels.MappedModel found = metadata == null ? null : mappedModels.of(metadata, field);
        String recorded = found == null || found.embedded() == false ? null : found.model();
        if (recorded == null) {
            return requested;
        }
        try {
            new ModelIdentity(recorded, null, null).requireComparable(requested, "the [like] document's field [" + field + "] in index [" + index + "]");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[semantic] [model]: " + e.getMessage() + ": leave [model] out or name the field's", e);
        }
        return recorded;
    }

    /** The indices a search covers, for actions it starts; empty where that is not known. */
    String[] searchedIndices(QueryRewriteContext context) {
        IndicesRequest request = searchRequest(context);
        return request == null ? new String[0] : request.indices();
    }

    /**
     * The one index a {@code like} without {@code _index} reads from: the index being searched.
     *
     * @throws IllegalArgumentException when the search covers more than one index, or it is not known which
     */
    String searchedIndex(QueryRewriteContext context) {
        QueryShardContext shard = context.convertToShardContext();
        if (shard != null) {
            return shard.index().getName();
        }
        IndicesRequest request = searchRequest(context);
        String[] indices = request == null ? new String[0] : concreteIndices(request);
        if (indices.length != 1) {
            throw new IllegalArgumentException(
                "[semantic] [like] needs [_index] when the search does not cover exactly one index, got " + List.of(indices)
            );
        }
        return indices[0];
    }

    private static IndicesRequest searchRequest(QueryRewriteContext context) {
        QueryCoordinatorContext coordinator = context.convertToCoordinatorContext();
        return coordinator == null ? null : coordinator.getSearchRequest();
    }

    private String[] concreteIndices(IndicesRequest request) {
        try {
            return indexResolver.concreteIndexNames(clusterService.state(), request);
        } catch (RuntimeException e) {
            // e.g. remote cluster indices or a missing index: the search itself reports the latter
            logger.debug("cannot resolve the indices of a semantic query", e);
            return new String[0];
        }
    }

    /**
     * Index name to the model of {@code field} there ({@link #NO_MODEL} when it has none), for indices mapping it as
     * {@code semantic_vector} or {@code semantic_text}; the latter's recorded fingerprints go into {@code fingerprints}.
     */
    Map<String, String> fieldModels(String field, IndicesRequest request, Map<String, String> fingerprints) {
        Map<String, String> models = new TreeMap<>();
        if (request == null) {
            return models;
        }
        ClusterState state = clusterService.state();
        for (String index : concreteIndices(request)) {
            IndexMetadata metadata = state.metadata().index(index);
            if (metadata == null) {
                continue;
            }
            MappedModels.MappedModel found = mappedModels.of(metadata, field);
            if (found.embedded()) {
                models.put(index, found.model() == null ? NO_MODEL : found.model());
                if (found.fingerprint() != null) {
                    fingerprints.put(index, found.fingerprint());
                }
            }
        }
        return models;
    }
}
