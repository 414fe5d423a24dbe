package io.semanticsearch.ingest;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.InputType;
import io.semanticsearch.embed.ModelFixtures;
import io.semanticsearch.embed.ModelStats;

import org.apache.lucene.tests.util.LuceneTestCase.SuppressFileSystems;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;
import org.opensearch.test.OpenSearchTestCase;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;


/** The processor on a real model and inference pool; stored documents come from a client that answers multi-gets. */
@SuppressFileSystems("ExtrasFS") // an extra folder in the model root would be listed as a failed model
public class SemanticEmbedProcessorTests extends OpenSearchTestCase {

    private static TestEmbeddings embeddings;
    private static StoredDocumentsClient client;
    private static EmbeddingModel miniLm;

    @BeforeClass
    public static void loadModels() throws Exception {
        embeddings = new TestEmbeddings(createTempDir(), "processor-tests");
        client = new StoredDocumentsClient();
        miniLm = embeddings.service.model(ModelFixtures.MINILM);
    }

    @AfterClass
    public static void closeModels() {
        client.close();
        embeddings.close();
        embeddings = null;
        client = null;
        miniLm = null;
    }

    public void testStringGetsOneVector() throws Exception {
        IngestDocument document = execute(processor(Map.of()), source("body", "Logrotate rotates and compresses system logs."));
        assertVector("Logrotate rotates and compresses system logs.", document.getFieldValue("body_vec", List.class));
        assertFalse("no hash without skip_existing", document.hasField("body_vec_hash"));
    }

    public void testArrayGetsOneVectorPerString() throws Exception {
        IngestDocument document = execute(processor(Map.of()), source("body", List.of("rotate logs", "compress logs")));
        List<?> vectors = document.getFieldValue("body_vec", List.class);
        assertEquals(2, vectors.size());
        assertVector("rotate logs", (List<?>) vectors.get(0));
        assertVector("compress logs", (List<?>) vectors.get(1));
        assertEquals(List.of(), execute(processor(Map.of()), source("body", List.of())).getFieldValue("body_vec", List.class));
    }

    public void testChunkingGivesPassagesWithTheirVectors() throws Exception {
        String text = "Logrotate rotates, compresses and mails system logs. It is meant for systems that write many logs. "
            + "Each log may be handled daily, weekly or monthly.";
        SemanticEmbedProcessor processor = processor(Map.of("chunking", new HashMap<>(Map.of("max_tokens", 20, "overlap_tokens", 0))));
        List<?> passages = execute(processor, source("body", text)).getFieldValue("body_vec", List.class);
        assertEquals(3, passages.size());
        for (Object item : passages) {
            Map<?, ?> passage = (Map<?, ?>) item;
            String passageText = (String) passage.get("text");
            int offset = (Integer) passage.get("offset");
            assertEquals(passageText, text.substring(offset, offset + passageText.length()));
            assertVector(passageText, (List<?>) passage.get("vector"));
            assertFalse(passage.containsKey("element"));
        }
        assertEquals("Logrotate rotates, compresses and mails system logs.", ((Map<?, ?>) passages.get(0)).get("text"));

        List<?> fromArray = execute(processor, source("body", List.of("First string.", "", "Third string."))).getFieldValue(
            "body_vec",
            List.class
        );
        assertEquals(2, fromArray.size());
        assertEquals(Map.of("text", "First string.", "offset", 0, "element", 0), withoutVector(fromArray.get(0)));
        assertEquals(Map.of("text", "Third string.", "offset", 0, "element", 2), withoutVector(fromArray.get(1)));

        assertEquals(List.of(), execute(processor, source("body", "   ")).getFieldValue("body_vec", List.class));
    }

    public void testNestedAndDottedPaths() throws Exception {
        SemanticEmbedProcessor processor = processor(Map.of("field_map", Map.of("doc.body", "vectors.body")));
        IngestDocument nested = execute(processor, source("doc", new HashMap<>(Map.of("body", "rotate logs"))));
        assertVector("rotate logs", nested.getFieldValue("vectors.body", List.class));
        IngestDocument dotted = execute(processor, source("doc.body", "rotate logs"));
        assertVector("rotate logs", dotted.getFieldValue("vectors.body", List.class));
    }

