package io.semanticsearch.query;

import java.util.List;

/**
 * The vector a {@code like} document stands for when its field is {@code semantic_text}: the normalised mean of its
 * passages' vectors, which points where the document as a whole does (a single passage would stand for one part).
 */
final class PassageCentroid {

    private PassageCentroid() {}

    /** @throws IllegalArgumentException naming {@code where} when the vectors are not numbers of one length */
    static float[] of(List<?> vectors, String where) {
        float[] sum = null;
        for (Object vector : vectors) {
            if (vector instanceof List<?> == false) {
                throw new IllegalArgumentException(where + " holds a passage vector that is not an array: [" + vector + "]");
            }
            List<?> values = (List<?>) vector;
            if (sum == null) {
                sum = new float[values.size()];
            } else if (values.size() != sum.length) {
                throw new IllegalArgumentException(where + " holds passage vectors of different lengths");
            }
            for (int i = 0; i < sum.length; i++) {
                if (values.get(i) instanceof Number == false) {
                    throw new IllegalArgumentException(where + " holds a non-number [" + values.get(i) + "] in a passage vector");
                }
                sum[i] += ((Number) values.get(i)).floatValue();
            }
        }
        double norm = 0;
        for (float v : sum) {
            norm += v * v;
        }
        if (norm == 0) {
            throw new IllegalArgumentException(where + " has passages whose vectors sum to zero");
        }
        float scale = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < sum.length; i++) {
            sum[i] *= scale;
        }
        return sum;
    }
}
