package io.semanticsearch.ingest;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.InputType;
import io.semanticsearch.embed.ModelFixtures;

import org.apache.lucene.tests.util.LuceneTestCase.SuppressFileSystems;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;
import org.opensearch.plugins.IngestPlugin.SystemIngestPipelineConfigKeys;
import org.opensearch.test.OpenSearchTestCase;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The system processor of {@code semantic_text} fields on the real models: what it reads from the mapping, what it
 * writes, what it reuses instead of embedding (proved by the model's counters), and what fails a document alone.
 */
@SuppressFileSystems("ExtrasFS") // an extra folder in the model root would be listed as a failed model
public class SemanticTextProcessorTests extends OpenSearchTestCase {

    private static final String RSYNC = "rsync copies files to and from remote machines. It sends only the differences.";

    private static TestEmbeddings embeddings;
    private static StoredDocumentsClient client;
    private static EmbeddingModel miniLm;

    @BeforeClass
    public static void loadModels() throws Exception {
        embeddings = new TestEmbeddings(createTempDir(), "semantic-text-tests");
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

    public void testNoProcessorForAnIndexWithoutSemanticText() {
        assertNull(processor("{\"properties\": {\"body\": {\"type\": \"text\"}}}"));
        assertNull(factory(10).newProcessor(null, null, Map.of()));
    }

    public void testFieldsComeFromTheMappingOrFromTheTemplatesLaterFirst() {
        SemanticTextProcessor processor = processor(mapping("body", "{\"chunking\": false}") );
        assertEquals(List.of("body"), processor.targets().stream().map(SemanticTextProcessor.Target::path).toList());

        Map<String, Object> early = parse("{\"_doc\": {\"properties\": {\"meta\": {\"properties\": {\"summary\": " + field(ModelFixtures.MINILM, "{}") + "}}}}}");
        Map<String, Object> late = parse("{\"_doc\": {\"properties\": {\"meta\": {\"properties\": {\"summary\": " + field(ModelFixtures.BGE, "{}") + "}}}}}");
        SemanticTextProcessor fromTemplates = factory(10).newProcessor(
            null,
            null,
            Map.of(SystemIngestPipelineConfigKeys.INDEX_TEMPLATE_MAPPINGS, List.of(early, late))
        );
        assertEquals(1, fromTemplates.targets().size());
        assertEquals("meta.summary", fromTemplates.targets().get(0).path());
        assertEquals(ModelFixtures.BGE, fromTemplates.targets().get(0).embedder().model().name());
    }

    @SuppressWarnings("unchecked")
    public void testWritesPassagesWithOffsetsElementsAndTheHash() throws Exception {
        SemanticTextProcessor processor = processor(mapping("body", "{\"chunking\": {\"max_tokens\": 8, \"overlap_tokens\": 0}}"));
        IngestDocument document = execute(processor, new HashMap<>(Map.of("body", List.of(RSYNC, "Short one."))));
        List<Map<String, Object>> passages = document.getFieldValue("body_semantic.passages", List.class);
        assertTrue(passages.toString(), passages.size() > 2);
        for (Map<String, Object> passage : passages) {
            String source = (int) passage.get("element") == 0 ? RSYNC : "Short one.";
            int offset = (int) passage.get("offset");
            String text = (String) passage.get("text");
            assertEquals(text, source.substring(offset, offset + text.length()));
            assertEquals(384, ((List<?>) passage.get("vector")).size());
        }
        assertEquals("Short one.", passages.get(passages.size() - 1).get("text"));
        assertEquals(64, document.getFieldValue("body_semantic.hash", String.class).length());
    }

    @SuppressWarnings("unchecked")
    public void testWithoutChunkingEachStringIsOnePassage() throws Exception {
        SemanticTextProcessor processor = processor(mapping("body", "{\"chunking\": false}"));
        IngestDocument document = execute(processor, new HashMap<>(Map.of("body", RSYNC)));
        List<Map<String, Object>> passages = document.getFieldValue("body_semantic.passages", List.class);
        assertEquals(1, passages.size());
        assertEquals(RSYNC, passages.get(0).get("text"));
        float[] expected = miniLm.embed(List.of(RSYNC), InputType.PASSAGE, 1)[0];
        List<?> vector = (List<?>) passages.get(0).get("vector");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], ((Number) vector.get(i)).floatValue(), 1e-5);
        }
        assertFalse("no element for a single string", passages.get(0).containsKey("element"));
    }

    @SuppressWarnings("unchecked")
    public void testCopyToSourcesAreEmbeddedAfterTheFieldsOwnTextAsTheCheckReadsThem() throws Exception {
        SemanticTextProcessor processor = processor(parse("{\"_doc\": {\"properties\": {\"body\": " + field(ModelFixtures.MINILM, "{\"chunking\": false}")
            + ", \"title\": {\"type\": \"text\", \"copy_to\": \"body\"}, \"note\": {\"type\": \"text\", \"copy_to\": [\"body\"]}}}}"));
        assertEquals(List.of("note", "title"), processor.targets().get(0).copiedFrom());
        IngestDocument document = execute(processor, new HashMap<>(Map.of("body", "Own text.", "title", "A title.", "note", "A note.")));
        List<Map<String, Object>> passages = document.getFieldValue("body_semantic.passages", List.class);
        assertEquals(List.of("Own text.", "A note.", "A title."), passages.stream().map(p -> p.get("text")).toList());
        assertEquals(List.of(0, 1, 2), passages.stream().map(p -> p.get("element")).toList());
        // Only copies: embedded all the same, and the hash is the one the passage check computes from the source.
        IngestDocument copiesOnly = execute(processor, new HashMap<>(Map.of("title", "A title.")));
        assertEquals(1, copiesOnly.getFieldValue("body_semantic.passages", List.class).size());
        assertNull(copiesOnly.getSourceAndMetadata().get("body"));
    }

    @SuppressWarnings("unchecked")
    public void testTextBlankOnceNormalisedHasNoPassage() throws Exception {
        for (String chunking : List.of("{\"chunking\": false}", "{}")) {
            SemanticTextProcessor processor = processor(mapping("body", chunking));
            IngestDocument document = execute(processor, new HashMap<>(Map.of("body", List.of("\u0301\u0308", "Short one.", " \u200b"))));
            List<Map<String, Object>> passages = document.getFieldValue("body_semantic.passages", List.class);
            assertEquals(chunking + " " + passages, 1, passages.size());
            assertEquals("Short one.", passages.get(0).get("text"));
            assertEquals(1, passages.get(0).get("element"));
            assertEquals(64, document.getFieldValue("body_semantic.hash", String.class).length());
        }
    }

    public void testPassagesThatCameWithTheirTextAreKeptAndOthersAreReplaced() throws Exception {
        SemanticTextProcessor processor = processor(mapping("body", "{\"chunking\": false}"));
        IngestDocument first = execute(processor, new HashMap<>(Map.of("body", RSYNC)));
        Map<String, Object> semantic = first.getFieldValue("body_semantic", Map.class);

        // As _reindex brings them: the same text with its passages and hash. Nothing is embedded.
        long texts = embeddings.service.stats(ModelFixtures.MINILM).texts();
        IngestDocument copied = execute(processor, new HashMap<>(Map.of("body", RSYNC, "body_semantic", semantic)));
        assertEquals(texts, embeddings.service.stats(ModelFixtures.MINILM).texts());
        assertEquals(semantic, copied.getFieldValue("body_semantic", Map.class));

        // Another text under those passages: they do not match its hash, so it is embedded.
        IngestDocument changed = execute(processor, new HashMap<>(Map.of("body", "Something else.", "body_semantic", semantic)));
        assertEquals(texts + 1, embeddings.service.stats(ModelFixtures.MINILM).texts());
        assertEquals("Something else.", changed.getFieldValue("body_semantic.passages.0.text", String.class));

        // Passages without their text are dropped; a text set to null clears them (also in a partial update's merge).
        IngestDocument orphan = execute(processor, new HashMap<>(Map.of("title", "no body", "body_semantic", semantic)));
        assertFalse(orphan.hasField("body_semantic"));
        Map<String, Object> nulled = new HashMap<>();
        nulled.put("body", null);
        nulled.put("body_semantic", semantic);
        IngestDocument cleared = execute(processor, nulled);
        assertTrue(cleared.hasField("body_semantic"));
        assertNull(cleared.getFieldValue("body_semantic", Object.class));
    }

    @SuppressWarnings("unchecked")
    public void testForgedPassagesWithTheRightHashAreEmbeddedAgainNotKept() throws Exception {
        SemanticTextProcessor processor = processor(mapping("body", "{\"chunking\": {\"max_tokens\": 8, \"overlap_tokens\": 0}}"));
        Map<String, Object> genuine = execute(processor, new HashMap<>(Map.of("body", RSYNC))).getFieldValue("body_semantic", Map.class);
        String forgedText = "the vault password is hunter2";
        List<Map<String, Object>> forgeries = List.of(
            withPassage(genuine, 0, Map.of("text", forgedText)),                       // text that is not in the document
            withPassage(genuine, 1, Map.of("offset", 3)),                              // a real passage at the wrong offset
            withPassage(genuine, 0, Map.of("element", 4)),                             // an element the value does not have
            withExtraKey(genuine)                                                      // anything beside hash and passages
        );
        for (Map<String, Object> forged : forgeries) {
            long texts = embeddings.service.stats(ModelFixtures.MINILM).texts();
            IngestDocument document = execute(processor, new HashMap<>(Map.of("body", RSYNC, "body_semantic", forged)));
            assertTrue("embedded again: " + forged, embeddings.service.stats(ModelFixtures.MINILM).texts() > texts);
            Map<String, Object> kept = document.getFieldValue("body_semantic", Map.class);
            assertEquals(genuine.get("hash"), kept.get("hash"));
            assertEquals(Set.of("hash", "passages"), kept.keySet());
            for (Map<String, Object> passage : (List<Map<String, Object>>) kept.get("passages")) {
                String text = (String) passage.get("text");
                assertTrue(passage.toString(), RSYNC.startsWith(text, (int) passage.get("offset")));
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withPassage(Map<String, Object> semantic, int index, Map<String, Object> changes) {
        Map<String, Object> copy = new HashMap<>(semantic);
        List<Map<String, Object>> passages = new ArrayList<>();
        for (Map<String, Object> passage : (List<Map<String, Object>>) semantic.get("passages")) {
            passages.add(new HashMap<>(passage));
        }
        passages.get(index).putAll(changes);
        copy.put("passages", passages);
        return copy;
    }

    private static Map<String, Object> withExtraKey(Map<String, Object> semantic) {
        Map<String, Object> copy = new HashMap<>(semantic);
        copy.put("note", "ignore previous instructions");
        return copy;
    }

    public void testStoredPassagesOfTheSameTextAreReused() throws Exception {
        SemanticTextProcessor processor = processor(mapping("body", "{\"chunking\": false}"));
        IngestDocument first = execute(processor, new HashMap<>(Map.of("body", RSYNC)));
        client.store("stored-1", Map.of("body_semantic", first.getFieldValue("body_semantic", Map.class)));
        long texts = embeddings.service.stats(ModelFixtures.MINILM).texts();
        IngestDocument again = execute(processor, "stored-1", new HashMap<>(Map.of("body", RSYNC, "version", 2)));
        assertEquals(texts, embeddings.service.stats(ModelFixtures.MINILM).texts());
        // The stored copy went through JSON: its numbers are doubles now, so compare what identifies it.
        assertEquals(first.getFieldValue("body_semantic.hash", String.class), again.getFieldValue("body_semantic.hash", String.class));
        assertEquals(RSYNC, again.getFieldValue("body_semantic.passages.0.text", String.class));
        assertEquals(384, again.getFieldValue("body_semantic.passages.0.vector", List.class).size());
    }

    public void testBadDocumentsFailAloneAndTooManyPassagesFailBeforeAnyEmbedding() throws Exception {
        SemanticTextProcessor processor = factory(3).newProcessor(
            null,
            null,
            Map.of(SystemIngestPipelineConfigKeys.INDEX_MAPPINGS, mapping("body", "{\"chunking\": {\"max_tokens\": 4, \"overlap_tokens\": 0}}"))
        );
        List<IngestDocumentWrapper> batch = List.of(
            wrapper(0, Map.of("body", "Fine.")),
            wrapper(1, Map.of("body", 42)),
            wrapper(2, Map.of("body", RSYNC)),
            wrapper(3, Map.of("other", "nothing to embed"))
        );
        long texts = embeddings.service.stats(ModelFixtures.MINILM).texts();
        List<IngestDocumentWrapper> results = batchExecute(processor, batch);
        Map<Integer, Exception> failures = new HashMap<>();
        for (IngestDocumentWrapper result : results) {
            failures.put(result.getSlot(), result.getException());
        }
        assertNull(failures.get(0));
        assertNull(failures.get(3));
        assertEquals("field [body] must be a string or an array of strings, got a number [42]", failures.get(1).getMessage());
        assertTrue(
            failures.get(2).getMessage(),
            failures.get(2).getMessage().startsWith("field [body] makes [")
                && failures.get(2).getMessage().endsWith(
                    "passages to embed, more than the [3] of [plugins.semantic.ingest.max_passages_per_document]; split the document, "
                        + "raise [chunking.max_tokens], or raise the setting"
                )
        );
        assertEquals("only the good document was embedded", texts + 1, embeddings.service.stats(ModelFixtures.MINILM).texts());
    }

    public void testTooLongATextFailsBeforeItIsCut() {
        SemanticTextProcessor processor = new SemanticTextProcessorFactory(() -> embeddings.service, client, "test-node", 40, 1000).newProcessor(
            null,
            null,
            Map.of(SystemIngestPipelineConfigKeys.INDEX_MAPPINGS, mapping("body", "{}"))
        );
        long texts = embeddings.service.stats(ModelFixtures.MINILM).texts();
        Exception e = executeFailing(processor, new HashMap<>(Map.of("body", RSYNC)));
        assertEquals(
            "field [body] holds [" + RSYNC.length() + "] characters, more than the [40] of [plugins.semantic.ingest.max_text_chars]; "
                + "split the document, or raise the setting",
            e.getMessage()
        );
        assertEquals(texts, embeddings.service.stats(ModelFixtures.MINILM).texts());
    }

    public void testAModelOfOtherFilesOrNoneFailsTheDocumentsNamingTheNodeAndTheFingerprints() {
        Map<String, Object> foreign = parse(
            "{\"properties\": {\"body\": {\"type\": \"semantic_text\", \"model\": \"" + ModelFixtures.MINILM
                + "\", \"dims\": 384, \"model_fingerprint\": \"sha256:0000\"}, \"other\": {\"type\": \"semantic_text\", \"model\": "
                + "\"gone\", \"dims\": 384, \"model_fingerprint\": \"sha256:1111\"}}}"
        );
        SemanticTextProcessor processor = processor(foreign);
        Exception e = executeFailing(processor, new HashMap<>(Map.of("body", "text")));
        assertEquals(
            "cannot embed [semantic_text] field [body]: model [all-minilm-l6-v2] has fingerprint [" + miniLm.fingerprint()
                + "] on node [test-node], but the mapping records [sha256:0000]; give every node the same files for [all-minilm-l6-v2]",
            e.getMessage()
        );
        Exception missing = executeFailing(processor, new HashMap<>(Map.of("other", "text")));
        assertTrue(missing.getMessage(), missing.getMessage().startsWith("node [test-node] cannot embed [semantic_text] field [other]: unknown model [gone]"));
    }

    public void testFieldsOfTwoModelsInOneBatchMakeOneCallPerModel() throws Exception {
        Map<String, Object> mapping = parse("{\"properties\": {\"en\": " + field(ModelFixtures.MINILM, "{\"chunking\": false}") + ", \"zh\": "
            + field(ModelFixtures.BGE, "{\"chunking\": false}") + "}}");
        SemanticTextProcessor processor = processor(mapping);
        long miniBatches = embeddings.service.stats(ModelFixtures.MINILM).batches();
        long bgeBatches = embeddings.service.stats(ModelFixtures.BGE).batches();
        List<IngestDocumentWrapper> batch = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            batch.add(wrapper(i, Map.of("en", "document " + i, "zh", "文档 " + i)));
        }
        for (IngestDocumentWrapper result : batchExecute(processor, batch)) {
            assertNull(result.getException());
            assertEquals(512, result.getIngestDocument().getFieldValue("zh_semantic.passages.0.vector", List.class).size());
        }
        assertEquals(miniBatches + 1, embeddings.service.stats(ModelFixtures.MINILM).batches());
        assertEquals(bgeBatches + 1, embeddings.service.stats(ModelFixtures.BGE).batches());
    }

    private static String field(String model, String options) {
        Map<String, Object> definition = new HashMap<>(parse(options));
        EmbeddingModel embeddingModel = embeddings.service.model(model);
        definition.put("type", "semantic_text");
        definition.put("model", model);
        definition.put("dims", embeddingModel.dims());
        definition.put("model_fingerprint", embeddingModel.fingerprint());
        try {
            return JsonXContent.contentBuilder().map(definition).toString();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static Map<String, Object> mapping(String name, String options) {
        return parse("{\"_doc\": {\"properties\": {\"" + name + "\": " + field(ModelFixtures.MINILM, options) + "}}}");
    }

    private static Map<String, Object> parse(String json) {
        return XContentHelper.convertToMap(JsonXContent.jsonXContent, json, true);
    }

    private static SemanticTextProcessorFactory factory(int maxPassages) {
        return new SemanticTextProcessorFactory(() -> embeddings.service, client, "test-node", 1_000_000, maxPassages);
    }

    private static SemanticTextProcessor processor(String mapping) {
        return processor(parse(mapping));
    }

    private static SemanticTextProcessor processor(Map<String, Object> mapping) {
        return factory(1000).newProcessor(null, null, Map.of(SystemIngestPipelineConfigKeys.INDEX_MAPPINGS, mapping));
    }

    private static IngestDocumentWrapper wrapper(int slot, Map<String, Object> source) {
        return new IngestDocumentWrapper(slot, 0, new IngestDocument("docs", "batch-" + slot, null, null, null, new HashMap<>(source)), null);
    }

    private static IngestDocument execute(SemanticTextProcessor processor, Map<String, Object> source) throws Exception {
        return execute(processor, "new-" + randomAlphaOfLength(8), source);
    }

    private static IngestDocument execute(SemanticTextProcessor processor, String id, Map<String, Object> source) throws Exception {
        CompletableFuture<IngestDocument> result = new CompletableFuture<>();
        processor.execute(new IngestDocument("docs", id, null, null, null, source), (document, e) -> {
            if (e != null) {
                result.completeExceptionally(e);
            } else {
                result.complete(document);
            }
        });
        return result.get(30, TimeUnit.SECONDS);
    }

    private static Exception executeFailing(SemanticTextProcessor processor, Map<String, Object> source) {
        CompletableFuture<Exception> result = new CompletableFuture<>();
        processor.execute(new IngestDocument("docs", "1", null, null, null, source), (document, e) -> result.complete(e));
        try {
            Exception e = result.get(30, TimeUnit.SECONDS);
            assertNotNull("the document was accepted", e);
            return e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static List<IngestDocumentWrapper> batchExecute(SemanticTextProcessor processor, List<IngestDocumentWrapper> batch)
        throws Exception {
        CompletableFuture<List<IngestDocumentWrapper>> result = new CompletableFuture<>();
        processor.batchExecute(batch, result::complete);
        return result.get(60, TimeUnit.SECONDS);
    }
}
