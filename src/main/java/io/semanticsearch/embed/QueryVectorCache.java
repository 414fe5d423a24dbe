package io.semanticsearch.embed;

import org.opensearch.common.cache.Cache;
import org.opensearch.common.cache.CacheBuilder;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.xcontent.ToXContentFragment;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;

/**
 * The vectors of query texts the node embedded lately, so that a repeated query (the same search typed again, a page
 * of results, every node of a dashboard) costs what a query with its vector costs. Least recently used entries go
 * first, bounded in bytes ({@code plugins.semantic.query_cache.size}); keyed by the model's name and fingerprint, the
 * input type and the text, so other model files never answer. OpenSearch's {@link Cache} does the work: segmented,
 * thread-safe, with hit, miss and eviction counts.
 */
public final class QueryVectorCache {

    private record Key(String model, String fingerprint, InputType type, String text) {}

    // What an entry costs besides its text and vector: the key record, the entry and the map's node.
    private static final long ENTRY_OVERHEAD = 96;

    private final Cache<Key, float[]> cache;
    private final long maxBytes;

    /** @param maxBytes 0 turns the cache off */
    public QueryVectorCache(long maxBytes) {
        this.maxBytes = maxBytes;
        this.cache = maxBytes <= 0
            ? null
            : CacheBuilder.<Key, float[]>builder()
                .setMaximumWeight(maxBytes)
                .weigher((key, vector) -> ENTRY_OVERHEAD + 2L * key.text().length() + 4L * vector.length)
                .build();
    }

    /** The cached vector of {@code text}, or null; a copy, so that callers may keep or change it. */
    public float[] get(EmbeddingModel model, InputType type, String text) {
        if (cache == null) {
            return null;
        }
        float[] vector = cache.get(key(model, type, text));
        return vector == null ? null : vector.clone();
    }

    public void put(EmbeddingModel model, InputType type, String text, float[] vector) {
        if (cache != null) {
            cache.put(key(model, type, text), vector.clone());
        }
    }

    private static Key key(EmbeddingModel model, InputType type, String text) {
        return new Key(model.name(), model.fingerprint(), type, text);
    }

    /** Drops every entry (counted as neither hits, misses nor evictions); how many there were. */
    public long clear() {
        if (cache == null) {
            return 0;
        }
        long entries = cache.count();
        cache.invalidateAll();
        return entries;
    }

    public Stats stats() {
        if (cache == null) {
            return new Stats(0, 0, 0, 0, 0, 0);
        }
        Cache.CacheStats stats = cache.stats();
        return new Stats(stats.getHits(), stats.getMisses(), stats.getEvictions(), cache.count(), cache.weight(), maxBytes);
    }

    /** The counters of {@code GET /_plugins/_semantic/stats}, per node. */
    public record Stats(long hits, long misses, long evictions, long entries, long bytes, long maxBytes)
        implements
            Writeable,
            ToXContentFragment {

        public static Stats readFrom(StreamInput in) throws IOException {
            return new Stats(in.readVLong(), in.readVLong(), in.readVLong(), in.readVLong(), in.readVLong(), in.readVLong());
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            out.writeVLong(hits);
            out.writeVLong(misses);
            out.writeVLong(evictions);
            out.writeVLong(entries);
            out.writeVLong(bytes);
            out.writeVLong(maxBytes);
        }

        @Override
        public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
            builder.startObject("query_cache");
            builder.field("hits", hits).field("misses", misses).field("evictions", evictions);
            builder.field("entries", entries).field("bytes", bytes).field("max_bytes", maxBytes);
            return builder.endObject();
        }
    }
}
