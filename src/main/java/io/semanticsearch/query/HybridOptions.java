package io.semanticsearch.query;

import io.semanticsearch.JsonTypeNames;
import io.semanticsearch.ranking.Fusion;

import org.opensearch.common.Nullable;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.xcontent.ToXContentFragment;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code hybrid} option of the {@code semantic} query: fuse its ranking with BM25's on {@code text_field}, as
 * {@code _rag} does, over the whole result rather than per shard.
 *
 * @param textField      the field BM25 searches; null for a {@code semantic_text} field, whose own text it is
 * @param fusion         how the two rankings are fused
 * @param rankWindowSize how many documents each side brings to the fusion; null for {@code 2 × (from + size)}, at
 *                       least 10, which is what {@code _rag} fuses for {@code k} documents
 */
public record HybridOptions(@Nullable String textField, Fusion fusion, @Nullable Integer rankWindowSize) implements Writeable, ToXContentFragment {

    public static final String NAME = "hybrid";
    public static final int MAX_RANK_WINDOW_SIZE = 10_000;
    private static final Set<String> KEYS;

    static {
        Set<String> keys = new LinkedHashSet<>(List.of("text_field", "rank_window_size"));
        keys.addAll(Fusion.OPTIONS);
        KEYS = Set.copyOf(keys);
    }

    /** The default window for a page ending at {@code end} ({@code from + size}): {@code _rag}'s for {@code k} = end. */
    public int windowFor(int end) {
        return rankWindowSize != null ? rankWindowSize : defaultWindow(end);
    }

    /** The window for a page ending at {@code end} when none is given: {@code 2 × end}, at least 10, at most the cap. */
    static int defaultWindow(int end) {
        return Math.min(MAX_RANK_WINDOW_SIZE, Math.max(10, 2 * end));
    }

    /**
     * Reads {@code "hybrid": true}, {@code {}} or an object of options.
     *
     * @return null for {@code false}
     * @throws IllegalArgumentException naming the option and what it takes
     */
    @Nullable
    public static HybridOptions parse(Object value) {
        if (value instanceof Boolean enabled) {
            return enabled ? new HybridOptions(null, Fusion.DEFAULT, null) : null;
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(
                "[semantic] [hybrid] must be true or an object such as {\"text_field\": \"body\"}, got [" + JsonTypeNames.of(value) + "]"
            );
        }
        Map<String, Object> options = new HashMap<>();
        map.forEach((k, v) -> options.put(String.valueOf(k), v));
        for (String key : options.keySet()) {
            if (KEYS.contains(key) == false) {
                throw new IllegalArgumentException("[semantic] [hybrid] does not support [" + key + "]; supported: " + KEYS.stream().sorted().toList());
            }
        }
        Object textField = options.get("text_field");
        if (textField != null && (!(textField instanceof String name) || name.isBlank())) {
            throw new IllegalArgumentException("[semantic] [hybrid] [text_field] must be a field name, got [" + textField + "]");
        }
        Integer window = null;
        Object windowValue = options.get("rank_window_size");
        if (windowValue != null) {
            if (!(windowValue instanceof Integer size) || size < 1 || size > MAX_RANK_WINDOW_SIZE) {
                throw new IllegalArgumentException(
                    "[semantic] [hybrid] [rank_window_size] must be an integer between 1 and " + MAX_RANK_WINDOW_SIZE + ", got [" + windowValue + "]"
                );
            }
            window = (Integer) windowValue;
        }
        try {
            return new HybridOptions((String) textField, Fusion.parse(options), window);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[semantic] [hybrid] " + e.getMessage(), e);
        }
    }

    public HybridOptions(StreamInput in) throws IOException {
        this(in.readOptionalString(), readFusion(in), in.readOptionalVInt());
    }

    private static Fusion readFusion(StreamInput in) throws IOException {
        Fusion.Method method = in.readEnum(Fusion.Method.class);
        int rankConstant = in.readVInt();
        double weight = in.readDouble();
        return new Fusion(method, rankConstant, weight, in.readEnum(io.semanticsearch.ranking.LinearFusion.Normalizer.class));
    }

    @Override
    public void writeTo(StreamOutput out) throws IOException {
        out.writeOptionalString(textField);
        out.writeEnum(fusion.method());
        out.writeVInt(fusion.rankConstant());
        out.writeDouble(fusion.semanticWeight());
        out.writeEnum(fusion.normalizer());
        out.writeOptionalVInt(rankWindowSize);
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject(NAME);
        if (textField != null) {
            builder.field("text_field", textField);
        }
        for (Map.Entry<String, Object> option : fusion.options().entrySet()) {
            builder.field(option.getKey(), option.getValue());
        }
        if (rankWindowSize != null) {
            builder.field("rank_window_size", rankWindowSize);
        }
        return builder.endObject();
    }
}