    public void testMissingFields() throws Exception {
        Exception e = executeFailing(processor(Map.of()), source("title", "no body"));
        assertEquals("field [body] is missing or null; set [ignore_missing] to true to index documents without it unembedded", e.getMessage());
        Map<String, Object> nullBody = source("title", "null body");
        nullBody.put("body", null);
        assertEquals(e.getMessage(), executeFailing(processor(Map.of()), nullBody).getMessage());

        SemanticEmbedProcessor ignoring = processor(Map.of("ignore_missing", true));
        IngestDocument document = execute(ignoring, nullBody);
        assertFalse(document.hasField("body_vec"));
        assertEquals("null body", document.getFieldValue("title", String.class));
    }

    public void testTextBlankOnceNormalisedGetsNoVector() throws Exception {
        for (String blank : List.of("   ", "\u200b\u2060", "\u0301\u0308", "\ufe0f")) {
            Map<String, Object> sent = source("body", blank);
            sent.put("body_vec", List.of(1f, 2f)); // a stale target is removed, not kept beside text it does not belong to
            IngestDocument single = execute(processor(Map.of()), sent);
            assertFalse(blank.codePoints().boxed().toList().toString(), single.hasField("body_vec"));
            assertEquals(blank, single.getFieldValue("body", String.class));
            List<?> vectors = execute(processor(Map.of()), source("body", List.of(blank, "rotate logs"))).getFieldValue("body_vec", List.class);
            assertEquals("only the string with words has a vector", 1, vectors.size());
            assertVector("rotate logs", (List<?>) vectors.get(0));
            SemanticEmbedProcessor chunking = processor(Map.of("chunking", new HashMap<>(Map.of("max_tokens", 20, "overlap_tokens", 0))));
            assertEquals(List.of(), execute(chunking, source("body", blank)).getFieldValue("body_vec", List.class));
        }
    }

    public void testValuesThatCannotBeEmbedded() {
        SemanticEmbedProcessor processor = processor(Map.of());
        assertEquals(
            "field [body] must be a string or an array of strings, got a number [42]",
            executeFailing(processor, source("body", 42)).getMessage()
        );
        assertEquals(
            "field [body] must be a string or an array of strings, got a boolean [true]",
            executeFailing(processor, source("body", true)).getMessage()
        );
        assertEquals(
            "field [body] must be a string or an array of strings, got an object [{text=x}]",
            executeFailing(processor, source("body", Map.of("text", "x"))).getMessage()
        );
        assertEquals(
            "field [body] must be a string or an array of strings, but its element [1] is a number [3]",
            executeFailing(processor, source("body", List.of("ok", 3))).getMessage()
        );
        List<Object> withNull = new ArrayList<>();
        withNull.add("ok");
        withNull.add(null);
        assertEquals(
            "field [body] must be a string or an array of strings, but its element [1] is null",
            executeFailing(processor, source("body", withNull)).getMessage()
        );
    }

    public void testBatchesAcrossDocumentsAndFailsBadOnesAlone() throws Exception {
        SemanticEmbedProcessor processor = processor(Map.of("batch_size", 2));
        List<IngestDocumentWrapper> batch = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            batch.add(wrap(i, source("body", i == 2 ? 7 : "document number " + i)));
        }
        ModelStats stats = embeddings.service.stats(ModelFixtures.MINILM);
        long batchesBefore = stats.batches();
        long textsBefore = stats.texts();
        int tasksBefore = client.bulkInferences.get();
        List<IngestDocumentWrapper> results = batchExecute(processor, batch);
        assertEquals(5, results.size());
        assertEquals("the bulk's inference runs as one task", tasksBefore + 1, client.bulkInferences.get());
        for (IngestDocumentWrapper result : results) {
            if (result.getSlot() == 2) {
                assertEquals("field [body] must be a string or an array of strings, got a number [7]", result.getException().getMessage());
            } else {
                assertNull(result.getException());
                assertVector("document number " + result.getSlot(), result.getIngestDocument().getFieldValue("body_vec", List.class));
            }
        }
        // Three model calls for five documents in batches of two (the bad one needs none), four texts in all.
        assertEquals(batchesBefore + 3, stats.batches());
        assertEquals(textsBefore + 4, stats.texts());

