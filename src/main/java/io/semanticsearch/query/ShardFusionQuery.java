package io.semanticsearch.query;

import io.semanticsearch.ranking.Fusion;
import io.semanticsearch.ranking.HybridRanking;
import io.semanticsearch.ranking.HybridRanking.Ranked;
import io.semanticsearch.ranking.HybridRanking.Side;

import org.apache.lucene.index.IndexReader;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.Explanation;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.Weight;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Hybrid ranking in one pass, for a search that reaches one shard: rewriting runs the BM25 side and the semantic side
 * on this shard (each its best {@code window} documents), fuses them with {@link HybridRanking}, the code the
 * coordinating node fuses with when a search spans shards, and becomes a {@link FusedScoreQuery} over the fused
 * documents. One shard's statistics and rankings are the whole result's, so the order and scores are those the
 * coordinator would give, without its extra round trip. Like Lucene's kNN queries, the work happens in
 * {@link #rewrite}; its result is kept per reader, so highlighters and explain that rewrite again do not search again.
 */
final class ShardFusionQuery extends Query {

    private final Query lexical;
    private final Query semantic;
    private final Fusion fusion;
    private final int window;
    private final String description;
    private final Query highlight;
    private final float[] vector;
    private final String vectorField;
    private volatile FusedScoreQuery fused;

    ShardFusionQuery(Query lexical, Query semantic, Fusion fusion, int window, String description, Query highlight, float[] vector, String vectorField) {
        this.lexical = lexical;
        this.semantic = semantic;
        this.fusion = fusion;
        this.window = window;
        this.description = description;
        this.highlight = highlight;
        this.vector = vector;
        this.vectorField = vectorField;
    }

    @Override
    public Query rewrite(IndexSearcher searcher) throws IOException {
        IndexReader reader = searcher.getIndexReader();
        Object readerId = reader.getContext().id();
        FusedScoreQuery done = fused;
        if (done != null && done.rankedFor(readerId)) {
            return done;
        }
        // A plain searcher over the same reader with the index's similarity: the search's own searcher would count
        // these side searches as the request's query phase (profiling, slices, post-collection processing).
        IndexSearcher sides = new IndexSearcher(reader);
        sides.setSimilarity(searcher.getSimilarity());
        sides.setQueryCache(null);
        Map<Integer, Side> lexicalSide = side(sides.search(lexical, window));
        Map<Integer, Side> semanticSide = side(sides.search(semantic, window));
        List<Ranked<Integer>> ranked = HybridRanking.fuse(fusion, lexicalSide, semanticSide);
        int[] docs = new int[ranked.size()];
        float[] scores = new float[ranked.size()];
        List<Explanation> explanations = new ArrayList<>(ranked.size());
        for (int i = 0; i < docs.length; i++) {
            Ranked<Integer> doc = ranked.get(i);
            docs[i] = doc.key();
            scores[i] = doc.score();
            explanations.add(FusedHitsQueryBuilder.explain(doc.score(), description, true, doc.lexical(), doc.semantic()));
        }
        done = new FusedScoreQuery(readerId, docs, scores, explanations, highlight, vector, vectorField);
        fused = done;
        return done;
    }

    private static Map<Integer, Side> side(TopDocs top) {
        List<Integer> docs = new ArrayList<>(top.scoreDocs.length);
        List<Float> scores = new ArrayList<>(top.scoreDocs.length);
        for (ScoreDoc scoreDoc : top.scoreDocs) {
            docs.add(scoreDoc.doc);
            scores.add(scoreDoc.score);
        }
        return HybridRanking.side(docs, scores);
    }

    @Override
    public Weight createWeight(IndexSearcher searcher, ScoreMode scoreMode, float boost) throws IOException {
        return searcher.rewrite(this).createWeight(searcher, scoreMode, boost);
    }

    float[] vector() {
        return vector;
    }

    String vectorField() {
        return vectorField;
    }

    @Override
    public void visit(QueryVisitor visitor) {
        // Highlighters see the BM25 side's terms, as they do of the fused query this becomes.
        if (highlight != null) {
            highlight.visit(visitor.getSubVisitor(BooleanClause.Occur.SHOULD, this));
        } else {
            visitor.visitLeaf(this);
        }
    }

    @Override
    public String toString(String field) {
        return "ShardFusionQuery(" + description + ", bm25: " + lexical.toString(field) + ", semantic: " + semantic.toString(field) + ")";
    }

    @Override
    public boolean equals(Object other) {
        if (sameClassAs(other) == false) {
            return false;
        }
        ShardFusionQuery that = (ShardFusionQuery) other;
        return lexical.equals(that.lexical)
            && semantic.equals(that.semantic)
            && fusion.equals(that.fusion)
            && window == that.window
            && description.equals(that.description)
            && Objects.equals(highlight, that.highlight);
    }

    @Override
    public int hashCode() {
        return Objects.hash(classHash(), lexical, semantic, fusion, window, description, highlight);
    }
}
