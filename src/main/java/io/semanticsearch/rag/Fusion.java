package io.semanticsearch.rag;

import java.util.Locale;

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

    public static Fusion rrf(int rankConstant) {
        return new Fusion(Method.RRF, rankConstant, DEFAULT_SEMANTIC_WEIGHT, DEFAULT_NORMALIZER);
    }

    public static Fusion linear(double semanticWeight, LinearFusion.Normalizer normalizer) {
        return new Fusion(Method.LINEAR, ReciprocalRankFusion.DEFAULT_RANK_CONSTANT, semanticWeight, normalizer);
    }
}
