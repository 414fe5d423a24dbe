package io.semanticsearch.mapper;

import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TimeLimitingKnnCollectorManager;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.Weight;

import java.io.IOException;
import java.util.Objects;

/**
 * Lucene's filtered kNN search over {@code num_candidates} per segment (with its exact fallback for selective
 * filters), trimmed to {@code k} hits by {@link KnnCandidates}.
 */
final class SemanticKnnQuery extends KnnFloatVectorQuery {

    private final KnnCandidates candidates;

    SemanticKnnQuery(String field, float[] target, int numCandidates, Query filter, KnnCandidates candidates) {
        super(field, target, numCandidates, filter);
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
        return super.equals(o) && candidates.equals(((SemanticKnnQuery) o).candidates);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), candidates);
    }
}
