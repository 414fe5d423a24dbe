package io.semanticsearch.mapper;

import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;

import java.io.IOException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;

/**
 * What the semantic kNN queries add to Lucene's graph search: Lucene searches {@code num_candidates} per segment;
 * for quantized index types each segment's candidates are rescored with the raw float vectors (kept beside the
 * quantized ones), then the best {@code k} of all segments that score at least {@code minScore} are kept. Rescoring
 * costs one vector read and comparison per candidate. Immutable.
 */
final class KnnCandidates {

    private static final Comparator<ScoreDoc> BY_SCORE = (a, b) -> a.score != b.score
        ? Float.compare(b.score, a.score)
        : Integer.compare(a.doc, b.doc);

    private final String field;
    private final float[] target;
    private final VectorSimilarityFunction function;
    private final int k;
    private final Float minScore;
    private final boolean rescore;

    KnnCandidates(String field, float[] target, VectorSimilarityFunction function, int k, Float minScore, boolean rescore) {
        this.field = field;
        this.target = target;
        this.function = function;
        this.k = k;
        this.minScore = minScore;
        this.rescore = rescore;
    }

    /** A segment's hits (global doc ids), rescored from the raw vectors when the index is quantized. */
    TopDocs rescore(LeafReaderContext context, TopDocs hits) throws IOException {
        if (rescore == false || hits.scoreDocs.length == 0) {
            return hits;
        }
        FloatVectorValues values = context.reader().getFloatVectorValues(field);
        if (values == null) {
            return hits;
        }
        ScoreDoc[] rescored = hits.scoreDocs.clone();
        // The vector iterator only moves forward.
        Arrays.sort(rescored, Comparator.comparingInt(h -> h.doc));
        KnnVectorValues.DocIndexIterator iterator = values.iterator();
        for (ScoreDoc hit : rescored) {
            int doc = hit.doc - context.docBase;
            if (iterator.docID() < doc) {
                iterator.advance(doc);
            }
            if (iterator.docID() == doc) {
                hit.score = function.compare(target, values.vectorValue(iterator.index()));
            }
        }
        Arrays.sort(rescored, BY_SCORE);
        return new TopDocs(hits.totalHits, rescored);
    }

    /** The best {@code k} hits of all segments, without those under {@code minScore}. */
    TopDocs merge(TopDocs[] perSegment) {
        TopDocs top = TopDocs.merge(k, perSegment);
        if (minScore == null) {
            return top;
        }
        int kept = 0;
        while (kept < top.scoreDocs.length && top.scoreDocs[kept].score >= minScore) {
            kept++;
        }
        return kept == top.scoreDocs.length ? top : new TopDocs(top.totalHits, Arrays.copyOf(top.scoreDocs, kept));
    }

    String describe() {
        return "[k=" + k + (minScore == null ? "" : ", min_score=" + minScore) + (rescore ? ", rescored" : "") + "]";
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (o == null || getClass() != o.getClass()) {
            return false;
        }
        KnnCandidates other = (KnnCandidates) o;
        return k == other.k
            && rescore == other.rescore
            && field.equals(other.field)
            && function == other.function
            && Objects.equals(minScore, other.minScore)
            && Arrays.equals(target, other.target);
    }

    @Override
    public int hashCode() {
        return Objects.hash(field, function, k, minScore, rescore, Arrays.hashCode(target));
    }
}
