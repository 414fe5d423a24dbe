package io.semanticsearch.ranking;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): each ranking gives an item
 * {@code 1 / (rankConstant + rank)}, rank counted from 1, and the sums decide. It needs no score normalisation,
 * which is why it suits BM25 scores (unbounded) and vector similarities (bounded) alike. Stateless.
 */
public final class ReciprocalRankFusion {

    /** The paper's constant: large enough that the top ranks of one list do not drown the others. */
    public static final int DEFAULT_RANK_CONSTANT = 60;

    /** An item and its fused score. */
    public record Fused<K>(K key, double score) {}

    private ReciprocalRankFusion() {}

    /**
     * Fuses {@code rankings} (each best first, without duplicates) into one list, best first. Equal scores keep the
     * order in which the items were first seen, so the first ranking breaks ties.
     */
    public static <K> List<Fused<K>> fuse(List<List<K>> rankings, int rankConstant) {
        if (rankConstant < 1) {
            throw new IllegalArgumentException("[rank_constant] must be at least 1, got [" + rankConstant + "]");
        }
        Map<K, Double> scores = new LinkedHashMap<>();
        for (List<K> ranking : rankings) {
            for (int i = 0; i < ranking.size(); i++) {
                scores.merge(ranking.get(i), 1.0 / (rankConstant + i + 1), Double::sum);
            }
        }
        List<Fused<K>> fused = new ArrayList<>(scores.size());
        scores.forEach((key, score) -> fused.add(new Fused<>(key, score)));
        // List.sort is stable: ties stay in first-seen order.
        fused.sort(Comparator.comparingDouble((Fused<K> f) -> f.score()).reversed());
        return fused;
    }
}
