package io.semanticsearch.ranking;

import io.semanticsearch.ranking.LinearFusion.Normalizer;
import io.semanticsearch.ranking.LinearFusion.Ranking;
import io.semanticsearch.ranking.ReciprocalRankFusion.Fused;

import org.opensearch.test.OpenSearchTestCase;

import java.util.List;

public class LinearFusionTests extends OpenSearchTestCase {

    public void testMinMaxScoresAreWeightedSumsOfRescaledScores() {
        List<Fused<String>> fused = LinearFusion.fuse(
            List.of(new Ranking<>(List.of("a", "b", "c"), List.of(9.0, 5.0, 1.0), 0.4), new Ranking<>(List.of("c", "d"), List.of(0.9, 0.7), 0.6)),
            Normalizer.MIN_MAX
        );
        // a: 0.4 * 1; b: 0.4 * 0.5; c: 0.4 * 0 + 0.6 * 1; d: 0.6 * 0 (the last of a ranking rescales to 0, as does a miss).
        assertEquals(List.of("c", "a", "b", "d"), fused.stream().map(Fused::key).toList());
        assertEquals(0.6, fused.get(0).score(), 1e-12);
        assertEquals(0.4, fused.get(1).score(), 1e-12);
        assertEquals(0.2, fused.get(2).score(), 1e-12);
        assertEquals(0.0, fused.get(3).score(), 1e-12);
    }

    public void testZScoresAndMissesGetTheRankingsLowest() {
        // Ranking one: 3, 2, 1 -> mean 2, deviation sqrt(2/3): z = 1.2247, 0, -1.2247. Ranking two: 0.8, 0.4 -> z = 1, -1.
        List<Fused<String>> fused = LinearFusion.fuse(
            List.of(new Ranking<>(List.of("a", "b", "c"), List.of(3.0, 2.0, 1.0), 0.5), new Ranking<>(List.of("b", "d"), List.of(0.8, 0.4), 0.5)),
            Normalizer.Z_SCORE
        );
        double z = Math.sqrt(1.5);
        assertEquals(List.of("b", "a", "c", "d"), fused.stream().map(Fused::key).toList());
        assertEquals(0.5 * 0 + 0.5 * 1, fused.get(0).score(), 1e-12);
        assertEquals(0.5 * z + 0.5 * -1, fused.get(1).score(), 1e-12); // a: missed by ranking two, its lowest (-1)
        assertEquals(0.5 * -z + 0.5 * -1, fused.get(2).score(), 1e-12);
        assertEquals(0.5 * -z + 0.5 * -1, fused.get(3).score(), 1e-12); // d: missed by ranking one, its lowest
    }

    public void testScaleOfTheScoresDoesNotMatter() {
        // BM25 scores in the tens and cosine similarities below one weigh the same once normalized.
        for (Normalizer normalizer : Normalizer.values()) {
            List<Fused<String>> small = LinearFusion.fuse(
                List.of(new Ranking<>(List.of("a", "b", "c"), List.of(0.3, 0.2, 0.05), 0.5), new Ranking<>(List.of("b", "a"), List.of(0.9, 0.3), 0.5)),
                normalizer
            );
            List<Fused<String>> large = LinearFusion.fuse(
                List.of(new Ranking<>(List.of("a", "b", "c"), List.of(30.0, 20.0, 5.0), 0.5), new Ranking<>(List.of("b", "a"), List.of(0.9, 0.3), 0.5)),
                normalizer
            );
            assertEquals(normalizer.toString(), small.stream().map(Fused::key).toList(), large.stream().map(Fused::key).toList());
            for (int i = 0; i < small.size(); i++) {
                assertEquals(normalizer.toString(), small.get(i).score(), large.get(i).score(), 1e-9);
            }
        }
    }

    public void testEqualScoresAndTies() {
        // One hit, or hits that all score the same, normalize alike; ties keep the first ranking's order.
        for (Normalizer normalizer : Normalizer.values()) {
            List<Fused<String>> fused = LinearFusion.fuse(
                List.of(new Ranking<>(List.of("a"), List.of(3.0), 0.5), new Ranking<>(List.of("b", "c"), List.of(0.5, 0.5), 0.5)),
                normalizer
            );
            assertEquals(normalizer.toString(), List.of("a", "b", "c"), fused.stream().map(Fused::key).toList());
            assertEquals(fused.get(0).score(), fused.get(2).score(), 1e-12);
        }
        assertEquals(List.of(), LinearFusion.fuse(List.<Ranking<String>>of(new Ranking<>(List.of(), List.of(), 1.0)), Normalizer.Z_SCORE));
    }

    public void testARankingNeedsOneScorePerItem() {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> new Ranking<>(List.of("a"), List.of(), 1.0));
        assertEquals("a ranking needs one score per item, got [1] items and [0] scores", e.getMessage());
    }
}
