package io.semanticsearch.query;

import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.Explanation;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryVisitor;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.ScorerSupplier;
import org.apache.lucene.search.Weight;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Matches the documents of a fused result, each with the score the fusion gave it: listed by {@code _id} when the
 * coordinating node fused them, or by Lucene doc id when one shard did ({@link ShardFusionQuery}), for its own reader
 * only. Written here because Lucene has no query that gives listed documents listed scores: a {@code BooleanQuery} of
 * boosted term queries would do it, but meets the clause limit at a window of 512 per side. A few hundred ids are
 * looked up per segment in the terms dictionary, as a {@code TermInSetQuery} does.
 */
final class FusedScoreQuery extends Query {

    // Either ids in idField, or doc ids of the reader whose context id is readerId.
    private final String idField;
    private final BytesRef[] ids;
    private final int[] docs;
    private final Object readerId;
    private final float[] scores;
    private final List<Explanation> explanations;
    // What highlighters see of this query (the BM25 side's terms); null for none.
    private final Query highlight;
    // The semantic side's vector and field, for highlighters that rank by meaning.
    private final float[] vector;
    private final String vectorField;

    FusedScoreQuery(
        String idField,
        BytesRef[] ids,
        float[] scores,
        List<Explanation> explanations,
        Query highlight,
        float[] vector,
        String vectorField
    ) {
        this.vector = vector;
        this.vectorField = vectorField;
        this.idField = idField;
        this.ids = ids;
        this.docs = null;
        this.readerId = null;
        this.scores = scores;
        this.explanations = explanations;
        this.highlight = highlight;
    }

    /** The documents {@code docs} (doc ids of the reader whose context id is {@code readerId}) with their scores. */
    FusedScoreQuery(
        Object readerId,
        int[] docs,
        float[] scores,
        List<Explanation> explanations,
        Query highlight,
        float[] vector,
        String vectorField
    ) {
        this.idField = null;
        this.ids = null;
        this.docs = docs;
        this.readerId = readerId;
        this.scores = scores;
        this.explanations = explanations;
        this.highlight = highlight;
        this.vector = vector;
        this.vectorField = vectorField;
    }

    @Override
    public Weight createWeight(IndexSearcher searcher, ScoreMode scoreMode, float boost) {
        return new Weight(this) {
            @Override
            public Explanation explain(LeafReaderContext context, int doc) throws IOException {
                Matches matches = listed(context);
                int at = Arrays.binarySearch(matches.docs, 0, matches.count, doc);
                if (at < 0) {
                    return Explanation.noMatch("not among the documents of the hybrid fusion");
                }
                Explanation fused = explanations.get(matches.slots[at]);
                return boost == 1f ? fused : Explanation.match(fused.getValue().floatValue() * boost, "boosted by [" + boost + "]", fused);
            }

            @Override
            public ScorerSupplier scorerSupplier(LeafReaderContext context) throws IOException {
                Matches matches = listed(context);
                if (matches.count == 0) {
                    return null;
                }
                return new DefaultScorerSupplier(new ListedScorer(matches, boost));
            }

            @Override
            public boolean isCacheable(LeafReaderContext ctx) {
                // Each request lists its own documents: caching them would only evict useful entries.
                return false;
            }
        };
    }

    /** The listed documents of one segment, in doc id order, with the slot of each in {@link #ids}. */
    private record Matches(int[] docs, int[] slots, int count) {}

    private Matches listed(LeafReaderContext context) throws IOException {
        return docs != null ? listedDocs(context) : listedIds(context);
    }

    private Matches listedDocs(LeafReaderContext context) {
        if (ReaderUtil.getTopLevelContext(context).id() != readerId) {
            throw new IllegalStateException("a shard's fused documents were searched with another reader than the one that ranked them");
        }
        long[] found = new long[docs.length];
        int count = 0;
        int end = context.docBase + context.reader().maxDoc();
        for (int slot = 0; slot < docs.length; slot++) {
            if (docs[slot] >= context.docBase && docs[slot] < end) {
                found[count++] = ((long) (docs[slot] - context.docBase) << 32) | slot;
            }
        }
        return sorted(found, count);
    }

