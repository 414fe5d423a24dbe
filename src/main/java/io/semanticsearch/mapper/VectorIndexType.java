package io.semanticsearch.mapper;

import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104ScalarQuantizedVectorsFormat.ScalarEncoding;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How a {@code semantic_vector} field is indexed ({@code index_options.type}): each constant builds its stock Lucene
 * format, so segments name a format every node can read without our plugin's classes.
 */
public enum VectorIndexType {
    /** Float32 vectors in an HNSW graph. */
    HNSW {
        @Override
        KnnVectorsFormat format(int m, int efConstruction) {
            return new Lucene99HnswVectorsFormat(m, efConstruction);
        }
    },
    /** 8-bit scalar quantization in the graph (4x smaller); the raw vectors stay for rescoring. */
    INT8_HNSW {
        @Override
        KnnVectorsFormat format(int m, int efConstruction) {
            return new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.UNSIGNED_BYTE, m, efConstruction);
        }
    },
    /** 4-bit scalar quantization (8x smaller). */
    INT4_HNSW {
        @Override
        KnnVectorsFormat format(int m, int efConstruction) {
            return new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.PACKED_NIBBLE, m, efConstruction);
        }
    },
    /** One bit per dimension, queried with 4 bits (32x smaller): needs rescoring to rank well. */
    BBQ_HNSW {
        @Override
        KnnVectorsFormat format(int m, int efConstruction) {
            return new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.SINGLE_BIT_QUERY_NIBBLE, m, efConstruction);
        }
    },
    /**
     * No graph: every search scans the segment's vectors, so results are exact. Lucene99FlatVectorsFormat alone is
     * not SPI-registered and its reader does not search, hence the HNSW format told never to build a graph.
     */
    FLAT {
        @Override
        KnnVectorsFormat format(int m, int efConstruction) {
            return new Lucene99HnswVectorsFormat(
                Lucene99HnswVectorsFormat.DEFAULT_MAX_CONN,
                Lucene99HnswVectorsFormat.DEFAULT_BEAM_WIDTH,
                Integer.MAX_VALUE
            );
        }

        @Override
        public boolean hasGraph() {
            return false;
        }
    };

    abstract KnnVectorsFormat format(int m, int efConstruction);

    /** Whether {@code m} and {@code ef_construction} mean anything for this type. */
    public boolean hasGraph() {
        return true;
    }

    /** Whether the graph scores quantized vectors, so hits are rescored with the raw ones. */
    public boolean quantized() {
        return this == INT8_HNSW || this == INT4_HNSW || this == BBQ_HNSW;
    }

    public String mappingName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static List<String> mappingNames() {
        return Arrays.stream(values()).map(VectorIndexType::mappingName).toList();
    }

    /** The type called {@code name} in a mapping, or {@code null} when there is none. */
    static VectorIndexType fromMapping(String name) {
        for (VectorIndexType type : values()) {
            if (type.mappingName().equals(name)) {
                return type;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return mappingName();
    }
}
