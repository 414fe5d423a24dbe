package io.semanticsearch.query;

import io.semanticsearch.ranking.Fusion;
import io.semanticsearch.ranking.HybridRanking;
import io.semanticsearch.ranking.HybridRanking.Ranked;
import io.semanticsearch.ranking.HybridRanking.Side;
import io.semanticsearch.ranking.LinearFusion;

import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.NoMergePolicy;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Explanation;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

public class ShardFusionQueryTests extends OpenSearchTestCase {

    private static final String[] WORDS = { "log", "disk", "ssh", "cron", "time", "zone", "copy", "files" };

    private static float[] randomVector() {
        float[] vector = new float[8];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = (float) randomDoubleBetween(-1, 1, true);
        }
        vector[0] += 2; // never the zero vector
        return vector;
    }

    /** An index of several segments (one flushed per 7 documents) with a few deletions, like a live shard's. */
    private static Directory index(int docs) throws IOException {
        Directory directory = new ByteBuffersDirectory();
        try (IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig().setMergePolicy(NoMergePolicy.INSTANCE))) {
            for (int i = 0; i < docs; i++) {
                Document doc = new Document();
                doc.add(new StringField("id", "d" + i, Field.Store.YES));
                StringBuilder text = new StringBuilder();
                for (int w = randomIntBetween(1, 6); w > 0; w--) {
                    text.append(randomFrom(WORDS)).append(' ');
                }
                doc.add(new TextField("body", text.toString(), Field.Store.NO));
                doc.add(new KnnFloatVectorField("vec", randomVector(), VectorSimilarityFunction.COSINE));
                writer.addDocument(doc);
                if (i % 7 == 6) {
                    writer.flush();
                }
            }
            writer.deleteDocuments(new Term("id", "d3"), new Term("id", "d11"));
        }
        return directory;
    }

    /** What the coordinating node does for a search across shards: each side searched alone, keyed by id, fused. */
    private static List<Ranked<String>> fusedAcrossShards(IndexSearcher searcher, Query lexical, Query semantic, Fusion fusion, int window)
        throws IOException {
        return HybridRanking.fuse(fusion, side(searcher, searcher.search(lexical, window)), side(searcher, searcher.search(semantic, window)));
    }

    private static Map<String, Side> side(IndexSearcher searcher, TopDocs top) throws IOException {
        List<String> ids = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        for (ScoreDoc doc : top.scoreDocs) {
            ids.add(searcher.storedFields().document(doc.doc).get("id"));
            scores.add(doc.score);
        }
        return HybridRanking.side(ids, scores);
    }

    public void testOneShardRanksAsTheCoordinatorRanksTheWholeResult() throws IOException {
        try (Directory directory = index(randomIntBetween(30, 60)); DirectoryReader reader = DirectoryReader.open(directory)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            for (int round = 0; round < 20; round++) {
                Query lexical = new BooleanQuery.Builder().add(new TermQuery(new Term("body", randomFrom(WORDS))), BooleanClause.Occur.SHOULD)
                    .add(new TermQuery(new Term("body", randomFrom(WORDS))), BooleanClause.Occur.SHOULD)
                    .build();
                int window = randomIntBetween(5, 25);
                Query semantic = new KnnFloatVectorQuery("vec", randomVector(), window);
                Fusion fusion = randomFrom(Fusion.rrf(randomIntBetween(1, 60)), Fusion.linear(randomDouble(), randomFrom(LinearFusion.Normalizer.values())));
                List<Ranked<String>> expected = fusedAcrossShards(searcher, lexical, semantic, fusion, window);

                TopDocs fused = searcher.search(new ShardFusionQuery(lexical, semantic, fusion, window, "test", lexical, null, "vec"), 1000);
                assertEquals(fusion + " window " + window, expected.size(), fused.scoreDocs.length);
                for (int i = 0; i < expected.size(); i++) {
                    ScoreDoc hit = fused.scoreDocs[i];
                    assertEquals(fusion + " rank " + i, expected.get(i).key(), searcher.storedFields().document(hit.doc).get("id"));
                    assertEquals(fusion + " rank " + i, expected.get(i).score(), hit.score, 0f);
                }
            }
        }
    }

    public void testEachHitIsExplainedByBothSides() throws IOException {
        try (Directory directory = index(40); DirectoryReader reader = DirectoryReader.open(directory)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            Query lexical = new TermQuery(new Term("body", "disk"));
            Query query = new ShardFusionQuery(lexical, new KnnFloatVectorQuery("vec", randomVector(), 10), Fusion.rrf(60), 10, "rrf, rank_constant 60", lexical, null, "vec");
            TopDocs top = searcher.search(query, 5);
            assertTrue(top.scoreDocs.length > 0);
            for (ScoreDoc hit : top.scoreDocs) {
                Explanation explanation = searcher.explain(query, hit.doc);
                assertEquals(hit.score, explanation.getValue().floatValue(), 0f);
                assertTrue(explanation.toString(), explanation.toString().contains("ranked over the whole result: rrf, rank_constant 60"));
                assertTrue(explanation.toString(), explanation.toString().contains("bm25:") && explanation.toString().contains("semantic:"));
            }
        }
    }

    public void testTheFusedDocumentsBelongToTheReaderThatRankedThem() throws IOException {
        try (Directory directory = index(20); DirectoryReader reader = DirectoryReader.open(directory)) {
            Query lexical = new TermQuery(new Term("body", "log"));
            Query query = new ShardFusionQuery(lexical, new KnnFloatVectorQuery("vec", randomVector(), 5), Fusion.DEFAULT, 5, "d", lexical, null, "vec");
            Query fused = new IndexSearcher(reader).rewrite(query);
            assertSame("a second rewrite over the same reader does not search again", fused, new IndexSearcher(reader).rewrite(query));
            try (Directory other = index(20); DirectoryReader otherReader = DirectoryReader.open(other)) {
                IllegalStateException e = expectThrows(IllegalStateException.class, () -> new IndexSearcher(otherReader).search(fused, 5));
                assertTrue(e.getMessage(), e.getMessage().contains("another reader"));
            }
        }
    }
}
