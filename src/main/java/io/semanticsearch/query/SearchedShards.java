package io.semanticsearch.query;

import org.opensearch.action.search.SearchRequest;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.service.ClusterService;

import java.util.Map;
import java.util.Set;

/**
 * Which shards a search reaches, as the coordinating node will resolve them: what tells a hybrid search that one shard
 * holds its whole result ({@link ShardFusionQueryBuilder}). Thread-safe.
 */
final class SearchedShards {

    private final ClusterService clusterService;
    private final IndexNameExpressionResolver indexResolver;

    SearchedShards(ClusterService clusterService, IndexNameExpressionResolver indexResolver) {
        this.clusterService = clusterService;
        this.indexResolver = indexResolver;
    }

    /**
     * Whether {@code search} reaches exactly one shard of one local index, through no filtering alias (whose filter
     * the shard adds outside the query, after the ranking). False whenever that cannot be told for sure (remote
     * indices, a point in time, slices, an expression that does not resolve): the search then ranks across shards.
     */
    boolean reachesOne(SearchRequest search) {
        if (search.pointInTimeBuilder() != null || (search.source() != null && search.source().slice() != null)) {
            return false;
        }
        for (String expression : search.indices()) {
            if (expression.indexOf(':') >= 0) {
                return false;
            }
        }
        try {
            ClusterState state = clusterService.state();
            String[] concrete = indexResolver.concreteIndexNames(state, search);
            if (concrete.length != 1) {
                return false;
            }
            Set<String> expressions = indexResolver.resolveExpressions(state, search.indices());
            if (indexResolver.filteringAliases(state, concrete[0], expressions) != null) {
                return false;
            }
            Map<String, Set<String>> routing = indexResolver.resolveSearchRouting(state, search.routing(), search.indices());
            return clusterService.operationRouting().searchShards(state, concrete, routing, search.preference()).size() == 1;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
