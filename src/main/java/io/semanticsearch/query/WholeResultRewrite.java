package io.semanticsearch.query;

import io.semanticsearch.query.FusedHitsQueryBuilder.Hit;
import io.semanticsearch.query.FusedHitsQueryBuilder.Side;
import io.semanticsearch.ranking.Fusion;
import io.semanticsearch.ranking.LexicalText;
import io.semanticsearch.ranking.MaximalMarginalRelevance;
import io.semanticsearch.ranking.ReciprocalRankFusion.Fused;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The coordinating node's part of a {@code semantic} query whose ranking needs the whole result: {@code hybrid}
 * (fuse with BM25) and {@code diversity} (reorder by maximal marginal relevance). It runs the semantic side, and the
 * BM25 side for hybrid, as searches of the same indices (each its best {@code rank_window_size} documents, with the
 * query's {@code filter}), fuses their rankings with {@link Fusion}, the code {@code _rag} fuses with, reorders them
 * for diversity, and rewrites the query into {@link FusedHitsQueryBuilder}. Ranking over the whole result, not per
 * shard, is what makes it the same on any number of shards; the price is a second round trip to the shards, which
 * neural-search avoids by fusing in a search pipeline and Elasticsearch by a retriever, neither an ordinary query.
 */
final class WholeResultRewrite {

    record Key(String index, String id) {}

    private static final double LOWEST_SCORE = 0.001;

    private WholeResultRewrite() {}

    /**
     * @param semantic  the semantic side: the query with its vector, without {@code hybrid} or {@code diversity}
     * @param text      the query text, which BM25 searches; null without hybrid
     * @param hybrid    the fusion with BM25, or null
     * @param diversity the reordering, or null
     * @param filter    the query's filter, applied to both sides
     */
    static QueryBuilder start(
        SemanticQueryBuilder semantic,
        @Nullable String text,
        @Nullable HybridOptions hybrid,
        @Nullable DiversityOptions diversity,
        QueryBuilder filter,
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
        // Diversity compares the documents by their vectors, which both sides then bring along.
        String[] vectorPaths = diversity == null ? null : DocumentVectors.sourcePaths(semantic.fieldName());
        MultiSearchRequest searches = new MultiSearchRequest().add(side(search, semantic.k(window).filter(narrowed), window, vectorPaths));
        QueryBuilder match = null;
        String textField = null;
        if (hybrid != null) {
            textField = hybrid.textField() != null ? hybrid.textField() : semantic.fieldName();
            match = QueryBuilders.matchQuery(textField, LexicalText.bounded(text, LexicalText.maxWords()));
            QueryBuilder lexical = narrowed == null ? match : QueryBuilders.boolQuery().must(match).filter(narrowed);
            // BM25 with the whole index's term statistics (DFS), not each shard's: the same ranking on 1 shard and on 5.
            searches.add(side(search, lexical, window, vectorPaths).searchType(SearchType.DFS_QUERY_THEN_FETCH));
        }
        String lexicalField = textField;
        QueryBuilder highlight = match;
        String description = describe(hybrid, diversity, window);
        SetOnce<FusedHitsQueryBuilder> ranked = new SetOnce<>();
        context.registerAsyncAction((client, listener) -> client.multiSearch(searches, ActionListener.wrap(response -> {
            MultiSearchResponse.Item[] items = response.getResponses();
            if (items[0].isFailure()) {
                listener.onFailure(items[0].getFailure());
                return;
            }
            if (items.length > 1 && items[1].isFailure()) {
                listener.onFailure(new IllegalArgumentException(
                    "[semantic] [hybrid] the BM25 side, a [match] on [" + lexicalField + "], failed: " + items[1].getFailureMessage()
                        + (hybrid.textField() == null ? "; set [hybrid] [text_field] to the text field to search (a semantic_text field is its own)" : ""),
                    items[1].getFailure()
                ));
                return;
            }
            SearchResponse semanticResponse = items[0].getResponse();
            List<Hit> hits = items.length > 1
                ? fuse(hybrid.fusion(), sides(items[1].getResponse()), sides(semanticResponse))
                : ranked(sides(semanticResponse));
            if (diversity != null) {
                Map<Key, float[]> vectors = new HashMap<>();
                for (MultiSearchResponse.Item item : items) {
                    vectors.putAll(vectors(item.getResponse(), semantic.fieldName()));
                }
                hits = diversify(hits, vectors, diversity.lambda());
            }
            ranked.set(new FusedHitsQueryBuilder(hits, description, highlight, semantic.queryVector(), semantic.fieldName()));
            listener.onResponse(null);
        }, listener::onFailure)));
        return new FusedHitsQueryBuilder(ranked::get);
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

    /** The semantic side alone, in its order: each document keeps its similarity score. */
    static List<Hit> ranked(Map<Key, Side> semantic) {
        List<Key> keys = new ArrayList<>(semantic.keySet());
        List<Double> scores = keys.stream().map(k -> (double) semantic.get(k).score()).toList();
        return hits(keys, scores, Map.of(), semantic);
    }

    /** The two sides fused, best first. */
    static List<Hit> fuse(Fusion fusion, Map<Key, Side> lexical, Map<Key, Side> semantic) {
        List<Fused<Key>> fused = fusion.fuse(scores(lexical), scores(semantic));
        return hits(fused.stream().map(Fused::key).toList(), fused.stream().map(Fused::score).toList(), lexical, semantic);
    }

    /**
     * {@code hits} reordered by maximal marginal relevance (relevance: their scores, min-max normalized; redundancy:
     * the cosine of their vectors, zero for a document without one). Their scores become the order, {@code 1} for the
     * first and falling by {@code 1/n}: a relevance mixed with novelty is no similarity any more.
     */
    static List<Hit> diversify(List<Hit> hits, Map<Key, float[]> vectors, double lambda) {
        if (hits.isEmpty()) {
            return hits;
        }
        int dims = vectors.values().stream().mapToInt(v -> v.length).max().orElse(1);
        double min = hits.stream().mapToDouble(Hit::score).min().orElse(0);
        double max = hits.stream().mapToDouble(Hit::score).max().orElse(0);
        double[] relevance = new double[hits.size()];
        float[][] itemVectors = new float[hits.size()][];
        for (int i = 0; i < hits.size(); i++) {
            Hit hit = hits.get(i);
            relevance[i] = max > min ? (hit.score() - min) / (max - min) : 1;
            float[] vector = vectors.get(new Key(hit.index(), hit.id()));
            itemVectors[i] = vector != null && vector.length == dims ? vector : new float[dims];
        }
        int[] order = MaximalMarginalRelevance.select(relevance, itemVectors, hits.size(), lambda);
        List<Hit> reordered = new ArrayList<>(order.length);
        for (int rank = 0; rank < order.length; rank++) {
            Hit hit = hits.get(order[rank]);
            reordered.add(new Hit(hit.index(), hit.id(), (float) (order.length - rank) / order.length, hit.lexical(), hit.semantic()));
        }
        return reordered;
    }

    /**
     * The documents with strictly falling scores: Lucene wants no negative score (a z-score fusion has some, so all
     * are shifted by the same amount, up to a lowest score of {@value #LOWEST_SCORE}) and orders ties by shard and doc
     * id, where the ranking ordered them by first sight; the next float down keeps its order.
     */
    private static List<Hit> hits(List<Key> keys, List<Double> scores, Map<Key, Side> lexical, Map<Key, Side> semantic) {
        double lowest = scores.isEmpty() ? 0 : scores.get(scores.size() - 1);
        // Lifted so that the lowest scores LOWEST_SCORE: room below it for ties to be stepped down without reaching 0.
        double shift = Math.max(0, LOWEST_SCORE - lowest);
        List<Hit> hits = new ArrayList<>(keys.size());
        float previous = Float.POSITIVE_INFINITY;
        for (int i = 0; i < keys.size(); i++) {
            Key key = keys.get(i);
            float score = Math.min((float) (scores.get(i) + shift), Math.nextDown(previous));
            hits.add(new Hit(key.index(), key.id(), score, lexical.get(key), semantic.get(key)));
            previous = score;
        }
        return hits;
    }

    static Map<Key, Side> sides(SearchResponse response) {
        Map<Key, Side> sides = new LinkedHashMap<>();
        for (SearchHit hit : response.getHits().getHits()) {
            sides.putIfAbsent(new Key(hit.getIndex(), hit.getId()), new Side(sides.size() + 1, hit.getScore()));
        }
        return sides;
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

    private static Map<Key, Double> scores(Map<Key, Side> sides) {
        Map<Key, Double> scores = new LinkedHashMap<>();
        sides.forEach((key, side) -> scores.put(key, (double) side.score()));
        return scores;
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
