package io.semanticsearch.mapper;

import org.apache.lucene.index.VectorSimilarityFunction;

import java.util.Arrays;
import java.util.Locale;

/**
 * How a {@code semantic_vector} field compares vectors: each constant names Lucene's function and knows which
 * vectors that function cannot score. Scores are Lucene's: positive, higher is closer.
 */
public enum VectorSimilarity {
    /** {@code (1 + cos) / 2}; a zero vector has no direction, so it is refused. */
    COSINE(VectorSimilarityFunction.COSINE) {
        @Override
        String problem(float[] vector) {
            double length = Math.sqrt(squaredNorm(vector));
            if (length == 0) {
                return "is a zero vector, which has no cosine similarity";
            }
            if (length < MIN_COSINE_LENGTH) {
                return "has length [" + length + "], too short for [cosine] to be computed in floats (its squares underflow, and "
                    + "every score would be infinite or wrong): its length must be at least [" + MIN_COSINE_LENGTH + "]; scale it up";
            }
            return null;
        }
    },
    /**
     * {@code (1 + dot) / 2}: only a similarity for unit vectors (else scores leave [0, 1] and Lucene drops negative
     * ones), so other lengths are refused.
     */
    DOT_PRODUCT(VectorSimilarityFunction.DOT_PRODUCT) {
        @Override
        String problem(float[] vector) {
            double norm = Math.sqrt(squaredNorm(vector));
            if (Math.abs(norm - 1) > UNIT_TOLERANCE) {
                return "has length [" + (float) norm + "], but [dot_product] needs unit-length vectors; normalise them or use [cosine]";
            }
            return null;
        }
    },
    /** {@code 1 / (1 + squared distance)}. */
    L2_NORM(VectorSimilarityFunction.EUCLIDEAN),
    /** The inner product scaled to a positive score; vectors of any length. */
    MAX_INNER_PRODUCT(VectorSimilarityFunction.MAXIMUM_INNER_PRODUCT);

    /**
     * The shortest vector {@code cosine} scores correctly. Lucene computes it in floats: squares of components much
     * shorter than this underflow to zero or to subnormal floats of a few bits, so the norm becomes zero (an infinite
     * score for every query) or imprecise (scores past 1). At this length two vectors' smallest meaningful products
     * are still normal floats.
     */
    public static final double MIN_COSINE_LENGTH = 1e-9;

    /**
     * The longest vector any similarity scores: the dot product of two such vectors, and its float sums, stay far
     * from {@link Float#MAX_VALUE} (3.4e38), so no score overflows to infinity.
     */
    public static final double MAX_LENGTH = 1e15;

    /** As Elasticsearch's dense_vector: a float32 unit vector rounds to within this of length one. */
    static final double UNIT_TOLERANCE = 1e-4;

    private final VectorSimilarityFunction function;

    VectorSimilarity(VectorSimilarityFunction function) {
        this.function = function;
    }

    public VectorSimilarityFunction function() {
        return function;
    }

    /** The name used in mappings, e.g. {@code l2_norm}. */
    public String mappingName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Why this similarity cannot score {@code vector}, or {@code null} when it can. */
    String problem(float[] vector) {
        return null;
    }

    public static VectorSimilarity fromMapping(String name) {
        for (VectorSimilarity similarity : values()) {
            if (similarity.mappingName().equals(name)) {
                return similarity;
            }
        }
        throw new IllegalArgumentException(
            "[similarity] must be one of " + Arrays.stream(values()).map(VectorSimilarity::mappingName).toList() + ", got [" + name + "]"
        );
    }

    private static double squaredNorm(float[] vector) {
        double sum = 0;
        for (float v : vector) {
            sum += (double) v * v;
        }
        return sum;
    }

    @Override
    public String toString() {
        return mappingName();
    }
}
