package io.semanticsearch.query;

import io.semanticsearch.mapper.SemanticTextFieldMapper.SemanticTextFieldType;

import org.apache.lucene.search.join.ScoreMode;
import org.opensearch.index.query.InnerHitBuilder;
import org.opensearch.index.query.InnerHitContextBuilder;
import org.opensearch.index.query.NestedQueryBuilder;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.search.fetch.subphase.FetchSourceContext;

import java.io.IOException;
import java.util.Map;

/**
 * How a {@code semantic} query on a {@code semantic_text} field runs on a shard: a {@code nested} query over the
 * field's passages that scores each document by its best passage (Lucene keeps the best passage per document while it
 * searches, so {@code k} counts documents), with inner hits that return the best passages of each hit with their score,
 * text and offset, without their vectors. The user writes neither {@code nested} nor {@code inner_hits}.
 */
final class PassageQueryRewrite {

    /** Passages returned per hit. */
    static final int PASSAGES_PER_HIT = 3;

    private PassageQueryRewrite() {}

    /**
     * @param query a rewritten {@code semantic} query (it holds its vector) on {@code field}
     */
    static QueryBuilder rewrite(SemanticQueryBuilder query, SemanticTextFieldType field, QueryShardContext context) {
        ShardVectorQuery.checkModel(query.model(), field.options().model(), query.fieldName(), context);
        SemanticQueryBuilder passages = SemanticQueryBuilder.vector(field.vectorField(), query.queryVector())
            .k(query.k())
            .numCandidates(query.numCandidates())
            .exact(query.exact())
            .model(field.options().model());
        if (query.minScore() != null) {
            passages.minScore(query.minScore());
        }
        if (query.filter() != null) {
            passages.filter(new DocumentFilterQueryBuilder(query.filter()));
        }
        // Named after the field, or the query's _name: two semantic queries on one field in a request need names apart.
        String name = query.queryName() != null ? query.queryName() : query.fieldName();
        InnerHitBuilder innerHits = new InnerHitBuilder(name).setSize(PASSAGES_PER_HIT)
            .setFetchSourceContext(new FetchSourceContext(true, null, new String[] { field.vectorField() }));
        return new PassagesQuery(field.passagesPath(), passages, innerHits, query.boost(), query.queryName());
    }

    /**
     * A {@code nested} query whose inner hits take the next free name ({@code body}, then {@code body_2}, ...), so that
     * several {@code semantic} queries on one field in a request each bring their passages instead of failing with
     * "[inner_hits] already contains an entry". The names follow the order of the queries in the request.
     */
    static final class PassagesQuery extends NestedQueryBuilder {

        PassagesQuery(String path, QueryBuilder query, InnerHitBuilder innerHits, float boost, String queryName) {
            super(path, query, ScoreMode.Max, innerHits);
            boost(boost);
            if (queryName != null) {
                queryName(queryName);
            }
        }

        @Override
        protected QueryBuilder doRewrite(QueryRewriteContext context) throws IOException {
            QueryBuilder rewritten = super.doRewrite(context);
            // The parent rewrites into a plain nested query, without this naming and without boost and _name.
            if (rewritten != this && rewritten instanceof NestedQueryBuilder nested) {
                return new PassagesQuery(nested.path(), nested.query(), nested.innerHit(), boost(), queryName());
            }
            return rewritten;
        }

        @Override
        public void extractInnerHitBuilders(Map<String, InnerHitContextBuilder> innerHits) {
            InnerHitBuilder builder = innerHit();
            String base = builder.getName();
            String name = base;
            for (int n = 2; innerHits.containsKey(name); n++) {
                name = base + "_" + n;
            }
            builder.setName(name);
            super.extractInnerHitBuilders(innerHits);
        }
    }
}
