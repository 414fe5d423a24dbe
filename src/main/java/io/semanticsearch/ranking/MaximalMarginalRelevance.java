package io.semanticsearch.ranking;

/**
 * Maximal marginal relevance (Carbonell and Goldstein, SIGIR 1998): picks items one at a time, each maximising
 * {@code lambda * relevance - (1 - lambda) * (greatest similarity to an item already picked)}, so that a second
 * sentence saying what the first said loses to one that adds something. Stateless; O(count × n × dims).
 */
public final class MaximalMarginalRelevance {

    private MaximalMarginalRelevance() {}

    /**
     * Picks up to {@code count} items.
     *
     * @param relevance how relevant each item is to the query
     * @param vectors   one vector per item, for the similarity between items (cosine)
     * @param lambda    1 ranks by relevance alone, 0 by novelty alone
     * @return the indices of the picked items, in the order picked
     */
    public static int[] select(double[] relevance, float[][] vectors, int count, double lambda) {
        if (relevance.length != vectors.length) {
            throw new IllegalArgumentException("[" + relevance.length + "] relevance scores for [" + vectors.length + "] vectors");
        }
        if (lambda < 0 || lambda > 1) {
            throw new IllegalArgumentException("[lambda] must be between 0 and 1, got [" + lambda + "]");
        }
        int n = relevance.length;
        int picks = Math.min(count, n);
        int[] picked = new int[picks];
        boolean[] taken = new boolean[n];
        // The greatest similarity of each item to the picked ones, updated after every pick.
        double[] redundancy = new double[n];
        for (int p = 0; p < picks; p++) {
            int best = -1;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                if (taken[i]) {
                    continue;
                }
                double score = lambda * relevance[i] - (p == 0 ? 0 : (1 - lambda) * redundancy[i]);
                if (score > bestScore) {
                    bestScore = score;
                    best = i;
                }
            }
            picked[p] = best;
            taken[best] = true;
            for (int i = 0; i < n; i++) {
                if (taken[i] == false) {
                    redundancy[i] = Math.max(p == 0 ? Double.NEGATIVE_INFINITY : redundancy[i], cosine(vectors[i], vectors[best]));
                }
            }
        }
        return picked;
    }

    public static double cosine(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("vectors of [" + a.length + "] and [" + b.length + "] dimensions");
        }
        double dot = 0, normA = 0, normB = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            normA += (double) a[i] * a[i];
            normB += (double) b[i] * b[i];
        }
        return normA == 0 || normB == 0 ? 0 : dot / Math.sqrt(normA * normB);
    }
}
