package io.semanticsearch.ranking;

import io.semanticsearch.ranking.ReciprocalRankFusion.Fused;

import org.opensearch.common.Nullable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The final order of a search that ranks its whole result: the BM25 and semantic rankings fused with {@link Fusion},
 * or the semantic one alone, optionally reordered by {@link MaximalMarginalRelevance}, as documents with strictly
 * falling, positive scores. One implementation for every place that ranks so (a search across shards, which keys
 * documents by index and id, and a search of one shard, which keys them by Lucene doc id), so both give the same
 * order and the same scores. Stateless.
 */
public final class HybridRanking {

    /** The lowest score a ranked document gets: Lucene refuses negative scores, and 0 leaves no room below for ties. */
    static final double LOWEST_SCORE = 0.001;

    private HybridRanking() {}

    /** One side's opinion of a document: its rank there (1 = first) and raw score. */
    public record Side(int rank, float score) {}

    /** A ranked document, its final score, and what each side made of it (null where that side did not find it). */
    public record Ranked<K>(K key, float score, @Nullable Side lexical, @Nullable Side semantic) {}

    /** A side's documents as it returned them, best first, ranked from 1. A key seen twice keeps its first place. */
    public static <K> Map<K, Side> side(List<K> keys, List<Float> scores) {
        Map<K, Side> side = new LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            side.putIfAbsent(keys.get(i), new Side(side.size() + 1, scores.get(i)));
        }
        return side;
    }

    /** The semantic side alone, in its order: each document keeps its similarity score. */
    public static <K> List<Ranked<K>> semanticOnly(Map<K, Side> semantic) {
        List<K> keys = new ArrayList<>(semantic.keySet());
        List<Double> scores = keys.stream().map(k -> (double) semantic.get(k).score()).toList();
        return ranked(keys, scores, Map.of(), semantic);
    }

    /** The two sides fused, best first. */
    public static <K> List<Ranked<K>> fuse(Fusion fusion, Map<K, Side> lexical, Map<K, Side> semantic) {
        List<Fused<K>> fused = fusion.fuse(scores(lexical), scores(semantic));
        return ranked(fused.stream().map(Fused::key).toList(), fused.stream().map(Fused::score).toList(), lexical, semantic);
    }

    /**
     * {@code ranked} reordered by maximal marginal relevance (relevance: their scores, min-max normalized; redundancy:
     * the cosine of their vectors, zero for a document without one). Their scores become the order, {@code 1} for the
     * first and falling by {@code 1/n}: a relevance mixed with novelty is no similarity any more.
     */
    public static <K> List<Ranked<K>> diversify(List<Ranked<K>> ranked, Map<K, float[]> vectors, double lambda) {
        if (ranked.isEmpty()) {
            return ranked;
        }
        int dims = vectors.values().stream().mapToInt(v -> v.length).max().orElse(1);
        double min = ranked.stream().mapToDouble(Ranked::score).min().orElse(0);
        double max = ranked.stream().mapToDouble(Ranked::score).max().orElse(0);
        double[] relevance = new double[ranked.size()];
        float[][] itemVectors = new float[ranked.size()][];
        for (int i = 0; i < ranked.size(); i++) {
            Ranked<K> doc = ranked.get(i);
            relevance[i] = max > min ? (doc.score() - min) / (max - min) : 1;
            float[] vector = vectors.get(doc.key());
            itemVectors[i] = vector != null && vector.length == dims ? vector : new float[dims];
        }
        int[] order = MaximalMarginalRelevance.select(relevance, itemVectors, ranked.size(), lambda);
        List<Ranked<K>> reordered = new ArrayList<>(order.length);
        for (int rank = 0; rank < order.length; rank++) {
            Ranked<K> doc = ranked.get(order[rank]);
            reordered.add(new Ranked<>(doc.key(), (float) (order.length - rank) / order.length, doc.lexical(), doc.semantic()));
        }
        return reordered;
    }

    /**
     * The documents with strictly falling scores: Lucene wants no negative score (a z-score fusion has some, so all
     * are shifted by the same amount, up to a lowest score of {@value #LOWEST_SCORE}) and orders ties by shard and doc
     * id, where the ranking ordered them by first sight; the next float down keeps its order.
     */
    private static <K> List<Ranked<K>> ranked(List<K> keys, List<Double> scores, Map<K, Side> lexical, Map<K, Side> semantic) {
        double lowest = scores.isEmpty() ? 0 : scores.get(scores.size() - 1);
        double shift = Math.max(0, LOWEST_SCORE - lowest);
        List<Ranked<K>> ranked = new ArrayList<>(keys.size());
        float previous = Float.POSITIVE_INFINITY;
        for (int i = 0; i < keys.size(); i++) {
            K key = keys.get(i);
            float score = Math.min((float) (scores.get(i) + shift), Math.nextDown(previous));
            ranked.add(new Ranked<>(key, score, lexical.get(key), semantic.get(key)));
            previous = score;
        }
        return ranked;
    }

    private static <K> Map<K, Double> scores(Map<K, Side> side) {
        Map<K, Double> scores = new LinkedHashMap<>();
        side.forEach((key, s) -> scores.put(key, (double) s.score()));
        return scores;
    }
}
