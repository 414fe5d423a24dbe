package io.semanticsearch.query;

import io.semanticsearch.query.FusedHitsQueryBuilder.Hit;
import io.semanticsearch.query.FusedHitsQueryBuilder.Side;
import io.semanticsearch.query.WholeResultRewrite.Key;
import io.semanticsearch.ranking.Fusion;
import io.semanticsearch.ranking.LinearFusion;

import org.opensearch.test.OpenSearchTestCase;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public class WholeResultRewriteTests extends OpenSearchTestCase {

    private static Map<Key, Side> side(String index, String... idsAndScores) {
        Map<Key, Side> side = new LinkedHashMap<>();
        for (int i = 0; i < idsAndScores.length; i += 2) {
            side.put(new Key(index, idsAndScores[i]), new Side(side.size() + 1, Float.parseFloat(idsAndScores[i + 1])));
        }
        return side;
    }

    public void testZScoreFusionIsShiftedToNonNegativeScoresInTheFusedOrder() {
        Map<Key, Side> lexical = side("a", "1", "9", "2", "3", "3", "1");
        Map<Key, Side> semantic = side("a", "2", "0.9", "1", "0.85", "4", "0.5");
        List<Hit> hits = WholeResultRewrite.fuse(Fusion.linear(0.5, LinearFusion.Normalizer.Z_SCORE), lexical, semantic);
        assertEquals(4, hits.size());
        assertEquals("the BM25 winner stands far ahead", "1", hits.get(0).id());
        for (int i = 0; i < hits.size(); i++) {
            assertTrue(hits.get(i).toString(), hits.get(i).score() >= 0);
            if (i > 0) {
                assertTrue("strictly falling: " + hits, hits.get(i).score() < hits.get(i - 1).score());
            }
        }
        Hit four = hits.stream().filter(h -> h.id().equals("4")).findFirst().orElseThrow();
        assertNull("BM25 did not find it", four.lexical());
        assertEquals(new Side(3, 0.5f), four.semantic());
    }

    public void testTiesKeepTheFusionsOrderAndIndicesAreKeptApart() {
        // RRF: each document is at rank 1 of one side only, so both fuse to the same score; BM25's comes first.
        List<Hit> hits = WholeResultRewrite.fuse(Fusion.rrf(60), side("a", "x", "5"), side("b", "x", "0.8"));
        assertEquals(List.of("a", "b"), hits.stream().map(Hit::index).toList());
        assertTrue(hits.get(1).score() < hits.get(0).score());
        assertEquals(1.0 / 61, hits.get(0).score(), 1e-6);
    }

    public void testDiversityLetsANearDuplicateGiveWay() {
        Map<Key, Side> semantic = side("a", "x", "0.9", "x-copy", "0.89", "y", "0.8");
        Map<Key, float[]> vectors = Map.of(
            new Key("a", "x"), new float[] { 1, 0 },
            new Key("a", "x-copy"), new float[] { 0.99f, 0.1f },
            new Key("a", "y"), new float[] { 0, 1 }
        );
        List<Hit> ranked = WholeResultRewrite.ranked(semantic);
        assertEquals(List.of("x", "x-copy", "y"), ranked.stream().map(Hit::id).toList());
        List<Hit> diverse = WholeResultRewrite.diversify(ranked, vectors, 0.5);
        assertEquals(List.of("x", "y", "x-copy"), diverse.stream().map(Hit::id).toList());
        assertEquals(List.of(1f, 2f / 3, 1f / 3), diverse.stream().map(Hit::score).toList());
        assertEquals("relevance alone keeps the order", List.of("x", "x-copy", "y"),
            WholeResultRewrite.diversify(ranked, vectors, 1).stream().map(Hit::id).toList());
    }

    public void testDiversityOptionsParseAndNameWhatIsWrong() {
        assertEquals(new DiversityOptions(0.7, null), DiversityOptions.parse(0.7));
        assertEquals(new DiversityOptions(DiversityOptions.DEFAULT_LAMBDA, 30), DiversityOptions.parse(Map.of("rank_window_size", 30)));
        for (Object bad : List.of(1.5, Map.of("lambda", "high"), Map.of("lambda", -0.1))) {
            IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> DiversityOptions.parse(bad));
            assertTrue(e.getMessage(), e.getMessage().contains("[semantic] [diversity] [lambda] must be a number between 0 and 1"));
        }
        assertTrue(expectThrows(IllegalArgumentException.class, () -> DiversityOptions.parse("yes")).getMessage().contains("[semantic] [diversity] must be a number"));
        assertTrue(expectThrows(IllegalArgumentException.class, () -> DiversityOptions.parse(Map.of("k", 1))).getMessage().contains("does not support [k]"));
    }

    public void testNothingFoundFusesToNothing() {
        assertEquals(List.of(), WholeResultRewrite.fuse(Fusion.DEFAULT, Map.of(), Map.of()));
    }

    public void testOptionsParseWithDefaultsAndNameWhatIsWrong() {
        HybridOptions defaults = HybridOptions.parse(true);
        assertNull(defaults.textField());
        assertEquals(Fusion.DEFAULT, defaults.fusion());
        assertEquals(20, defaults.windowFor(10));
        assertEquals(10, defaults.windowFor(2));
        assertNull(HybridOptions.parse(false));
        HybridOptions rrf = HybridOptions.parse(Map.of("text_field", "body", "rank_constant", 20, "rank_window_size", 50));
        assertEquals(Fusion.rrf(20), rrf.fusion());
        assertEquals(50, rrf.windowFor(10));
        assertEquals("body", rrf.textField());

        assertError("yes", "[semantic] [hybrid] must be true or an object");
        assertError(Map.of("colour", 1), "[semantic] [hybrid] does not support [colour]");
        assertError(Map.of("fusion", "max"), "[semantic] [hybrid] [fusion] must be [rrf] or [linear], got [max]");
        assertError(Map.of("semantic_weight", 2), "[semantic] [hybrid] [semantic_weight] must be between 0.0 and 1.0");
        assertError(Map.of("fusion", "rrf", "normalizer", "min_max"), "[normalizer] applies to [fusion] [linear] only");
        assertError(Map.of("rank_window_size", 0), "[rank_window_size] must be an integer between 1 and 10000");
        assertError(Map.of("text_field", " "), "[text_field] must be a field name");
    }

    private static void assertError(Object value, String message) {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> HybridOptions.parse(value));
        assertTrue(e.getMessage(), e.getMessage().contains(message));
    }
}
