package io.semanticsearch.query;

import org.opensearch.test.OpenSearchTestCase;

import java.util.List;

public class PassageCentroidTests extends OpenSearchTestCase {

    public void testNormalisedMeanOfThePassages() {
        float[] centroid = PassageCentroid.of(List.of(List.of(1.0, 0.0), List.of(0.0, 1.0)), "doc");
        assertEquals(Math.sqrt(0.5), centroid[0], 1e-6);
        assertEquals(Math.sqrt(0.5), centroid[1], 1e-6);
        assertArrayEquals(new float[] { 0.6f, 0.8f }, PassageCentroid.of(List.of(List.of(3, 4)), "doc"), 1e-6f);
    }

    public void testBrokenVectorsAreNamed() {
        assertEquals(
            "doc [f] holds passage vectors of different lengths",
            expectThrows(IllegalArgumentException.class, () -> PassageCentroid.of(List.of(List.of(1, 0), List.of(1)), "doc [f]")).getMessage()
        );
        assertEquals(
            "doc [f] holds a non-number [x] in a passage vector",
            expectThrows(IllegalArgumentException.class, () -> PassageCentroid.of(List.of(List.of("x")), "doc [f]")).getMessage()
        );
        assertEquals(
            "doc [f] has passages whose vectors sum to zero",
            expectThrows(IllegalArgumentException.class, () -> PassageCentroid.of(List.of(List.of(1, 0), List.of(-1, 0)), "doc [f]"))
                .getMessage()
        );
    }
}
