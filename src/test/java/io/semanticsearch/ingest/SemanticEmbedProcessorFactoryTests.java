package io.semanticsearch.ingest;

import io.semanticsearch.embed.InputType;

import org.apache.lucene.tests.util.LuceneTestCase.SuppressFileSystems;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.OpenSearchParseException;
import org.opensearch.test.OpenSearchTestCase;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@SuppressFileSystems("ExtrasFS") // an extra folder in the model root would be listed as a failed model
public class SemanticEmbedProcessorFactoryTests extends OpenSearchTestCase {

    private static TestEmbeddings embeddings;
    private static SemanticEmbedProcessorFactory factory;

    @BeforeClass
    public static void loadModels() throws Exception {
        embeddings = new TestEmbeddings(createTempDir(), "factory-tests");
        factory = new SemanticEmbedProcessorFactory(() -> embeddings.service, null, null, 1_000_000, 1000);
    }

    @AfterClass
    public static void closeModels() {
        embeddings.close();
        embeddings = null;
        factory = null;
    }

    public void testFullConfiguration() {
        Map<String, Object> config = config();
        config.put("model", "bge-small-zh-v1.5");
        config.put("input_type", "query");
        config.put("chunking", new HashMap<>(Map.of("max_tokens", 200, "overlap_tokens", 40)));
        config.put("skip_existing", true);
        config.put("ignore_missing", true);
        config.put("batch_size", 8);
        SemanticEmbedProcessor processor = factory.create(Map.of(), "tag", "embeds", config);
        assertTrue("every key is consumed: " + config, config.isEmpty());
        assertEquals(SemanticEmbedProcessor.TYPE, processor.getType());
        assertEquals("tag", processor.getTag());
        assertEquals("embeds", processor.getDescription());
        assertEquals(List.of("body", "title"), List.copyOf(processor.fieldMap().keySet()));
        assertEquals("body_vec", processor.fieldMap().get("body"));
        assertEquals("bge-small-zh-v1.5", processor.embedder().model().name());
        assertEquals(InputType.QUERY, processor.embedder().inputType());
        assertEquals(200, processor.embedder().chunker().maxTokens());
        assertEquals(40, processor.embedder().chunker().overlapTokens());
        assertTrue(processor.skipExisting());
        assertTrue(processor.ignoreMissing());
        assertEquals(8, processor.batchSize());
    }

    public void testDefaults() {
        SemanticEmbedProcessor processor = factory.create(Map.of(), null, null, config());
        assertEquals("all-minilm-l6-v2", processor.embedder().model().name());
        assertEquals(InputType.PASSAGE, processor.embedder().inputType());
        assertNull(processor.embedder().chunker());
        assertFalse(processor.skipExisting());
        assertFalse(processor.ignoreMissing());
        assertEquals(SemanticEmbedProcessor.DEFAULT_BATCH_SIZE, processor.batchSize());
    }

    public void testChunkingDefaultsToTheModelsWholeWindow() {
        Map<String, Object> config = config();
        config.put("chunking", new HashMap<>());
        SemanticEmbedProcessor processor = factory.create(Map.of(), null, null, config);
        assertEquals(254, processor.embedder().chunker().maxTokens());
        assertEquals(0, processor.embedder().chunker().overlapTokens());
    }

    public void testUnknownKeysAreLeftForOpenSearchToRefuse() {
        Map<String, Object> config = config();
        config.put("colour", "red");
        factory.create(Map.of(), null, null, config);
        assertEquals(Map.of("colour", "red"), config);
    }

    public void testFieldMap() {
        assertInvalid(Map.of(), "[field_map] required property is missing");
        assertInvalid(Map.of("field_map", "body"), "[field_map] property isn't a map, but of type [java.lang.String]");
        assertInvalid(Map.of("field_map", Map.of()), "[field_map] must map at least one source field to a target field, got [{}]");
        assertInvalid(Map.of("field_map", Map.of("body", 3)), "[field_map] the target of [body] must be a field name, got [3]");
        assertInvalid(Map.of("field_map", Map.of("body", "")), "[field_map] the target of [body] must be a field name, got []");
        assertInvalid(Map.of("field_map", Map.of("", "vec")), "[field_map] source field names must not be empty, got []");
        assertInvalid(
            Map.of("field_map", orderedMap("body", "vec", "title", "vec")),
            "[field_map] [body] and [title] have the same target [vec]"
        );
        assertInvalid(Map.of("field_map", orderedMap("body", "title", "title", "title_vec")), "[field_map] [title] is both a source and a target");
        for (String target : List.of("_id", "_source", "_index", "_vec")) {
            assertInvalid(
                Map.of("field_map", Map.of("body", target)),
                "[field_map] the target of [body] must not be a metadata field or start with [_], got [" + target + "]"
            );
        }
        for (String target : List.of("a..b", ".a", "a.")) {
            assertInvalid(
                Map.of("field_map", Map.of("body", target)),
                "[field_map] the target of [body] must be a field path without empty parts, got [" + target + "]"
            );
        }
    }

