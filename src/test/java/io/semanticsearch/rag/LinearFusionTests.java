package io.semanticsearch.rag;

import io.semanticsearch.rag.LinearFusion.Ranking;
import io.semanticsearch.rag.ReciprocalRankFusion.Fused;

import org.opensearch.test.OpenSearchTestCase;

import java.util.List;

public class LinearFusionTests extends OpenSearchTestCase {

    public void testScoresAreWeightedSumsOfMinMaxRescaledScores() {
        List<Fused<String>> fused = LinearFusion.fuse(
            List.of(new Ranking<>(List.of("a", "b", "c"), List.of(9.0, 5.0, 1.0), 0.4), new Ranking<>(List.of("c", "d"), List.of(0.9, 0.7), 0.6))
        );
        // a: 0.4 * 1; b: 0.4 * 0.5; c: 0.4 * 0 + 0.6 * 1; d: 0.6 * 0 (the last of a ranking rescales to 0).
        assertEquals(List.of("c", "a", "b", "d"), fused.stream().map(Fused::key).toList());
        assertEquals(0.6, fused.get(0).score(), 1e-12);
        assertEquals(0.4, fused.get(1).score(), 1e-12);
        assertEquals(0.2, fused.get(2).score(), 1e-12);
        assertEquals(0.0, fused.get(3).score(), 1e-12);
    }

    public void testScaleOfTheScoresDoesNotMatter() {
        // BM25 scores in the tens and cosine similarities below one weigh the same once rescaled.
        List<Fused<String>> small = LinearFusion.fuse(
            List.of(new Ranking<>(List.of("a", "b"), List.of(0.2, 0.1), 0.5), new Ranking<>(List.of("b", "a"), List.of(0.9, 0.3), 0.5))
        );
        List<Fused<String>> large = LinearFusion.fuse(
            List.of(new Ranking<>(List.of("a", "b"), List.of(200.0, 100.0), 0.5), new Ranking<>(List.of("b", "a"), List.of(0.9, 0.3), 0.5))
        );
        assertEquals(small, large);
    }

    public void testEqualScoresAndTies() {
        // One hit, or hits that all score the same, rescale to 1; ties keep the first ranking's order.
        List<Fused<String>> fused = LinearFusion.fuse(
            List.of(new Ranking<>(List.of("a"), List.of(3.0), 0.5), new Ranking<>(List.of("b", "c"), List.of(0.5, 0.5), 0.5))
        );
        assertEquals(List.of("a", "b", "c"), fused.stream().map(Fused::key).toList());
        assertEquals(0.5, fused.get(2).score(), 1e-12);
        assertEquals(List.of(), LinearFusion.fuse(List.<Ranking<String>>of(new Ranking<>(List.of(), List.of(), 1.0))));
    }

    public void testARankingNeedsOneScorePerItem() {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> new Ranking<>(List.of("a"), List.of(), 1.0));
        assertEquals("a ranking needs one score per item, got [1] items and [0] scores", e.getMessage());
    }
}