        long batchesBeforeBigBatch = stats.batches();
        List<IngestDocumentWrapper> many = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            many.add(wrap(i, source("body", "text " + i)));
        }
        batchExecute(processor(Map.of("batch_size", 32)), many);
        assertEquals("twenty documents, one model call", batchesBeforeBigBatch + 1, stats.batches());
    }

    public void testBulkIsOrderedByLengthBeforeItIsCutIntoModelCalls() throws Exception {
        // Short and long texts in turn: cut in arrival order, each model call would pad the short ones to the long
        // ones' length or split into two batches; ordered by length first, each call holds texts of one length.
        String longText = String.join(" ", Collections.nCopies(60, "rotation"));
        List<IngestDocumentWrapper> batch = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            batch.add(wrap(i, source("body", i % 2 == 0 ? "short " + i : longText + " " + i)));
        }
        ModelStats stats = embeddings.service.stats(ModelFixtures.MINILM);
        long batchesBefore = stats.batches();
        long tokensBefore = stats.tokens();
        long paddedBefore = stats.paddedTokens();
        List<IngestDocumentWrapper> results = batchExecute(processor(Map.of("batch_size", 4)), batch);
        assertEquals(8, results.size());
        assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6, 7), results.stream().map(IngestDocumentWrapper::getSlot).collect(Collectors.toSet()));
        assertVector("short 2", docOf(results, 2).getFieldValue("body_vec", List.class));
        assertVector(longText + " 3", docOf(results, 3).getFieldValue("body_vec", List.class));
        assertEquals("two model calls of one batch each", batchesBefore + 2, stats.batches());
        // Texts of one length in each batch: a few positions of padding ("short 0" and "short 10" differ), not half.
        long padding = (stats.paddedTokens() - paddedBefore) - (stats.tokens() - tokensBefore);
        assertTrue("padding " + padding, padding <= 8);
    }

    public void testBigBulkDoesNotOverflowTheInferenceQueue() throws Exception {
        // 300 model calls of one document each: all at once they would overflow the pool's queue of 100.
        SemanticEmbedProcessor processor = processor(Map.of("batch_size", 1));
        List<IngestDocumentWrapper> batch = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            batch.add(wrap(i, source("body", "log " + i)));
        }
        long rejectionsBefore = embeddings.service.stats(ModelFixtures.MINILM).rejections();
        List<IngestDocumentWrapper> results = batchExecute(processor, batch);
        assertEquals(300, results.size());
        for (IngestDocumentWrapper result : results) {
            assertNull(result.getException());
            assertEquals(384, result.getIngestDocument().getFieldValue("body_vec", List.class).size());
        }
        assertEquals(rejectionsBefore, embeddings.service.stats(ModelFixtures.MINILM).rejections());
    }

    public void testManyDocumentsWithNothingToEmbedFinishWithoutRecursion() throws Exception {
        // Sub-batches that finish at once must not start the next one from their handler, deeper and deeper.
        SemanticEmbedProcessor processor = processor(Map.of("batch_size", 1, "ignore_missing", true));
        List<IngestDocumentWrapper> batch = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            batch.add(wrap(i, source("title", "no body")));
        }
        List<IngestDocumentWrapper> results = batchExecute(processor, batch);
        assertEquals(100_000, results.size());
        assertFalse(results.get(99_999).getIngestDocument().hasField("body_vec"));
    }

    public void testSkipExistingReusesStoredTargetsWhoseHashMatches() throws Exception {
        SemanticEmbedProcessor processor = processor(Map.of("skip_existing", true));
        IngestDocument first = execute(processor, source("body", "rotate logs"));
        String hash = first.getFieldValue("body_vec_hash", String.class);
        assertEquals(64, hash.length());

        List<Float> storedVector = new ArrayList<>();
        for (int i = 0; i < 384; i++) {
            storedVector.add(i / 384f);
        }
        client.store("same", Map.of("body", "rotate logs", "body_vec", storedVector, "body_vec_hash", hash));
        client.store("changed", Map.of("body", "rotate logs", "body_vec", storedVector, "body_vec_hash", "0".repeat(64)));
        ModelStats stats = embeddings.service.stats(ModelFixtures.MINILM);
        long textsBefore = stats.texts();
        int getsBefore = client.multiGets.get();

        List<IngestDocumentWrapper> results = batchExecute(
            processor,
            List.of(wrap(0, "same", source("body", "rotate logs")), wrap(1, "changed", source("body", "rotate logs")), wrap(2, "new", source("body", "rotate logs")))
        );
        assertEquals("one look-up for the batch", getsBefore + 1, client.multiGets.get());
        assertTrue("the stored vector is reused", storedVector.equals(floats(docOf(results, 0).getFieldValue("body_vec", List.class))));
        assertEquals(hash, docOf(results, 0).getFieldValue("body_vec_hash", String.class));
        assertVector("rotate logs", docOf(results, 1).getFieldValue("body_vec", List.class));
        assertEquals(hash, docOf(results, 1).getFieldValue("body_vec_hash", String.class));
        assertVector("rotate logs", docOf(results, 2).getFieldValue("body_vec", List.class));
        assertEquals("only the changed and the new document are embedded", textsBefore + 2, stats.texts());
    }

    public void testSkipExistingHashCoversTheModelAndChunking() throws Exception {
        String plain = execute(processor(Map.of("skip_existing", true)), source("body", "x")).getFieldValue("body_vec_hash", String.class);
        String chunked = execute(processor(Map.of("skip_existing", true, "chunking", new HashMap<>())), source("body", "x")).getFieldValue(
            "body_vec_hash",
            String.class
        );
        String bge = execute(processor(Map.of("skip_existing", true, "model", ModelFixtures.BGE)), source("body", "x")).getFieldValue(
            "body_vec_hash",
            String.class
        );
        String array = execute(processor(Map.of("skip_existing", true)), source("body", List.of("x"))).getFieldValue(
            "body_vec_hash",
            String.class
        );
        assertEquals(4, new HashSet<>(List.of(plain, chunked, bge, array)).size());
    }

    public void testFailedLookUpEmbedsAfresh() throws Exception {
        client.failNext();
        IngestDocument document = execute(processor(Map.of("skip_existing", true)), source("body", "rotate logs"));
        assertVector("rotate logs", document.getFieldValue("body_vec", List.class));
    }

    public void testSynchronousExecuteIsRefused() {
        expectThrows(UnsupportedOperationException.class, () -> processor(Map.of()).execute(new IngestDocument(source("body", "x"), Map.of())));
    }

    private static SemanticEmbedProcessor processor(Map<String, Object> options) {
        Map<String, Object> config = new HashMap<>(options);
        config.putIfAbsent("field_map", Map.of("body", "body_vec"));
        return new SemanticEmbedProcessorFactory(() -> embeddings.service, client, null, 1_000_000, 1000).create(Map.of(), null, null, config);
    }

    private static Map<String, Object> source(String field, Object value) {
        Map<String, Object> source = new HashMap<>();
        source.put(field, value);
        return source;
    }

    private static IngestDocumentWrapper wrap(int slot, Map<String, Object> source) {
        return wrap(slot, "doc-" + slot, source);
    }

    private static IngestDocumentWrapper wrap(int slot, String id, Map<String, Object> source) {
        return new IngestDocumentWrapper(slot, 0, new IngestDocument("docs", id, null, null, null, source), null);
    }

    private static IngestDocument docOf(List<IngestDocumentWrapper> results, int slot) {
        IngestDocumentWrapper result = results.stream().filter(r -> r.getSlot() == slot).findFirst().orElseThrow();
        assertNull(result.getException());
        return result.getIngestDocument();
    }

    private static IngestDocument execute(SemanticEmbedProcessor processor, Map<String, Object> source) throws Exception {
        CompletableFuture<IngestDocument> result = new CompletableFuture<>();
        processor.execute(new IngestDocument("docs", "1", null, null, null, source), (document, e) -> {
            if (e != null) {
                result.completeExceptionally(e);
            } else {
                result.complete(document);
            }
        });
        return result.get(30, TimeUnit.SECONDS);
    }

    private static Exception executeFailing(SemanticEmbedProcessor processor, Map<String, Object> source) {
        CompletableFuture<Exception> result = new CompletableFuture<>();
        processor.execute(new IngestDocument("docs", "1", null, null, null, source), (document, e) -> {
            assertNull(document);
            result.complete(e);
        });
        try {
            return result.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static List<IngestDocumentWrapper> batchExecute(SemanticEmbedProcessor processor, List<IngestDocumentWrapper> batch)
        throws Exception {
        CompletableFuture<List<IngestDocumentWrapper>> result = new CompletableFuture<>();
        processor.batchExecute(batch, result::complete);
        return result.get(30, TimeUnit.SECONDS);
    }

    private static void assertVector(String text, List<?> actual) {
        float[] expected = miniLm.embed(List.of(text), InputType.PASSAGE, 1)[0];
        float[] got = new float[actual.size()];
        for (int i = 0; i < got.length; i++) {
            got[i] = ((Number) actual.get(i)).floatValue();
        }
        assertEquals(expected.length, got.length);
        double cosine = ModelFixtures.cosine(expected, got);
        assertTrue("[" + text + "] cosine " + cosine, cosine > 0.9999);
    }

    private static List<Float> floats(List<?> numbers) {
        return numbers.stream().map(n -> ((Number) n).floatValue()).toList();
    }

    private static Map<?, ?> withoutVector(Object passage) {
        Map<?, ?> copy = new HashMap<>((Map<?, ?>) passage);
        assertEquals(384, ((List<?>) copy.remove("vector")).size());
        return copy;
    }
}
