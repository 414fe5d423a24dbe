package io.semanticsearch.query;

import io.semanticsearch.query.FusedHitsQueryBuilder.Hit;
import io.semanticsearch.ranking.Fusion;
import io.semanticsearch.ranking.HybridRanking;
import io.semanticsearch.ranking.HybridRanking.Ranked;
import io.semanticsearch.ranking.HybridRanking.Side;
import io.semanticsearch.ranking.LexicalText;

import org.apache.lucene.util.SetOnce;
import org.opensearch.action.search.MultiSearchRequest;
import org.opensearch.action.search.MultiSearchResponse;
import org.opensearch.action.search.SearchRequest;
import org.opensearch.action.search.SearchResponse;
import org.opensearch.action.search.SearchType;
import org.opensearch.common.Nullable;
import org.opensearch.core.action.ActionListener;
import org.opensearch.index.query.BoolQueryBuilder;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryBuilders;
import org.opensearch.index.query.QueryCoordinatorContext;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.index.query.functionscore.FunctionScoreQueryBuilder;
import org.opensearch.search.SearchHit;
import org.opensearch.search.builder.SearchSourceBuilder;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The coordinating node's part of a {@code semantic} query whose ranking needs the whole result: {@code hybrid}
 * (fuse with BM25) and {@code diversity} (reorder by maximal marginal relevance). It runs the semantic side, and the
 * BM25 side for hybrid, as searches of the same indices (each its best {@code rank_window_size} documents, with the
 * query's {@code filter}), fuses their rankings with {@link Fusion}, the code {@code _rag} fuses with, reorders them
 * for diversity, and rewrites the query into {@link FusedHitsQueryBuilder}. Ranking over the whole result, not per
 * shard, is what makes it the same on any number of shards; the price is a second round trip to the shards. A hybrid
 * search that reaches one shard does without it: that shard's ranking is the whole result's, so the query goes on as
 * {@link ShardFusionQueryBuilder} and the shard fuses in its query phase, with the same code ({@link HybridRanking}).
 */
final class WholeResultRewrite {

    record Key(String index, String id) {}

    private WholeResultRewrite() {}

    /**
     * @param semantic  the semantic side: the query with its vector, without {@code hybrid} or {@code diversity}
     * @param text      the query text, which BM25 searches; null without hybrid
     * @param hybrid    the fusion with BM25, or null
     * @param diversity the reordering, or null
     * @param filter    the query's filter, applied to both sides
     * @param oneShard  whether the search reaches exactly one shard (and no filtering alias), which may then rank alone
     */
    static QueryBuilder start(
        SemanticQueryBuilder semantic,
        @Nullable String text,
        @Nullable HybridOptions hybrid,
        @Nullable DiversityOptions diversity,
        QueryBuilder filter,
        Predicate<SearchRequest> oneShard,
        QueryRewriteContext context
    ) {
        String option = hybrid != null ? "[semantic] [hybrid]" : "[semantic] [diversity]";
        QueryCoordinatorContext coordinator = context.convertToCoordinatorContext();
        if (coordinator == null || !(coordinator.getSearchRequest() instanceof SearchRequest search)) {
            throw new IllegalArgumentException(option + " ranks the results of a whole search, so it runs in [_search] and [_msearch] only");
        }
        if (search.scroll() != null) {
            // _delete_by_query, _update_by_query and _reindex read their documents by scroll, in pages as large as
            // the whole window: run there, the fused ranking would select every document the window holds.
            throw new IllegalArgumentException(
                option + " ranks the results of a whole search and does not run in a scroll, so neither in [_delete_by_query], "
                    + "[_update_by_query] nor [_reindex], which read their documents by scroll: run it with [_search] and act on "
                    + "the ids of its hits (an [ids] query)"
            );
        }
        SearchSourceBuilder source = search.source();
        Placement placement = source == null ? null : Placement.of(source.query());
        if (placement == null) {
            throw new IllegalArgumentException(
                option + " must be the search's top-level query, the one scoring clause of a top-level [bool] (beside [filter] and "
                    + "[must_not] clauses), or the query of a top-level [function_score]: it ranks the whole result, which any "
                    + "other surrounding query would change. Put conditions in the semantic query's [filter] or in [post_filter]"
            );
        }
        QueryBuilder narrowed = placement.withFilter(filter);
        int end = Math.max(0, source.from()) + (source.size() < 0 ? 10 : source.size());
        int window = hybrid != null ? hybrid.windowFor(end) : diversity.windowFor(end);
        if (window < end) {
            throw new IllegalArgumentException(
                option + " [rank_window_size] is [" + window + "], but the page ends at [from] + [size] = [" + end + "]: raise it or page less far"
            );
        }
        // The semantic side: its best window documents, narrowed as the search is.
        semantic.k(window).filter(narrowed);
        String lexicalField = hybrid == null ? null : hybrid.textField() != null ? hybrid.textField() : semantic.fieldName();
        QueryBuilder highlight = hybrid == null ? null : QueryBuilders.matchQuery(lexicalField, LexicalText.bounded(text, LexicalText.maxWords()));
        QueryBuilder lexical = highlight == null || narrowed == null ? highlight : QueryBuilders.boolQuery().must(highlight).filter(narrowed);
        String description = describe(hybrid, diversity, window);
        if (diversity == null && oneShard.test(search)) {
            // One shard holds the whole result: it ranks it in the query phase, one round trip instead of two.
            return new ShardFusionQueryBuilder(lexical, semantic, lexicalField, hybrid.textField() != null, hybrid.fusion(), window, description,
                highlight, semantic.queryVector(), semantic.fieldName());
        }
        // Diversity compares the documents by their vectors, which both sides then bring along.
        String[] vectorPaths = diversity == null ? null : DocumentVectors.sourcePaths(semantic.fieldName());
        MultiSearchRequest searches = new MultiSearchRequest().add(side(search, semantic, window, vectorPaths));
        if (lexical != null) {
            // BM25 with the whole index's term statistics (DFS), not each shard's: the same ranking on 1 shard and on 5.
            searches.add(side(search, lexical, window, vectorPaths).searchType(SearchType.DFS_QUERY_THEN_FETCH));
        }
        SetOnce<FusedHitsQueryBuilder> ranked = new SetOnce<>();
        context.registerAsyncAction((client, listener) -> client.multiSearch(searches, ActionListener.wrap(response -> {
            MultiSearchResponse.Item[] items = response.getResponses();
            if (items[0].isFailure()) {
                listener.onFailure(items[0].getFailure());
                return;
            }
            if (items.length > 1 && items[1].isFailure()) {
                listener.onFailure(new IllegalArgumentException(
                    lexicalFailure(lexicalField, hybrid.textField() != null, items[1].getFailureMessage()), items[1].getFailure()));
                return;
            }
            Map<Key, Side> semanticSide = sides(items[0].getResponse());
            List<Ranked<Key>> fused = items.length > 1
                ? HybridRanking.fuse(hybrid.fusion(), sides(items[1].getResponse()), semanticSide)
                : HybridRanking.semanticOnly(semanticSide);
            if (diversity != null) {
                Map<Key, float[]> vectors = new HashMap<>();
                for (MultiSearchResponse.Item item : items) {
                    vectors.putAll(vectors(item.getResponse(), semantic.fieldName()));
                }
                fused = HybridRanking.diversify(fused, vectors, diversity.lambda());
            }
            List<Hit> hits = fused.stream().map(r -> new Hit(r.key().index(), r.key().id(), r.score(), r.lexical(), r.semantic())).toList();
            ranked.set(new FusedHitsQueryBuilder(hits, description, highlight, semantic));
            listener.onResponse(null);
        }, listener::onFailure)));
        return new FusedHitsQueryBuilder(ranked::get);
    }

    /** Why the BM25 side of a hybrid search failed, and what to do. */
    static String lexicalFailure(String field, boolean textFieldGiven, String cause) {
        return "[semantic] [hybrid] the BM25 side, a [match] on [" + field + "], failed: " + cause
            + (textFieldGiven ? "" : "; set [hybrid] [text_field] to the text field to search (a semantic_text field is its own)");
    }

    /**
     * Where a {@code semantic} query that ranks the whole result may stand: at the top; as the one scoring clause of a
     * top-level {@code bool}, whose {@code filter} and {@code must_not} clauses then also narrow both of its sides (so
     * the window holds only documents the search can return); or as the query of a top-level {@code function_score},
     * whose functions then rescore the ranked documents. Null for anywhere else.
     *
     * @param filter what a surrounding {@code bool} adds to the query's own filter, or null
     */
    record Placement(@Nullable QueryBuilder filter) {
        @Nullable
        static Placement of(QueryBuilder top) {
            if (ranksWholeResult(top)) {
                return new Placement(null);
            }
            if (top instanceof FunctionScoreQueryBuilder functionScore && ranksWholeResult(functionScore.query())) {
                return new Placement(null);
            }
            if (top instanceof BoolQueryBuilder bool) {
                List<QueryBuilder> scoring = new ArrayList<>(bool.must());
                scoring.addAll(bool.should());
                String minimumShouldMatch = bool.minimumShouldMatch();
                boolean oneClause = scoring.size() == 1 && (bool.should().isEmpty() || minimumShouldMatch == null || "1".equals(minimumShouldMatch));
                if (oneClause && ranksWholeResult(scoring.get(0))) {
                    if (bool.filter().isEmpty() && bool.mustNot().isEmpty()) {
                        return new Placement(null);
                    }
                    BoolQueryBuilder narrowing = QueryBuilders.boolQuery();
                    bool.filter().forEach(narrowing::filter);
                    bool.mustNot().forEach(narrowing::mustNot);
                    return new Placement(narrowing);
                }
            }
            return null;
        }

        private static boolean ranksWholeResult(QueryBuilder query) {
            return query instanceof SemanticQueryBuilder semantic && (semantic.hybrid() != null || semantic.diversity() != null);
        }

        /** The query's own filter and the surrounding one's, both applied. */
        QueryBuilder withFilter(@Nullable QueryBuilder own) {
            if (filter == null) {
                return own;
            }
            return own == null ? filter : QueryBuilders.boolQuery().filter(own).filter(filter);
        }
    }

    private static SearchRequest side(SearchRequest search, QueryBuilder query, int window, String[] vectorPaths) {
        SearchSourceBuilder source = new SearchSourceBuilder().query(query).size(window).trackTotalHits(false);
        source = vectorPaths == null ? source.fetchSource(false) : source.fetchSource(vectorPaths, null);
        return new SearchRequest(search.indices(), source).indicesOptions(search.indicesOptions())
            .routing(search.routing())
            .preference(search.preference());
    }

    /** A search's hits, best first, as a side of the ranking. */
    static Map<Key, Side> sides(SearchResponse response) {
        List<Key> keys = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        for (SearchHit hit : response.getHits().getHits()) {
            keys.add(new Key(hit.getIndex(), hit.getId()));
            scores.add(hit.getScore());
        }
        return HybridRanking.side(keys, scores);
    }

    private static Map<Key, float[]> vectors(SearchResponse response, String field) {
        Map<Key, float[]> vectors = new HashMap<>();
        for (SearchHit hit : response.getHits().getHits()) {
            try {
                vectors.put(new Key(hit.getIndex(), hit.getId()), DocumentVectors.of(hit.getSourceAsMap(), field, "document [" + hit.getId() + "]"));
            } catch (IllegalArgumentException e) {
                // A document BM25 found without a vector: it repeats nothing, as far as diversity can tell.
            }
        }
        return vectors;
    }

    private static String describe(HybridOptions hybrid, DiversityOptions diversity, int window) {
        List<String> parts = new ArrayList<>();
        if (hybrid != null) {
            Fusion fusion = hybrid.fusion();
            parts.add(fusion.method() == Fusion.Method.RRF
                ? "rrf, rank_constant " + fusion.rankConstant()
                : "linear, " + fusion.normalizer() + ", semantic_weight " + fusion.semanticWeight());
        }
        if (diversity != null) {
            parts.add("diversity (MMR) lambda " + diversity.lambda() + ", scores are the new order");
        }
        parts.add(window + " documents per side");
        return String.join(", ", parts);
    }
}
