package io.semanticsearch.query;

import io.semanticsearch.ranking.Fusion;

import org.opensearch.test.OpenSearchTestCase;

import java.util.List;
import java.util.Map;

public class WholeResultOptionsTests extends OpenSearchTestCase {

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
