package io.semanticsearch.mapper;

import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TimeLimitingKnnCollectorManager;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.Weight;
import org.apache.lucene.search.join.BitSetProducer;
import org.apache.lucene.search.join.DiversifyingChildrenFloatKnnVectorQuery;

import java.io.IOException;
import java.util.Objects;

/**
 * The semantic kNN search inside a {@code nested} query: Lucene keeps the best child per parent while it searches,
 * so {@code k} counts parents (documents), not passages.
 */
final class NestedSemanticKnnQuery extends DiversifyingChildrenFloatKnnVectorQuery {

    private final KnnCandidates candidates;

    NestedSemanticKnnQuery(
        String field,
        float[] target,
        int numCandidates,
        Query childFilter,
        BitSetProducer parentsFilter,
        KnnCandidates candidates
    ) {
        super(field, target, childFilter, numCandidates, parentsFilter);
        this.candidates = candidates;
    }

    @Override
    protected TopDocs searchLeaf(LeafReaderContext context, Weight filterWeight, TimeLimitingKnnCollectorManager collectors)
        throws IOException {
        return candidates.rescore(context, super.searchLeaf(context, filterWeight, collectors));
    }

    @Override
    protected TopDocs mergeLeafResults(TopDocs[] perLeafResults) {
        return candidates.merge(perLeafResults);
    }

    @Override
    public String toString(String field) {
        return "Semantic" + super.toString(field) + candidates.describe();
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && candidates.equals(((NestedSemanticKnnQuery) o).candidates);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), candidates);
    }
}
