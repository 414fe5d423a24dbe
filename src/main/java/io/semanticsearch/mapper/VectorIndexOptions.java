package io.semanticsearch.mapper;

import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.index.mapper.MapperParsingException;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code index_options} of a {@code semantic_vector} field: the index type and the HNSW graph parameters
 * ({@code m} = Lucene's maxConn, {@code ef_construction} = its beamWidth), with Lucene's bounds.
 */
public record VectorIndexOptions(VectorIndexType type, int m, int efConstruction) {

    public static final VectorIndexOptions DEFAULT = new VectorIndexOptions(
        VectorIndexType.HNSW,
        Lucene99HnswVectorsFormat.DEFAULT_MAX_CONN,
        Lucene99HnswVectorsFormat.DEFAULT_BEAM_WIDTH
    );

    /**
     * One format per distinct options, shared by every field and index of the node: Lucene's per-field writer groups
     * fields by format instance, so equal options must give the same instance. Bounded by the few combinations in use.
     */
    private static final Map<VectorIndexOptions, KnnVectorsFormat> FORMATS = new ConcurrentHashMap<>();

    /** The Lucene format that writes these options. */
    public KnnVectorsFormat format() {
        return FORMATS.computeIfAbsent(this, o -> o.type.format(o.m, o.efConstruction));
    }

    /** Parses the mapping's {@code index_options} object, naming the bad key and value on error. */
    static VectorIndexOptions parse(Object node) {
        if (node instanceof Map<?, ?> == false) {
            throw new MapperParsingException("[index_options] must be an object, got [" + node + "]");
        }
        Map<String, Object> options = new HashMap<>();
        ((Map<?, ?>) node).forEach((k, v) -> options.put(String.valueOf(k), v));
        Object typeName = options.remove("type");
        VectorIndexType type = typeName == null ? DEFAULT.type : VectorIndexType.fromMapping(String.valueOf(typeName));
        if (type == null) {
            throw new MapperParsingException(
                "[index_options.type] must be one of " + VectorIndexType.mappingNames() + ", got [" + typeName + "]"
            );
        }
        Object m = options.remove("m");
        Object ef = options.remove("ef_construction");
        if (options.isEmpty() == false) {
            throw new MapperParsingException("[index_options] does not support " + options.keySet());
        }
        if (type.hasGraph() == false) {
            if (m != null || ef != null) {
                throw new MapperParsingException(
                    "[index_options." + (m != null ? "m" : "ef_construction") + "] does not apply to [" + type + "], which builds no graph"
                );
            }
            return new VectorIndexOptions(type, DEFAULT.m, DEFAULT.efConstruction);
        }
        return new VectorIndexOptions(
            type,
            bounded("m", m, DEFAULT.m, Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN),
            bounded("ef_construction", ef, DEFAULT.efConstruction, Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH)
        );
    }

    private static int bounded(String name, Object value, int defaultValue, int max) {
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Integer == false && value instanceof Long == false) {
            throw new MapperParsingException("[index_options." + name + "] must be an integer, got [" + value + "]");
        }
        long v = ((Number) value).longValue();
        if (v < 1 || v > max) {
            throw new MapperParsingException("[index_options." + name + "] must be between 1 and " + max + ", got [" + v + "]");
        }
        return (int) v;
    }

    void toXContent(XContentBuilder builder, String name) throws IOException {
        builder.startObject(name).field("type", type.mappingName());
        if (type.hasGraph()) {
            builder.field("m", m).field("ef_construction", efConstruction);
        }
        builder.endObject();
    }

    @Override
    public String toString() {
        return type.hasGraph() ? "{type=" + type + ", m=" + m + ", ef_construction=" + efConstruction + "}" : "{type=" + type + "}";
    }
}
