package io.semanticsearch.query;

import io.semanticsearch.JsonTypeNames;

import org.opensearch.common.Nullable;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.xcontent.ToXContentFragment;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * The {@code diversity} option of the {@code semantic} query: reorders its best documents by maximal marginal
 * relevance, so that a document much like one ranked above it gives way to one that adds something.
 *
 * @param lambda         1 ranks by relevance alone, 0 by novelty alone
 * @param rankWindowSize how many of the best documents are reordered; null for {@code 2 × (from + size)}, at least 10
 */
public record DiversityOptions(double lambda, @Nullable Integer rankWindowSize) implements Writeable, ToXContentFragment {

    public static final String NAME = "diversity";
    public static final double DEFAULT_LAMBDA = 0.5;
    private static final Set<String> KEYS = Set.of("lambda", "rank_window_size");

    public int windowFor(int end) {
        return rankWindowSize != null ? rankWindowSize : HybridOptions.defaultWindow(end);
    }

    /**
     * Reads {@code "diversity": 0.7} (the lambda) or {@code {"lambda": 0.7, "rank_window_size": 50}}.
     *
     * @throws IllegalArgumentException naming the option and what it takes
     */
    public static DiversityOptions parse(Object value) {
        if (value instanceof Number number) {
            return new DiversityOptions(lambda(number), null);
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(
                "[semantic] [diversity] must be a number (MMR's lambda, 0 to 1) or an object such as {\"lambda\": 0.5}, got ["
                    + JsonTypeNames.of(value) + "]"
            );
        }
        for (Object key : map.keySet()) {
            if (KEYS.contains(String.valueOf(key)) == false) {
                throw new IllegalArgumentException("[semantic] [diversity] does not support [" + key + "]; supported: [lambda, rank_window_size]");
            }
        }
        Object lambda = map.get("lambda");
        if (lambda != null && !(lambda instanceof Number)) {
            throw new IllegalArgumentException("[semantic] [diversity] [lambda] must be a number between 0 and 1, got [" + lambda + "]");
        }
        Object window = map.get("rank_window_size");
        if (window != null && (!(window instanceof Integer size) || size < 1 || size > HybridOptions.MAX_RANK_WINDOW_SIZE)) {
            throw new IllegalArgumentException(
                "[semantic] [diversity] [rank_window_size] must be an integer between 1 and " + HybridOptions.MAX_RANK_WINDOW_SIZE + ", got [" + window + "]"
            );
        }
        return new DiversityOptions(lambda == null ? DEFAULT_LAMBDA : lambda((Number) lambda), (Integer) window);
    }

    private static double lambda(Number number) {
        double lambda = number.doubleValue();
        if (Double.isFinite(lambda) == false || lambda < 0 || lambda > 1) {
            throw new IllegalArgumentException("[semantic] [diversity] [lambda] must be a number between 0 and 1, got [" + number + "]");
        }
        return lambda;
    }

    public DiversityOptions(StreamInput in) throws IOException {
        this(in.readDouble(), in.readOptionalVInt());
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        out.writeDouble(lambda);
        out.writeOptionalVInt(rankWindowSize);
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject(NAME).field("lambda", lambda);
        if (rankWindowSize != null) {
            builder.field("rank_window_size", rankWindowSize);
        }
        return builder.endObject();
    }
}
