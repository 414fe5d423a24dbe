package io.semanticsearch.ranking;

import io.semanticsearch.ranking.HybridRanking.Ranked;
import io.semanticsearch.ranking.HybridRanking.Side;

import org.opensearch.test.OpenSearchTestCase;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

public class HybridRankingTests extends OpenSearchTestCase {

    /** A side from alternating keys and scores, best first. */
    private static Map<String, Side> side(String... keysAndScores) {
        List<String> keys = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        for (int i = 0; i < keysAndScores.length; i += 2) {
            keys.add(keysAndScores[i]);
            scores.add(Float.parseFloat(keysAndScores[i + 1]));
        }
        return HybridRanking.side(keys, scores);
    }

    public void testZScoreFusionIsShiftedToNonNegativeScoresInTheFusedOrder() {
        Map<String, Side> lexical = side("1", "9", "2", "3", "3", "1");
        Map<String, Side> semantic = side("2", "0.9", "1", "0.85", "4", "0.5");
        List<Ranked<String>> ranked = HybridRanking.fuse(Fusion.linear(0.5, LinearFusion.Normalizer.Z_SCORE), lexical, semantic);
        assertEquals(4, ranked.size());
        assertEquals("the BM25 winner stands far ahead", "1", ranked.get(0).key());
        for (int i = 0; i < ranked.size(); i++) {
            assertTrue(ranked.get(i).toString(), ranked.get(i).score() >= HybridRanking.LOWEST_SCORE - 1e-9);
            if (i > 0) {
                assertTrue("strictly falling: " + ranked, ranked.get(i).score() < ranked.get(i - 1).score());
            }
        }
        Ranked<String> four = ranked.stream().filter(r -> r.key().equals("4")).findFirst().orElseThrow();
        assertNull("BM25 did not find it", four.lexical());
        assertEquals(new Side(3, 0.5f), four.semantic());
    }

    public void testTiesKeepTheFusionsOrderSteppedDownByOneFloat() {
        // RRF: each document is at rank 1 of one side only, so both fuse to the same score; BM25's comes first.
        List<Ranked<String>> ranked = HybridRanking.fuse(Fusion.rrf(60), side("bm25-only", "5"), side("semantic-only", "0.8"));
        assertEquals(List.of("bm25-only", "semantic-only"), ranked.stream().map(Ranked::key).toList());
        assertEquals(1.0 / 61, ranked.get(0).score(), 1e-6);
        assertEquals(Math.nextDown(ranked.get(0).score()), ranked.get(1).score(), 0f);
    }

    public void testAKeySeenTwiceKeepsItsFirstPlace() {
        Map<String, Side> side = HybridRanking.side(List.of("a", "b", "a"), List.of(3f, 2f, 1f));
        assertEquals(Map.of("a", new Side(1, 3f), "b", new Side(2, 2f)), side);
    }

    public void testDiversityLetsANearDuplicateGiveWay() {
        Map<String, Side> semantic = side("x", "0.9", "x-copy", "0.89", "y", "0.8");
        Map<String, float[]> vectors = Map.of("x", new float[] { 1, 0 }, "x-copy", new float[] { 0.99f, 0.1f }, "y", new float[] { 0, 1 });
        List<Ranked<String>> ranked = HybridRanking.semanticOnly(semantic);
        assertEquals(List.of("x", "x-copy", "y"), ranked.stream().map(Ranked::key).toList());
        assertEquals("the semantic side alone keeps its scores", 0.9f, ranked.get(0).score(), 0f);
        List<Ranked<String>> diverse = HybridRanking.diversify(ranked, vectors, 0.5);
        assertEquals(List.of("x", "y", "x-copy"), diverse.stream().map(Ranked::key).toList());
        assertEquals(List.of(1f, 2f / 3, 1f / 3), diverse.stream().map(Ranked::score).toList());
        assertEquals("relevance alone keeps the order", List.of("x", "x-copy", "y"),
            HybridRanking.diversify(ranked, vectors, 1).stream().map(Ranked::key).toList());
    }

    public void testNothingFoundFusesToNothing() {
        assertEquals(List.of(), HybridRanking.fuse(Fusion.DEFAULT, Map.<String, Side>of(), Map.of()));
    }
}
