package io.semanticsearch.ranking;

import io.semanticsearch.ranking.ReciprocalRankFusion.Fused;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Score fusion: each ranking's scores are normalized over its own hits, and an item's fused score is the weighted sum
 * of its normalized scores (OpenSearch's normalization processor with {@code arithmetic_mean}, Elasticsearch's
 * {@code linear} retriever). An item a ranking did not find gets that ranking's lowest normalized score (at most 0):
 * it scored below everything the ranking returned. Unlike {@link ReciprocalRankFusion} it keeps how far apart the hits of a
 * ranking are: a BM25 hit far ahead of the next stays ahead, which ranks alone cannot say. Stateless.
 */
public final class LinearFusion {

    /** How one ranking's scores are put on a common scale. */
    public enum Normalizer {
        /** {@code (s - min) / (max - min)}: the best hit 1, the last 0. */
        MIN_MAX,
        /**
         * {@code (s - mean) / standard deviation}: how many deviations a hit stands out from the others. Less sensitive
         * than min-max to a ranking's last hit, and it keeps a clear winner ahead by more when the rest are close.
         */
        Z_SCORE;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A ranking: items best first, without duplicates, with their scores and the ranking's weight. */
    public record Ranking<K>(List<K> items, List<Double> scores, double weight) {
        public Ranking {
            if (items.size() != scores.size()) {
                throw new IllegalArgumentException(
                    "a ranking needs one score per item, got [" + items.size() + "] items and [" + scores.size() + "] scores"
                );
            }
        }
    }

    private LinearFusion() {}

    /**
     * Fuses {@code rankings} into one list, best first. Equal scores keep the order in which the items were first
     * seen, so the first ranking breaks ties. A ranking whose hits all score the same gives each the same score.
     */
    public static <K> List<Fused<K>> fuse(List<Ranking<K>> rankings, Normalizer normalizer) {
        Set<K> all = new LinkedHashSet<>();
        rankings.forEach(ranking -> all.addAll(ranking.items()));
        Map<K, Double> fused = new LinkedHashMap<>();
        all.forEach(item -> fused.put(item, 0.0));
        for (Ranking<K> ranking : rankings) {
            if (ranking.items().isEmpty()) {
                continue;
            }
            double[] normalized = normalize(ranking.scores(), normalizer);
            double lowest = Double.POSITIVE_INFINITY;
            Map<K, Double> own = new LinkedHashMap<>();
            for (int i = 0; i < normalized.length; i++) {
                own.put(ranking.items().get(i), normalized[i]);
                lowest = Math.min(lowest, normalized[i]);
            }
            // A miss scores as the ranking's lowest hit, and never above 0: with min-max a lone or all-equal hit is 1.
            double missed = Math.min(0, lowest);
            for (K item : all) {
                fused.merge(item, ranking.weight() * own.getOrDefault(item, missed), Double::sum);
            }
        }
        List<Fused<K>> result = new ArrayList<>(fused.size());
        fused.forEach((key, score) -> result.add(new Fused<>(key, score)));
        // List.sort is stable: ties stay in first-seen order.
        result.sort(Comparator.comparingDouble((Fused<K> f) -> f.score()).reversed());
        return result;
    }

    static double[] normalize(List<Double> scores, Normalizer normalizer) {
        int n = scores.size();
        double[] out = new double[n];
        switch (normalizer) {
            case MIN_MAX -> {
                double min = Double.POSITIVE_INFINITY;
                double max = Double.NEGATIVE_INFINITY;
                for (double score : scores) {
                    min = Math.min(min, score);
                    max = Math.max(max, score);
                }
                for (int i = 0; i < n; i++) {
                    out[i] = max > min ? (scores.get(i) - min) / (max - min) : 1.0;
                }
            }
            case Z_SCORE -> {
                double mean = 0;
                for (double score : scores) {
                    mean += score / n;
                }
                double variance = 0;
                for (double score : scores) {
                    variance += (score - mean) * (score - mean) / n;
                }
                double deviation = Math.sqrt(variance);
                for (int i = 0; i < n; i++) {
                    out[i] = deviation > 0 ? (scores.get(i) - mean) / deviation : 0.0;
                }
            }
        }
        return out;
    }
}
