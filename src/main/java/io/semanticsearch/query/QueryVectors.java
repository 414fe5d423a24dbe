package io.semanticsearch.query;

import io.semanticsearch.mapper.ExactVectorQuery;

import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.join.ToParentBlockJoinQuery;
import org.opensearch.common.Nullable;

/**
 * Finds the vector a search's {@code semantic} query searches with in the Lucene query a shard runs: what a
 * highlighter that ranks by meaning compares with. Lucene queries are all the fetch phase has of the search.
 */
public final class QueryVectors {

    /** A query vector and the field it searches (a {@code semantic_text} field for a fused hybrid query). */
    public record Found(float[] vector, String field) {}

    private QueryVectors() {}

    /** The first query vector of {@code query}, outside {@code must_not} clauses; null when it has none. */
    @Nullable
    public static Found find(Query query) {
        Found[] found = new Found[1];
        query.visit(new QueryVisitor() {
            @Override
            public QueryVisitor getSubVisitor(BooleanClause.Occur occur, Query parent) {
                take(parent);
                return occur == BooleanClause.Occur.MUST_NOT ? EMPTY_VISITOR : this;
            }

            @Override
            public void visitLeaf(Query leaf) {
                take(leaf);
                // Lucene's own block join query does not show its child to visitors; OpenSearch's nested query does.
                if (found[0] == null && leaf instanceof ToParentBlockJoinQuery join) {
                    join.getChildQuery().visit(this);
                }
            }

            private void take(Query q) {
                if (found[0] != null) {
                    return;
                }
                if (q instanceof KnnFloatVectorQuery knn) {
                    found[0] = new Found(knn.getTargetCopy(), knn.getField());
                } else if (q instanceof ExactVectorQuery exact) {
                    // What inner hits run: every passage of a hit, scored exactly.
                    found[0] = new Found(exact.targetCopy(), exact.field());
                } else if (q instanceof FusedScoreQuery fused && fused.vector() != null) {
                    found[0] = new Found(fused.vector(), fused.vectorField());
                } else if (q instanceof ShardFusionQuery fusing) {
                    found[0] = new Found(fusing.vector(), fusing.vectorField());
                }
            }
        });
        return found[0];
    }
}
