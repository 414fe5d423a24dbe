package io.semanticsearch.query;

import io.semanticsearch.embed.ModelIdentity;
import io.semanticsearch.mapper.SemanticVectorFieldMapper;
import io.semanticsearch.mapper.SemanticVectorFieldType;
import io.semanticsearch.mapper.VectorSimilarity;

import org.apache.lucene.search.Query;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.mapper.ObjectMapper;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryShardContext;

import java.io.IOException;

import static io.semanticsearch.query.SemanticQueryBuilder.NAME;

/**
 * The shard's part of the {@code semantic} query: checks its vector against the field it searches here (type, model,
 * dims, nested scope, reachable {@code min_score}) and builds the Lucene query: the field's kNN search, or an exact
 * one for {@code exact} and for inner hits, with the filter inside.
 */
final class ShardVectorQuery {

    private ShardVectorQuery() {}

    /** The Lucene query of {@code query}, which holds its vector, on this shard. */
    static Query build(SemanticQueryBuilder query, QueryShardContext context) throws IOException {
        String field = query.fieldName();
        float[] vector = query.queryVector();
        String model = query.model();
        Float minScore = query.minScore();
        QueryBuilder filter = query.filter();
        SemanticVectorFieldType fieldType = semanticField(context, field);
        checkModel(model, fieldType.modelName(), field, context);
        checkNestedScope(context, field);
        try {
            fieldType.checkVector(vector);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[" + NAME + "] [vector]: " + e.getMessage(), e);
        }
        if (minScore != null && minScore > 1 && fieldType.similarity() != VectorSimilarity.MAX_INNER_PRODUCT) {
            throw new IllegalArgumentException(
                "[" + NAME + "] [min_score] [" + minScore + "] can never be reached: scores of field [" + field + "] (similarity ["
                    + fieldType.similarity().mappingName() + "]) lie between 0 and 1"
            );
        }
        Query filterQuery = filter == null ? null : filter.toQuery(context);
        if (query.exact() || context.isInnerHitQuery()) {
            // Inner hits score the passages of each hit: all of them, exactly, not just those the graph search met.
            return fieldType.exactQuery(vector, filterQuery, minScore);
        }
        return fieldType.knnQuery(vector, query.k(), query.numCandidates(), filterQuery, minScore, context.getParentFilter());
    }

    /**
     * The one check that a query's vector may be compared with a field's: a vector made by (or a text to be embedded
     * with) {@code queryModel} against a field that holds vectors of {@code fieldModel}. A vector of unknown model
     * ({@code queryModel} null: a raw {@code vector}) is the user's to vouch for.
     */
    static void checkModel(String queryModel, String fieldModel, String field, QueryShardContext context) {
        try {
            new ModelIdentity(fieldModel, null, null).requireComparable(queryModel, "field [" + field + "] in index [" + indexName(context) + "]");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[" + NAME + "] " + e.getMessage() + ": leave [model] out or name the field's", e);
        }
    }

    /**
     * The {@code semantic_vector} field called {@code field} on this shard.
     *
     * @throws IllegalArgumentException when there is none, or it has another type
     */
    static SemanticVectorFieldType semanticField(QueryShardContext context, String field) {
        MappedFieldType fieldType = context.fieldMapper(field);
        if (fieldType == null) {
            throw new IllegalArgumentException("[" + NAME + "] [field] [" + field + "] does not exist in index [" + indexName(context) + "]");
        }
        if (fieldType instanceof SemanticVectorFieldType semantic) {
            return semantic;
        }
        throw new IllegalArgumentException(
            "["
                + NAME
                + "] [field] ["
                + field
                + "] is of type ["
                + fieldType.typeName()
                + "], but the query needs a ["
                + SemanticVectorFieldMapper.CONTENT_TYPE
                + "] field"
        );
    }

    private static String indexName(QueryShardContext context) {
        return context.index() == null ? "?" : context.index().getName();
    }

    /** A vector inside nested objects is in child documents, which only a {@code nested} query around this one reaches. */
    private static void checkNestedScope(QueryShardContext context, String field) {
        String nestedPath = null;
        for (int dot = field.lastIndexOf('.'); dot > 0 && nestedPath == null; dot = field.lastIndexOf('.', dot - 1)) {
            ObjectMapper object = context.getObjectMapper(field.substring(0, dot));
            if (object != null && object.nested().isNested()) {
                nestedPath = object.fullPath();
            }
        }
        ObjectMapper scope = context.nestedScope() == null ? null : context.nestedScope().getObjectMapper();
        if (nestedPath != null && (scope == null || nestedPath.equals(scope.fullPath()) == false)) {
            throw new IllegalArgumentException(
                "["
                    + NAME
                    + "] [field] ["
                    + field
                    + "] is inside the [nested] field ["
                    + nestedPath
                    + "]: wrap this query in a [nested] query with [path] ["
                    + nestedPath
                    + "]"
            );
        }
    }
}
