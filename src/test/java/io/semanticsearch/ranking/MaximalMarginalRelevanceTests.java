package io.semanticsearch.ranking;

import org.opensearch.test.OpenSearchTestCase;

public class MaximalMarginalRelevanceTests extends OpenSearchTestCase {

    public void testPrefersANovelItemOverANearDuplicate() {
        // 0 and 1 say the same; 2 is a little less relevant but different.
        float[][] vectors = { { 1, 0, 0 }, { 0.99f, 0.01f, 0 }, { 0, 1, 0 } };
        double[] relevance = { 0.9, 0.89, 0.8 };
        assertArrayEquals(new int[] { 0, 2, 1 }, MaximalMarginalRelevance.select(relevance, vectors, 3, 0.7));
    }

    public void testLambdaOneIsRelevanceOrder() {
        float[][] vectors = { { 1, 0 }, { 1, 0 }, { 0, 1 } };
        assertArrayEquals(new int[] { 1, 0, 2 }, MaximalMarginalRelevance.select(new double[] { 0.5, 0.9, 0.1 }, vectors, 3, 1.0));
    }

    public void testCountBoundsThePicks() {
        float[][] vectors = { { 1, 0 }, { 0, 1 } };
        assertArrayEquals(new int[] { 1 }, MaximalMarginalRelevance.select(new double[] { 0.2, 0.3 }, vectors, 1, 0.7));
        assertArrayEquals(new int[] { 1, 0 }, MaximalMarginalRelevance.select(new double[] { 0.2, 0.3 }, vectors, 5, 0.7));
        assertArrayEquals(new int[0], MaximalMarginalRelevance.select(new double[0], new float[0][], 3, 0.7));
    }

    public void testRejectsBadArguments() {
        expectThrows(IllegalArgumentException.class, () -> MaximalMarginalRelevance.select(new double[2], new float[1][], 1, 0.5));
        IllegalArgumentException e = expectThrows(
            IllegalArgumentException.class,
            () -> MaximalMarginalRelevance.select(new double[0], new float[0][], 1, 1.5)
        );
        assertEquals("[lambda] must be between 0 and 1, got [1.5]", e.getMessage());
    }

    public void testCosine() {
        assertEquals(1.0, MaximalMarginalRelevance.cosine(new float[] { 2, 0 }, new float[] { 5, 0 }), 1e-9);
        assertEquals(0.0, MaximalMarginalRelevance.cosine(new float[] { 1, 0 }, new float[] { 0, 3 }), 1e-9);
        assertEquals(0.0, MaximalMarginalRelevance.cosine(new float[] { 0, 0 }, new float[] { 1, 0 }), 1e-9);
    }
}
