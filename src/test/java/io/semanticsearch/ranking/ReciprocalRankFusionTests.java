package io.semanticsearch.ranking;

import io.semanticsearch.ranking.ReciprocalRankFusion.Fused;

import org.opensearch.test.OpenSearchTestCase;

import java.util.List;

public class ReciprocalRankFusionTests extends OpenSearchTestCase {

    public void testScoresAreSumsOfReciprocalRanks() {
        List<Fused<String>> fused = ReciprocalRankFusion.fuse(List.of(List.of("a", "b", "c"), List.of("c", "a", "d")), 60);
        assertEquals(List.of("a", "c", "b", "d"), fused.stream().map(Fused::key).toList());
        assertEquals(1.0 / 61 + 1.0 / 62, fused.get(0).score(), 1e-12);
        assertEquals(1.0 / 63 + 1.0 / 61, fused.get(1).score(), 1e-12);
        assertEquals(1.0 / 62, fused.get(2).score(), 1e-12);
        assertEquals(1.0 / 63, fused.get(3).score(), 1e-12);
    }

    public void testAnItemBothListsFindBeatsTheTopOfOne() {
        // "x" is first for BM25 only; "y" is second in both: agreement wins, which is the point of fusion.
        List<Fused<String>> fused = ReciprocalRankFusion.fuse(List.of(List.of("x", "y"), List.of("z", "y")), 60);
        assertEquals("y", fused.get(0).key());
    }

    public void testTiesKeepTheOrderOfTheFirstRanking() {
        List<Fused<String>> fused = ReciprocalRankFusion.fuse(List.of(List.of("a", "b"), List.of("b", "a")), 60);
        assertEquals(List.of("a", "b"), fused.stream().map(Fused::key).toList());
        assertEquals(fused.get(0).score(), fused.get(1).score(), 0);
    }

    public void testSmallRankConstantFavoursTopRanks() {
        // With k = 1 a single first place (1/2) beats two third places (1/4 + 1/4 = 1/2 tie) and two fourth places.
        List<Fused<String>> fused = ReciprocalRankFusion.fuse(
            List.of(List.of("top", "p", "q", "both"), List.of("r", "s", "t", "both")),
            1
        );
        assertEquals("top", fused.get(0).key());
        assertTrue(fused.get(0).score() > fused.stream().filter(f -> f.key().equals("both")).findFirst().orElseThrow().score());
        // With the default constant the same lists put agreement first.
        assertEquals("both", ReciprocalRankFusion.fuse(List.of(List.of("top", "both"), List.of("r", "both")), 60).get(0).key());
    }

    public void testEmptyAndOneSided() {
        assertEquals(List.of(), ReciprocalRankFusion.fuse(List.of(List.of(), List.of()), 60));
        assertEquals(List.of("a", "b"), ReciprocalRankFusion.fuse(List.of(List.of(), List.of("a", "b")), 60).stream().map(Fused::key).toList());
    }

    public void testRankConstantMustBePositive() {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> ReciprocalRankFusion.fuse(List.of(), 0));
        assertEquals("[rank_constant] must be at least 1, got [0]", e.getMessage());
    }
}