    public void testModel() {
        assertInvalid(
            withFieldMap(Map.of("model", "nope")),
            "[model] unknown model [nope]; loaded models are [all-minilm-l6-v2, bge-small-zh-v1.5]"
        );
        assertInvalid(withFieldMap(Map.of("model", 3)), "[model] property isn't a string, but of type [java.lang.Integer]");
    }

    public void testInputType() {
        assertInvalid(withFieldMap(Map.of("input_type", "document")), "[input_type] must be one of [passage, query], got [document]");
    }

    public void testChunking() {
        assertInvalid(withFieldMap(Map.of("chunking", 200)), "[chunking] property isn't a map, but of type [java.lang.Integer]");
        assertInvalid(
            withFieldMap(Map.of("chunking", Map.of("max_tokens", 100, "size", 3, "overlap", 1))),
            "[chunking] does not support [overlap, size]; it takes [max_tokens, overlap_tokens]"
        );
        assertInvalid(withFieldMap(Map.of("chunking", Map.of("max_tokens", 0))), "[chunking.max_tokens] must be at least 1, got [0]");
        assertInvalid(
            withFieldMap(Map.of("chunking", Map.of("max_tokens", "many"))),
            "[chunking.max_tokens] must be an integer, got [many]"
        );
        assertInvalid(
            withFieldMap(Map.of("chunking", Map.of("max_tokens", 2.5))),
            "[chunking.max_tokens] must be an integer, got [2.5]"
        );
        assertInvalid(
            withFieldMap(Map.of("chunking", Map.of("max_tokens", 300))),
            "[chunking.max_tokens] must be at most [254] for model [all-minilm-l6-v2] "
                + "(its max_tokens [256] less [CLS], [SEP] and 0 tokens of prefix), got [300]"
        );
        assertInvalid(
            withFieldMap(Map.of("chunking", Map.of("max_tokens", 200, "overlap_tokens", 200))),
            "[chunking.overlap_tokens] must be at least 0 and less than [chunking.max_tokens] [200], got [200]"
        );
        assertInvalid(
            withFieldMap(Map.of("chunking", Map.of("max_tokens", 200, "overlap_tokens", -1))),
            "[chunking.overlap_tokens] must be at least 0 and less than [chunking.max_tokens] [200], got [-1]"
        );
    }

    public void testChunkingLeavesRoomForTheModelsPrefix() {
        // bge's query prefix is 20 tokens: 512 less [CLS], [SEP] and those.
        int prefixTokens = embeddings.service.model("bge-small-zh-v1.5").tokenizer().tokenCount("为这个句子生成表示以用于检索相关文章：");
        int limit = 510 - prefixTokens;
        Map<String, Object> config = withFieldMap(Map.of("model", "bge-small-zh-v1.5", "input_type", "query"));
        config.put("chunking", new HashMap<>(Map.of("max_tokens", limit + 1)));
        assertInvalid(
            config,
            "[chunking.max_tokens] must be at most ["
                + limit
                + "] for model [bge-small-zh-v1.5] (its max_tokens [512] less [CLS], [SEP] and "
                + prefixTokens
                + " tokens of prefix), got ["
                + (limit + 1)
                + "]"
        );
        config = withFieldMap(Map.of("model", "bge-small-zh-v1.5", "input_type", "query"));
        config.put("chunking", new HashMap<>(Map.of("max_tokens", limit)));
        assertEquals(limit, factory.create(Map.of(), null, null, config).embedder().chunker().maxTokens());
    }

    public void testFlagsAndBatchSize() {
        assertInvalid(withFieldMap(Map.of("skip_existing", "yes")), "[skip_existing] property isn't a boolean, but of type [java.lang.String]");
        assertInvalid(withFieldMap(Map.of("ignore_missing", 1)), "[ignore_missing] property isn't a boolean, but of type [java.lang.Integer]");
        assertInvalid(withFieldMap(Map.of("batch_size", 0)), "[batch_size] must be at least 1, got [0]");
        assertInvalid(withFieldMap(Map.of("batch_size", "lots")), "[batch_size] must be an integer, got [lots]");
        assertEquals(16, factory.create(Map.of(), null, null, withFieldMap(Map.of("batch_size", "16"))).batchSize());
    }

    private static Map<String, Object> config() {
        Map<String, Object> config = new HashMap<>();
        config.put("field_map", orderedMap("body", "body_vec", "title", "title_vec"));
        return config;
    }

    private static Map<String, Object> withFieldMap(Map<String, Object> rest) {
        Map<String, Object> config = new HashMap<>(rest);
        config.put("field_map", Map.of("body", "body_vec"));
        return config;
    }

    private static Map<String, Object> orderedMap(String k1, String v1, String k2, String v2) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put(k1, v1);
        map.put(k2, v2);
        return map;
    }

    private static void assertInvalid(Map<String, Object> config, String message) {
        Map<String, Object> mutable = new HashMap<>();
        config.forEach((k, v) -> mutable.put(k, v instanceof Map<?, ?> m ? new LinkedHashMap<>(m) : v));
        OpenSearchParseException e = expectThrows(OpenSearchParseException.class, () -> factory.create(Map.of(), "t", null, mutable));
        assertEquals(message, e.getMessage());
    }
}