    private Matches listedIds(LeafReaderContext context) throws IOException {
        LeafReader reader = context.reader();
        Terms terms = reader.terms(idField);
        if (terms == null) {
            return new Matches(new int[0], new int[0], 0);
        }
        TermsEnum termsEnum = terms.iterator();
        Bits live = reader.getLiveDocs();
        long[] found = new long[Math.max(1, ids.length)];
        int count = 0;
        PostingsEnum postings = null;
        for (int slot = 0; slot < ids.length; slot++) {
            if (termsEnum.seekExact(ids[slot])) {
                postings = termsEnum.postings(postings, PostingsEnum.NONE);
                for (int doc = postings.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = postings.nextDoc()) {
                    if (live == null || live.get(doc)) {
                        // Nested documents carry their parent's _id too: the search's non-nested filter drops them.
                        if (count == found.length) {
                            found = Arrays.copyOf(found, count * 2);
                        }
                        found[count++] = ((long) doc << 32) | slot;
                    }
                }
            }
        }
        return sorted(found, count);
    }

    /** Doc ids (high 32 bits) with their slots (low 32 bits), in doc id order. */
    private static Matches sorted(long[] found, int count) {
        Arrays.sort(found, 0, count);
        int[] docs = new int[count];
        int[] slots = new int[count];
        for (int i = 0; i < count; i++) {
            docs[i] = (int) (found[i] >>> 32);
            slots[i] = (int) found[i];
        }
        return new Matches(docs, slots, count);
    }

    private final class ListedScorer extends Scorer {
        private final Matches matches;
        private final float boost;
        private final float maxScore;
        private int at = -1;
        private final DocIdSetIterator iterator = new DocIdSetIterator() {
            @Override
            public int docID() {
                return ListedScorer.this.docID();
            }

            @Override
            public int nextDoc() {
                at++;
                return docID();
            }

            @Override
            public int advance(int target) {
                do {
                    at++;
                } while (at < matches.count && matches.docs[at] < target);
                return docID();
            }

            @Override
            public long cost() {
                return matches.count;
            }
        };

        ListedScorer(Matches matches, float boost) {
            this.matches = matches;
            this.boost = boost;
            float max = 0;
            for (int i = 0; i < matches.count; i++) {
                max = Math.max(max, scores[matches.slots[i]] * boost);
            }
            this.maxScore = max;
        }

        @Override
        public int docID() {
            return at < 0 ? -1 : at >= matches.count ? DocIdSetIterator.NO_MORE_DOCS : matches.docs[at];
        }

        @Override
        public DocIdSetIterator iterator() {
            return iterator;
        }

        @Override
        public float getMaxScore(int upTo) {
            return maxScore;
        }

        @Override
        public float score() {
            return scores[matches.slots[at]] * boost;
        }
    }

    /** Whether this lists the doc ids of the reader whose context id is {@code readerId}. */
    boolean rankedFor(Object readerId) {
        return docs != null && this.readerId == readerId;
    }

    float[] vector() {
        return vector;
    }

    String vectorField() {
        return vectorField;
    }

    @Override
    public void visit(QueryVisitor visitor) {
        if (highlight != null) {
            highlight.visit(visitor.getSubVisitor(BooleanClause.Occur.SHOULD, this));
        } else {
            visitor.visitLeaf(this);
        }
    }

    @Override
    public String toString(String field) {
        return "FusedScoreQuery(" + scores.length + " documents)";
    }

    @Override
    public boolean equals(Object other) {
        return sameClassAs(other)
            && Objects.equals(idField, ((FusedScoreQuery) other).idField)
            && Arrays.equals(ids, ((FusedScoreQuery) other).ids)
            && Arrays.equals(docs, ((FusedScoreQuery) other).docs)
            && readerId == ((FusedScoreQuery) other).readerId
            && Arrays.equals(scores, ((FusedScoreQuery) other).scores)
            && Objects.equals(highlight, ((FusedScoreQuery) other).highlight);
    }

    @Override
    public int hashCode() {
        return Objects.hash(classHash(), idField, Arrays.hashCode(ids), Arrays.hashCode(docs), Arrays.hashCode(scores), highlight);
    }
}
