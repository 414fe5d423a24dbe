package io.semanticsearch.rag;

import io.semanticsearch.rag.ReciprocalRankFusion.Fused;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Score fusion: each ranking's scores are rescaled by min-max onto [0, 1] over its own hits, and an item's fused
 * score is the weighted sum of its rescaled scores, 0 where a ranking did not find it (OpenSearch's normalization
 * processor with {@code min_max} and {@code arithmetic_mean}, Elasticsearch's {@code linear} retriever with the
 * {@code minmax} normalizer). Unlike {@link ReciprocalRankFusion} it keeps how far apart the hits of a ranking are: a
 * BM25 hit far ahead of the next stays ahead, which ranks alone cannot say. Stateless.
 */
public final class LinearFusion {

    /** A ranking: items best first, without duplicates, with their scores. */
    public record Ranking<K>(List<K> items, List<Double> scores, double weight) {
        public Ranking {
            if (items.size() != scores.size()) {
                throw new IllegalArgumentException("a ranking needs one score per item, got [" + items.size() + "] items and [" + scores.size() + "] scores");
            }
        }
    }

    private LinearFusion() {}

    /**
     * Fuses {@code rankings} into one list, best first. Equal scores keep the order in which the items were first
     * seen, so the first ranking breaks ties. A ranking whose hits all score the same gives each of them 1.
     */
    public static <K> List<Fused<K>> fuse(List<Ranking<K>> rankings) {
        Map<K, Double> fused = new LinkedHashMap<>();
        for (Ranking<K> ranking : rankings) {
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (double score : ranking.scores()) {
                min = Math.min(min, score);
                max = Math.max(max, score);
            }
            for (int i = 0; i < ranking.items().size(); i++) {
                double normalized = max > min ? (ranking.scores().get(i) - min) / (max - min) : 1.0;
                fused.merge(ranking.items().get(i), ranking.weight() * normalized, Double::sum);
            }
        }
        List<Fused<K>> result = new ArrayList<>(fused.size());
        fused.forEach((key, score) -> result.add(new Fused<>(key, score)));
        // List.sort is stable: ties stay in first-seen order.
        result.sort(Comparator.comparingDouble((Fused<K> f) -> f.score()).reversed());
        return result;
    }
}
