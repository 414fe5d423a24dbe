package io.semanticsearch.mapper;

import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.FieldExistsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.join.BitSetProducer;
import org.opensearch.index.fielddata.IndexFieldData;
import org.opensearch.index.mapper.ArraySourceValueFetcher;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.mapper.TextSearchInfo;
import org.opensearch.index.mapper.ValueFetcher;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.index.query.QueryShardException;
import org.opensearch.search.lookup.SearchLookup;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The query-time view of a {@code semantic_vector} field: what the semantic query and the RAG code build on. */
public final class SemanticVectorFieldType extends MappedFieldType {

    private final int dims;
    private final String modelName;
    private final String modelFingerprint;
    private final VectorSimilarity similarity;
    private final VectorIndexOptions indexOptions;

    public SemanticVectorFieldType(
        String name,
        int dims,
        String modelName,
        VectorSimilarity similarity,
        VectorIndexOptions indexOptions,
        Map<String, String> meta
    ) {
        this(name, dims, modelName, null, similarity, indexOptions, meta);
    }

    public SemanticVectorFieldType(
        String name,
        int dims,
        String modelName,
        String modelFingerprint,
        VectorSimilarity similarity,
        VectorIndexOptions indexOptions,
        Map<String, String> meta
    ) {
        super(name, true, false, false, TextSearchInfo.NONE, meta);
        this.dims = dims;
        this.modelName = modelName;
        this.modelFingerprint = modelFingerprint;
        this.similarity = similarity;
        this.indexOptions = indexOptions;
    }

    public int dims() {
        return dims;
    }

    /** The model that embeds query text for this field, or {@code null} when it has none. */
    public String modelName() {
        return modelName;
    }

    /** The fingerprint of the model's files as the mapping records it, or {@code null} when it does not. */
    public String modelFingerprint() {
        return modelFingerprint;
    }

    public VectorSimilarity similarity() {
        return similarity;
    }

    public VectorIndexOptions indexOptions() {
        return indexOptions;
    }

    @Override
    public String typeName() {
        return SemanticVectorFieldMapper.CONTENT_TYPE;
    }

    /**
     * Checks that {@code vector} can be indexed in or searched against this field.
     *
     * @throws IllegalArgumentException naming the field and the problem
     */
    public void checkVector(float[] vector) {
        if (vector.length != dims) {
            throw new IllegalArgumentException(
                "field [" + name() + "] takes vectors of [" + dims + "] dims, got a vector of [" + vector.length + "]"
            );
        }
        double squaredNorm = 0;
        for (int i = 0; i < vector.length; i++) {
            if (Float.isFinite(vector[i]) == false) {
                throw new IllegalArgumentException(
                    "field [" + name() + "] takes finite numbers, got [" + vector[i] + "] at position [" + i + "]"
                );
            }
            squaredNorm += (double) vector[i] * vector[i];
        }
        double length = Math.sqrt(squaredNorm);
        // Lucene computes similarities in floats: longer vectors overflow their dot products (and the scores of
        // max_inner_product) to infinity.
        if (length > VectorSimilarity.MAX_LENGTH) {
            throw new IllegalArgumentException(
                "field [" + name() + "] takes vectors of length at most [" + VectorSimilarity.MAX_LENGTH + "], got a vector of length ["
                    + length + "]; scale it down"
            );
        }
        String problem = similarity.problem(vector);
        if (problem != null) {
            throw new IllegalArgumentException("the vector for field [" + name() + "] " + problem);
        }
    }

    /**
     * Approximate search: the {@code k} nearest documents after searching {@code numCandidates} per segment,
     * rescored from the raw vectors for quantized types. Inside a {@code nested} query pass the parents' filter,
     * so that {@code k} counts parents.
     *
     * @param filter        what documents may match, applied during the graph search; may be null
     * @param minScore      hits under this similarity do not match; may be null
     * @param parentsFilter the enclosing documents of nested vectors, or null at the top level
     */
    public Query knnQuery(float[] vector, int k, int numCandidates, Query filter, Float minScore, BitSetProducer parentsFilter) {
        checkVector(vector);
        KnnCandidates candidates = new KnnCandidates(
            name(),
            vector,
            similarity.function(),
            k,
            minScore,
            indexOptions.type().quantized()
        );
        if (parentsFilter != null) {
            return new NestedSemanticKnnQuery(name(), vector, numCandidates, filter, parentsFilter, candidates);
        }
        return new SemanticKnnQuery(name(), vector, numCandidates, filter, candidates);
    }

    /** Every document with a vector that passes {@code filter}, scored with its exact similarity. */
    public Query exactQuery(float[] vector, Query filter, Float minScore) {
        checkVector(vector);
        Query exact = new ExactVectorQuery(name(), vector, similarity.function(), minScore);
        if (filter == null) {
            return exact;
        }
        return new BooleanQuery.Builder().add(exact, BooleanClause.Occur.MUST).add(filter, BooleanClause.Occur.FILTER).build();
    }

    @Override
    public Query existsQuery(QueryShardContext context) {
        return new FieldExistsQuery(name());
    }

    @Override
    public Query termQuery(Object value, QueryShardContext context) {
        String message = "[" + SemanticVectorFieldMapper.CONTENT_TYPE + "] field [" + name() + "] does not support term or match queries; search it with a "
            + "[semantic] query";
        // A QueryShardException also tells query_string and multi_match to skip this field when expanding "*".
        throw context == null ? new IllegalArgumentException(message) : new QueryShardException(context, message);
    }

    @Override
    public IndexFieldData.Builder fielddataBuilder(
        String fullyQualifiedIndexName,
        Supplier<SearchLookup> searchLookup
    ) {
        throw new IllegalArgumentException("[" + SemanticVectorFieldMapper.CONTENT_TYPE + "] fields do not support sorting, scripting or aggregating");
    }

    @Override
    public ValueFetcher valueFetcher(QueryShardContext context, SearchLookup searchLookup, String format) {
        if (format != null) {
            throw new IllegalArgumentException("field [" + name() + "] of type [" + typeName() + "] doesn't support formats");
        }
        return new ArraySourceValueFetcher(name(), context) {
            @Override
            protected Object parseSourceValue(Object value) {
                return List.of(value); // the vector is one value, not one value per number
            }
        };
    }
}
