package io.semanticsearch.query;

import org.apache.lucene.search.Query;
import org.apache.lucene.search.join.ToChildBlockJoinQuery;
import org.opensearch.common.lucene.search.Queries;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.index.query.AbstractQueryBuilder;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryShardContext;

import java.io.IOException;
import java.util.Objects;

/**
 * A filter on documents, applied to their nested passages: matches the passages of the documents that {@code filter}
 * matches, so that a {@code semantic} query on a {@code semantic_text} field filters documents (by their own fields)
 * while Lucene's kNN search walks the passages. Exists only on a shard, between the rewrite that makes it and the
 * Lucene query: it is never parsed nor sent.
 */
final class DocumentFilterQueryBuilder extends AbstractQueryBuilder<DocumentFilterQueryBuilder> {

    static final String NAME = "semantic_document_filter";

    private final QueryBuilder filter;

    DocumentFilterQueryBuilder(QueryBuilder filter) {
        this.filter = Objects.requireNonNull(filter);
    }

    @Override
    protected Query doToQuery(QueryShardContext context) throws IOException {
        if (context.getParentFilter() == null) {
            throw new IllegalStateException("[" + NAME + "] only runs inside the nested query of a [semantic_text] field");
        }
        // Only root documents may match the parent side of a block join.
        Query documents = Queries.filtered(filter.toQuery(context), Queries.newNonNestedFilter());
        return new ToChildBlockJoinQuery(documents, context.getParentFilter());
    }

    @Override
    protected void doWriteTo(StreamOutput out) {
        throw new IllegalStateException("[" + NAME + "] is made on a shard and never sent");
    }

    @Override
    protected void doXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject(NAME);
        builder.field("filter", filter);
        builder.endObject();
    }

    @Override
    public String getWriteableName() {
        return NAME;
    }

    @Override
    protected boolean doEquals(DocumentFilterQueryBuilder other) {
        return filter.equals(other.filter);
    }

    @Override
    protected int doHashCode() {
        return filter.hashCode();
    }
}
