package io.semanticsearch.embed;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How the per-token vectors of a transformer's {@code last_hidden_state} become one vector per text. Works on
 * the flat row-major {@code [batch, seq, hidden]} buffer ONNX Runtime returns, so no per-token arrays are made.
 * Stateless and thread-safe; cost is one pass over the text's tokens ({@link #MEAN}) or one vector ({@link #CLS}).
 */
public enum Pooling {
    /** The average of the token vectors where the attention mask is 1 (sentence-transformers' mean pooling). */
    MEAN {
        @Override
        public float[] pool(FloatBuffer states, LongBuffer attentionMask, int row, int seqLength, int hiddenSize) {
            float[] sum = new float[hiddenSize];
            float[] token = new float[hiddenSize];
            int counted = 0;
            for (int t = 0; t < seqLength; t++) {
                long mask = attentionMask.get(row * seqLength + t);
                if (mask == 0) {
                    continue;
                }
                states.get((row * seqLength + t) * hiddenSize, token, 0, hiddenSize);
                for (int i = 0; i < hiddenSize; i++) {
                    sum[i] += token[i] * mask;
                }
                counted += (int) mask;
            }
            // An all-padding row has nothing to average: keep the zero vector rather than divide by zero.
            if (counted > 0) {
                for (int i = 0; i < hiddenSize; i++) {
                    sum[i] /= counted;
                }
            }
            return sum;
        }
    },
    /** The vector of the first token, {@code [CLS]} (bge and other models trained for it). */
    CLS {
        @Override
        public float[] pool(FloatBuffer states, LongBuffer attentionMask, int row, int seqLength, int hiddenSize) {
            float[] cls = new float[hiddenSize];
            states.get(row * seqLength * hiddenSize, cls, 0, hiddenSize);
            return cls;
        }
    };

    /**
     * Pools one row of a batch.
     *
     * @param states         {@code last_hidden_state}, flat {@code [batch, seqLength, hiddenSize]}
     * @param attentionMask  the attention mask fed to the model, flat {@code [batch, seqLength]}
     * @param row            which text of the batch
     */
    public abstract float[] pool(FloatBuffer states, LongBuffer attentionMask, int row, int seqLength, int hiddenSize);

    /** The name used in {@code model.json}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a {@code model.json} name ({@code mean}, {@code cls}). */
    public static Pooling fromName(String name) {
        for (Pooling pooling : values()) {
            if (pooling.configName().equals(name)) {
                return pooling;
            }
        }
        throw new IllegalArgumentException("[pooling] must be one of " + names() + ", got [" + name + "]");
    }

    /** The names accepted by {@link #fromName}. */
    public static List<String> names() {
        return Arrays.stream(values()).map(Pooling::configName).toList();
    }
}
