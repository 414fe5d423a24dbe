package io.semanticsearch.query;

import io.semanticsearch.query.FusedHitsQueryBuilder.Hit;
import io.semanticsearch.query.FusedHitsQueryBuilder.Side;
import io.semanticsearch.rag.Fusion;
import io.semanticsearch.rag.ReciprocalRankFusion.Fused;

import org.apache.lucene.util.SetOnce;
import org.opensearch.action.search.MultiSearchRequest;
import org.opensearch.action.search.MultiSearchResponse;
import org.opensearch.action.search.SearchRequest;
import org.opensearch.action.search.SearchResponse;
import org.opensearch.action.search.SearchType;
import org.opensearch.core.action.ActionListener;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryBuilders;
import org.opensearch.index.query.QueryCoordinatorContext;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.search.SearchHit;
import org.opensearch.search.builder.SearchSourceBuilder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The coordinating node's part of a hybrid {@code semantic} query: it runs the semantic and the BM25 side as two
 * searches of the same indices (each its best {@code rank_window_size} documents, with the query's {@code filter}),
 * fuses their rankings with {@link Fusion}, the code {@code _rag} fuses with, and rewrites the query into
 * {@link FusedHitsQueryBuilder}. Normalizing over the whole result, not per shard, is what makes the ranking the same
 * on any number of shards; the price is a second round trip to the shards, which neural-search avoids by fusing in
 * a search pipeline and Elasticsearch by a retriever, neither of them an ordinary query.
 */
final class HybridRewrite {

    record Key(String index, String id) {}

    private static final double LOWEST_SCORE = 0.001;

    private HybridRewrite() {}

    /**
     * @param semantic the semantic side: the query with its vector, without {@code hybrid}
     * @param text     the query text, which BM25 searches
     * @param filter   the query's filter, applied to both sides
     */
    static QueryBuilder start(
        SemanticQueryBuilder semantic,
        String text,
        HybridOptions hybrid,
        QueryBuilder filter,
        QueryRewriteContext context
    ) {
        QueryCoordinatorContext coordinator = context.convertToCoordinatorContext();
        if (coordinator == null || coordinator.getSearchRequest() instanceof SearchRequest == false) {
            throw new IllegalArgumentException(
                "[semantic] [hybrid] fuses the results of a whole search, so it runs in [_search] and [_msearch] only"
            );
        }
        SearchRequest search = (SearchRequest) coordinator.getSearchRequest();
        SearchSourceBuilder source = search.source();
        if (source == null || !(source.query() instanceof SemanticQueryBuilder top) || top.hybrid() == null) {
            throw new IllegalArgumentException(
                "[semantic] [hybrid] must be the top-level query of the search: its scores are fused over the whole result, "
                    + "which a surrounding query would change. Put conditions in the semantic query's [filter] (both sides) or in [post_filter]"
            );
        }
        int end = Math.max(0, source.from()) + (source.size() < 0 ? 10 : source.size());
        int window = hybrid.windowFor(end);
        if (window < end) {
            throw new IllegalArgumentException(
                "[semantic] [hybrid] [rank_window_size] is [" + window + "], but the page ends at [from] + [size] = [" + end + "]: raise it or page less far"
            );
        }
        String textField = hybrid.textField() != null ? hybrid.textField() : semantic.fieldName();
        QueryBuilder match = QueryBuilders.matchQuery(textField, text);
        QueryBuilder lexical = filter == null ? match : QueryBuilders.boolQuery().must(match).filter(filter);
        // BM25 with the whole index's term statistics (DFS), not each shard's: the same ranking on 1 shard and on 5.
        MultiSearchRequest both = new MultiSearchRequest().add(side(search, semantic.k(window), window))
            .add(side(search, lexical, window).searchType(SearchType.DFS_QUERY_THEN_FETCH));
        SetOnce<FusedHitsQueryBuilder> fused = new SetOnce<>();
        context.registerAsyncAction((client, listener) -> client.multiSearch(both, ActionListener.wrap(response -> {
            MultiSearchResponse.Item[] items = response.getResponses();
            if (items[0].isFailure()) {
                listener.onFailure(items[0].getFailure());
                return;
            }
            if (items[1].isFailure()) {
                listener.onFailure(new IllegalArgumentException(
                    "[semantic] [hybrid] the BM25 side, a [match] on [" + textField + "], failed: " + items[1].getFailureMessage()
                        + (hybrid.textField() == null ? "; set [hybrid] [text_field] to the text field to search (a semantic_text field is its own)" : ""),
                    items[1].getFailure()
                ));
                return;
            }
            fused.set(new FusedHitsQueryBuilder(
                fuse(hybrid.fusion(), items[1].getResponse(), items[0].getResponse()),
                describe(hybrid.fusion(), window),
                match,
                semantic.queryVector(),
                semantic.fieldName()
            ));
            listener.onResponse(null);
        }, listener::onFailure)));
        return new FusedHitsQueryBuilder(fused::get);
    }

    private static SearchRequest side(SearchRequest search, QueryBuilder query, int window) {
        SearchSourceBuilder source = new SearchSourceBuilder().query(query).size(window).fetchSource(false).trackTotalHits(false);
        return new SearchRequest(search.indices(), source).indicesOptions(search.indicesOptions())
            .routing(search.routing())
            .preference(search.preference());
    }

    /**
     * The fused documents, best first, with strictly falling scores: Lucene wants no negative score (a z-score fusion
     * has some, so all are shifted by the same amount, up to a lowest score of {@value #LOWEST_SCORE}) and orders ties by shard and doc id, where the fusion ordered
     * them by first sight; the next float down keeps its order.
     */
    static List<Hit> fuse(Fusion fusion, SearchResponse lexicalResponse, SearchResponse semanticResponse) {
        return fuse(fusion, sides(lexicalResponse), sides(semanticResponse));
    }

    /** As {@link #fuse(Fusion, SearchResponse, SearchResponse)}, from each side's documents in its order; pure, for tests. */
    static List<Hit> fuse(Fusion fusion, Map<Key, Side> lexical, Map<Key, Side> semantic) {
        List<Fused<Key>> fused = fusion.fuse(scores(lexical), scores(semantic));
        double lowest = fused.isEmpty() ? 0 : fused.get(fused.size() - 1).score();
        // Lifted so that the lowest scores LOWEST_SCORE: room below it for ties to be stepped down without reaching 0.
        double shift = Math.max(0, LOWEST_SCORE - lowest);
        List<Hit> hits = new ArrayList<>(fused.size());
        float previous = Float.POSITIVE_INFINITY;
        for (Fused<Key> f : fused) {
            float score = Math.min((float) (f.score() + shift), Math.nextDown(previous));
            hits.add(new Hit(f.key().index(), f.key().id(), score, lexical.get(f.key()), semantic.get(f.key())));
            previous = score;
        }
        return hits;
    }

    private static Map<Key, Side> sides(SearchResponse response) {
        Map<Key, Side> sides = new LinkedHashMap<>();
        for (SearchHit hit : response.getHits().getHits()) {
            sides.putIfAbsent(new Key(hit.getIndex(), hit.getId()), new Side(sides.size() + 1, hit.getScore()));
        }
        return sides;
    }

    private static Map<Key, Double> scores(Map<Key, Side> sides) {
        Map<Key, Double> scores = new LinkedHashMap<>();
        sides.forEach((key, side) -> scores.put(key, (double) side.score()));
        return scores;
    }

    private static String describe(Fusion fusion, int window) {
        String how = fusion.method() == Fusion.Method.RRF
            ? "rrf, rank_constant " + fusion.rankConstant()
            : "linear, " + fusion.normalizer() + ", semantic_weight " + fusion.semanticWeight();
        return how + ", " + window + " documents per side";
    }
}
