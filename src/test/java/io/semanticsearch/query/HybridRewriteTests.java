package io.semanticsearch.query;

import io.semanticsearch.query.FusedHitsQueryBuilder.Hit;
import io.semanticsearch.query.FusedHitsQueryBuilder.Side;
import io.semanticsearch.query.HybridRewrite.Key;
import io.semanticsearch.rag.Fusion;
import io.semanticsearch.rag.LinearFusion;

import org.opensearch.test.OpenSearchTestCase;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public class HybridRewriteTests extends OpenSearchTestCase {

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
        List<Hit> hits = HybridRewrite.fuse(Fusion.linear(0.5, LinearFusion.Normalizer.Z_SCORE), lexical, semantic);
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
        List<Hit> hits = HybridRewrite.fuse(Fusion.rrf(60), side("a", "x", "5"), side("b", "x", "0.8"));
        assertEquals(List.of("a", "b"), hits.stream().map(Hit::index).toList());
        assertTrue(hits.get(1).score() < hits.get(0).score());
        assertEquals(1.0 / 61, hits.get(0).score(), 1e-6);
    }

    public void testNothingFoundFusesToNothing() {
        assertEquals(List.of(), HybridRewrite.fuse(Fusion.DEFAULT, Map.of(), Map.of()));
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
