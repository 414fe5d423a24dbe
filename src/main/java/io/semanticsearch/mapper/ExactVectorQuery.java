package io.semanticsearch.mapper;

import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.Explanation;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.ScorerSupplier;
import org.apache.lucene.search.TwoPhaseIterator;
import org.apache.lucene.search.Weight;

import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;

/**
 * Matches every document with a vector in the field and scores it with its exact similarity to the target (the raw
 * float vectors, whatever the index type); with a minimum score, documents under it do not match. Costs one vector
 * comparison per document with a vector, so combine it with a selective filter on large indices.
 */
public final class ExactVectorQuery extends Query {

    private final String field;
    private final float[] target;
    private final VectorSimilarityFunction function;
    private final Float minScore;

    /** The field searched; for highlighters that rank by meaning. */
    public String field() {
        return field;
    }

    /** A copy of the vector searched with. */
    public float[] targetCopy() {
        return target.clone();
    }

    ExactVectorQuery(String field, float[] target, VectorSimilarityFunction function, Float minScore) {
        this.field = field;
        this.target = target;
        this.function = function;
        this.minScore = minScore;
    }

    @Override
    public Weight createWeight(IndexSearcher searcher, ScoreMode scoreMode, float boost) {
        return new Weight(this) {
            @Override
            public ScorerSupplier scorerSupplier(LeafReaderContext context) throws IOException {
                FloatVectorValues values = context.reader().getFloatVectorValues(field);
                if (values == null) {
                    return null;
                }
                return new DefaultScorerSupplier(new VectorScorer(values, boost));
            }

            @Override
            public Explanation explain(LeafReaderContext context, int doc) throws IOException {
                FloatVectorValues values = context.reader().getFloatVectorValues(field);
                if (values == null) {
                    return Explanation.noMatch("no vectors in [" + field + "]");
                }
                VectorScorer scorer = new VectorScorer(values, 1f);
                if (scorer.vectors.advance(doc) != doc) {
                    return Explanation.noMatch("document has no vector in [" + field + "]");
                }
                float score = scorer.similarity();
                String what = function + " similarity of [" + field + "] to the query vector";
                if (minScore != null && score < minScore) {
                    return Explanation.noMatch(what + " [" + score + "] is under [min_score] [" + minScore + "]");
                }
                return Explanation.match(score * boost, what + (boost == 1f ? "" : ", times boost [" + boost + "]"));
            }

            @Override
            public boolean isCacheable(LeafReaderContext context) {
                return true;
            }
        };
    }

    /** Walks the segment's vectors; scores each one once, in the two-phase check when there is a minimum score. */
    private final class VectorScorer extends Scorer {
        private final FloatVectorValues values;
        private final KnnVectorValues.DocIndexIterator vectors;
        private final float boost;
        private int scoredDoc = -1;
        private float score;

        VectorScorer(FloatVectorValues values, float boost) {
            this.values = values;
            this.vectors = values.iterator();
            this.boost = boost;
        }

        float similarity() throws IOException {
            if (scoredDoc != vectors.docID()) {
                score = function.compare(target, values.vectorValue(vectors.index()));
                scoredDoc = vectors.docID();
            }
            return score;
        }

        @Override
        public int docID() {
            return vectors.docID();
        }

        @Override
        public DocIdSetIterator iterator() {
            TwoPhaseIterator twoPhase = twoPhaseIterator();
            return twoPhase == null ? vectors : TwoPhaseIterator.asDocIdSetIterator(twoPhase);
        }

        @Override
        public TwoPhaseIterator twoPhaseIterator() {
            if (minScore == null) {
                return null;
            }
            return new TwoPhaseIterator(vectors) {
                @Override
                public boolean matches() throws IOException {
                    return similarity() >= minScore;
                }

                @Override
                public float matchCost() {
                    return target.length;
                }
            };
        }

        @Override
        public float getMaxScore(int upTo) {
            // max_inner_product has no upper bound; no pruning is worth a bound check per similarity.
            return Float.MAX_VALUE;
        }

        @Override
        public float score() throws IOException {
            return similarity() * boost;
        }
    }

    @Override
    public void visit(QueryVisitor visitor) {
        if (visitor.acceptField(field)) {
            visitor.visitLeaf(this);
        }
    }

    @Override
    public String toString(String field) {
        return "ExactVectorQuery[" + this.field + "][" + function + (minScore == null ? "" : ", min_score=" + minScore) + "]";
    }

    @Override
    public boolean equals(Object o) {
        if (sameClassAs(o) == false) {
            return false;
        }
        ExactVectorQuery other = (ExactVectorQuery) o;
        return field.equals(other.field)
            && function == other.function
            && Objects.equals(minScore, other.minScore)
            && Arrays.equals(target, other.target);
    }

    @Override
    public int hashCode() {
        return Objects.hash(classHash(), field, function, minScore, Arrays.hashCode(target));
    }
}
