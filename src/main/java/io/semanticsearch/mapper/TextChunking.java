package io.semanticsearch.mapper;

import io.semanticsearch.embed.ModelConfig;

import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.index.mapper.MapperParsingException;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The {@code chunking} of a {@code semantic_text} field: passages of at most {@code maxTokens} tokens of the model's
 * own tokenizer, each repeating {@code overlapTokens} of the one before; or {@link #NONE}, one passage per value
 * (the model then reads the first {@code max_tokens} tokens of each value).
 */
public record TextChunking(boolean enabled, int maxTokens, int overlapTokens) {

    /** One passage per string value: {@code "chunking": false}. */
    public static final TextChunking NONE = new TextChunking(false, 0, 0);
    /**
     * The chunking of a mapping that recorded none, and of a model whose {@code model.json} names none: 200 tokens with
     * 40 repeated. Short enough that a match points at a paragraph, long enough to hold one.
     */
    public static final TextChunking DEFAULT = of(ModelConfig.Chunking.DEFAULT);

    /** A model's default chunking ({@code chunking} of its {@code model.json}). */
    public static TextChunking of(ModelConfig.Chunking chunking) {
        return new TextChunking(true, chunking.maxTokens(), chunking.overlapTokens());
    }

    /** Parses {@code false}, {@code true} ({@link #DEFAULT}), or {@code {"max_tokens": n, "overlap_tokens": m}}. */
    public static TextChunking parse(Object node) {
        return parse(node, DEFAULT);
    }

    /**
     * Parses {@code false}, {@code true} ({@code defaults}), or {@code {"max_tokens": n, "overlap_tokens": m}}, each
     * left out taken from {@code defaults}.
     */
    public static TextChunking parse(Object node, TextChunking defaults) {
        if (node instanceof Boolean enabled) {
            return enabled ? defaults : NONE;
        }
        if (node instanceof Map<?, ?> == false) {
            throw new MapperParsingException(
                "[chunking] must be an object {\"max_tokens\": n, \"overlap_tokens\": m} or false, got [" + node + "]"
            );
        }
        Map<String, Object> options = new HashMap<>();
        ((Map<?, ?>) node).forEach((k, v) -> options.put(String.valueOf(k), v));
        int maxTokens = integer("max_tokens", options.remove("max_tokens"), defaults.maxTokens);
        int overlapTokens = integer("overlap_tokens", options.remove("overlap_tokens"), Math.min(defaults.overlapTokens, maxTokens / 5));
        if (options.isEmpty() == false) {
            throw new MapperParsingException(
                "[chunking] does not support " + new TreeSet<>(options.keySet()) + "; it takes [max_tokens, overlap_tokens]"
            );
        }
        if (maxTokens < 1) {
            throw new MapperParsingException("[chunking.max_tokens] must be at least 1, got [" + maxTokens + "]");
        }
        if (overlapTokens < 0 || overlapTokens >= maxTokens) {
            throw new MapperParsingException(
                "[chunking.overlap_tokens] must be at least 0 and less than [chunking.max_tokens] [" + maxTokens + "], got ["
                    + overlapTokens + "]"
            );
        }
        return new TextChunking(true, maxTokens, overlapTokens);
    }

    private static int integer(String name, Object value, int defaultValue) {
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Integer == false && value instanceof Long == false) {
            throw new MapperParsingException("[chunking." + name + "] must be an integer, got [" + value + "]");
        }
        long v = ((Number) value).longValue();
        return v > Integer.MAX_VALUE ? Integer.MAX_VALUE : v < Integer.MIN_VALUE ? Integer.MIN_VALUE : (int) v;
    }

    void toXContent(XContentBuilder builder, String name) throws IOException {
        if (enabled == false) {
            builder.field(name, false);
            return;
        }
        builder.startObject(name).field("max_tokens", maxTokens).field("overlap_tokens", overlapTokens).endObject();
    }

    /** The mapping form: {@code false} or the object, as {@link #parse} reads it. */
    public Object toMap() {
        return enabled ? Map.of("max_tokens", maxTokens, "overlap_tokens", overlapTokens) : false;
    }

    @Override
    public String toString() {
        return enabled ? "{max_tokens=" + maxTokens + ", overlap_tokens=" + overlapTokens + "}" : "false";
    }
}
