package io.semanticsearch.ranking;

import io.semanticsearch.BodyValues;
import io.semanticsearch.ranking.ReciprocalRankFusion.Fused;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How hybrid retrieval merges its BM25 and semantic rankings: {@link LinearFusion} by normalized scores (the
 * default), or {@link ReciprocalRankFusion} by ranks.
 *
 * @param rankConstant   RRF's constant ({@code rrf} only)
 * @param semanticWeight the semantic ranking's share of the fused score, BM25 having the rest ({@code linear} only)
 * @param normalizer     how each ranking's scores are normalized before they are added ({@code linear} only)
 */
public record Fusion(Method method, int rankConstant, double semanticWeight, LinearFusion.Normalizer normalizer) {

    public enum Method {
        RRF,
        LINEAR;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final double DEFAULT_SEMANTIC_WEIGHT = 0.5;
    public static final LinearFusion.Normalizer DEFAULT_NORMALIZER = LinearFusion.Normalizer.Z_SCORE;
    /** What hybrid retrieval uses when the request says nothing: z-score, half and half. */
    public static final Fusion DEFAULT = linear(DEFAULT_SEMANTIC_WEIGHT, DEFAULT_NORMALIZER);

    /** The request keys that say how to fuse, as {@code _rag} and the {@code semantic} query's {@code hybrid} take them. */
    public static final List<String> OPTIONS = List.of("fusion", "rank_constant", "semantic_weight", "normalizer");

    /**
     * Reads the fusion of a request from its {@link #OPTIONS} (other keys are the caller's): linear by default, RRF
     * when asked or when only {@code rank_constant} is given.
     *
     * @throws IllegalArgumentException naming the key and what it takes
     */
    public static Fusion parse(Map<String, Object> body) {
        String value = BodyValues.optionalString(body, "fusion");
        Method method;
        try {
            // Linear by default: it beat RRF on both benchmark languages (docs/benchmarks.md, "Retrieval quality").
            // A request that sets RRF's constant means RRF.
            Method unset = body.containsKey("rank_constant") ? Method.RRF : Method.LINEAR;
            method = value == null ? unset : Method.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[fusion] must be [rrf] or [linear], got [" + value + "]");
        }
        if (method == Method.RRF) {
            for (String key : List.of("semantic_weight", "normalizer")) {
                if (body.containsKey(key)) {
                    throw new IllegalArgumentException("[" + key + "] applies to [fusion] [linear] only; [rrf] fuses ranks, tuned by [rank_constant]");
                }
            }
            return rrf(BodyValues.optionalInt(body, "rank_constant", ReciprocalRankFusion.DEFAULT_RANK_CONSTANT, 1, 10_000));
        }
        if (body.containsKey("rank_constant")) {
            throw new IllegalArgumentException("[rank_constant] applies to [fusion] [rrf] only; [linear] weighs by [semantic_weight]");
        }
        String normalizerName = BodyValues.optionalString(body, "normalizer");
        LinearFusion.Normalizer normalizer;
        try {
            normalizer = normalizerName == null ? DEFAULT_NORMALIZER : LinearFusion.Normalizer.valueOf(normalizerName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[normalizer] must be [z_score] or [min_max], got [" + normalizerName + "]");
        }
        return linear(BodyValues.optionalDouble(body, "semantic_weight", DEFAULT_SEMANTIC_WEIGHT, 0, 1), normalizer);
    }

    /**
     * Fuses a BM25 ranking and a semantic one (each key to its score, best first, as the searches returned them) into
     * one list, best first. BM25 comes first, so it wins ties (with RRF, a document at rank r in one list only and
     * another at rank r in the other only): on the known-item benchmark exact words were the surer evidence.
     */
    public <K> List<Fused<K>> fuse(Map<K, Double> lexical, Map<K, Double> semantic) {
        return switch (method) {
            case RRF -> ReciprocalRankFusion.fuse(List.of(List.copyOf(lexical.keySet()), List.copyOf(semantic.keySet())), rankConstant);
            case LINEAR -> LinearFusion.fuse(List.of(ranking(lexical, 1 - semanticWeight), ranking(semantic, semanticWeight)), normalizer);
        };
    }

    private static <K> LinearFusion.Ranking<K> ranking(Map<K, Double> scores, double weight) {
        return new LinearFusion.Ranking<>(List.copyOf(scores.keySet()), List.copyOf(scores.values()), weight);
    }

    /** The options, as a request writes them, that {@link #parse} reads back into this fusion. */
    public Map<String, Object> options() {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("fusion", method.toString());
        if (method == Method.RRF) {
            options.put("rank_constant", rankConstant);
        } else {
            options.put("normalizer", normalizer.toString());
            options.put("semantic_weight", semanticWeight);
        }
        return options;
    }

    public static Fusion rrf(int rankConstant) {
        return new Fusion(Method.RRF, rankConstant, DEFAULT_SEMANTIC_WEIGHT, DEFAULT_NORMALIZER);
    }

    public static Fusion linear(double semanticWeight, LinearFusion.Normalizer normalizer) {
        return new Fusion(Method.LINEAR, ReciprocalRankFusion.DEFAULT_RANK_CONSTANT, semanticWeight, normalizer);
    }
}
