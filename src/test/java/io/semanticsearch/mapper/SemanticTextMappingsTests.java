package io.semanticsearch.mapper;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.ModelFixtures;
import io.semanticsearch.embed.ModelRegistry;

import org.apache.lucene.tests.util.LuceneTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.action.ActionListener;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/** The mapping transformer of {@code semantic_text}, with the real all-MiniLM-L6-v2 model as the node's only model. */
@LuceneTestCase.SuppressFileSystems("ExtrasFS") // an extra folder in the model root would be listed as a failed model
public class SemanticTextMappingsTests extends OpenSearchTestCase {

    private static ModelRegistry registry;

    @BeforeClass
    public static void loadModel() throws IOException {
        registry = ModelFixtures.registry(createTempDir(), ModelFixtures.MINILM);
    }

    @AfterClass
    public static void closeModel() {
        registry.close();
        registry = null;
    }

    public void testRecordsTheModelIdentityAndAddsThePassagesObject() {
        Map<String, Object> mapping = transform("{\"properties\": {\"body\": {\"type\": \"semantic_text\", \"analyzer\": \"english\"}}}");
        Map<String, Object> body = field(mapping, "body");
        EmbeddingModel model = registry.get(ModelFixtures.MINILM);
        assertEquals(ModelFixtures.MINILM, body.get("model"));
        assertEquals(384, body.get("dims"));
        assertEquals(model.fingerprint(), body.get("model_fingerprint"));
        assertTrue(model.fingerprint(), model.fingerprint().matches("sha256:[0-9a-f]{32}"));
        assertEquals(Map.of("max_tokens", 200, "overlap_tokens", 40), body.get("chunking"));
        assertEquals("english", body.get("analyzer"));

        Map<String, Object> semantic = field(mapping, "body_semantic");
        assertEquals("strict", semantic.get("dynamic"));
        Map<String, Object> passages = child(semantic, "passages");
        assertEquals("nested", passages.get("type"));
        Map<String, Object> vector = child(passages, "vector");
        assertEquals("semantic_vector", vector.get("type"));
        assertEquals(ModelFixtures.MINILM, vector.get("model"));
        assertEquals(384, vector.get("dims"));
        assertEquals("read back as recorded, never resolved again", model.fingerprint(), vector.get("model_fingerprint"));
        assertFalse("the index options of the field apply only when given", vector.containsKey("index_options"));
        assertEquals(Map.of("type", "keyword", "index", false, "doc_values", false), child(semantic, "hash"));
    }

    public void testUserSemanticVectorFieldsGetTheirModelIdentityRecorded() {
        Map<String, Object> mapping = transform("""
            {"properties": {
              "named": {"type": "semantic_vector", "model": "all-minilm-l6-v2"},
              "defaulted": {"type": "semantic_vector"},
              "passages": {"type": "nested", "properties": {"vector": {"type": "semantic_vector", "dims": 384}}},
              "other_dims": {"type": "semantic_vector", "dims": 3},
              "elsewhere": {"type": "semantic_vector", "model": "not-here", "dims": 384}}}""");
        String fingerprint = registry.get(ModelFixtures.MINILM).fingerprint();
        for (Map<String, Object> field : List.of(field(mapping, "named"), field(mapping, "defaulted"), child(field(mapping, "passages"), "vector"))) {
            assertEquals(field.toString(), ModelFixtures.MINILM, field.get("model"));
            assertEquals(field.toString(), 384, field.get("dims"));
            assertEquals(field.toString(), fingerprint, field.get("model_fingerprint"));
        }
        assertEquals("vectors of no model stay so", Map.of("type", "semantic_vector", "dims", 3), field(mapping, "other_dims"));
        assertFalse("a model this node lacks is left to the parser", field(mapping, "elsewhere").containsKey("model_fingerprint"));
    }

    public void testFieldsInObjectsAndTheStoredFormAndOptionsThatCarryOver() {
        Map<String, Object> mapping = transform("""
            {"_doc": {"properties": {"meta": {"properties": {
              "summary": {"type": "semantic_text", "chunking": false, "index_options": {"type": "int8_hnsw"}},
              "body_semantic": {"type": "text"}}}}}}""");
        Map<String, Object> meta = field((Map<String, Object>) mapping.get("_doc"), "meta");
        Map<String, Object> summary = child(meta, "summary");
        assertEquals(false, summary.get("chunking"));
        Map<String, Object> vector = child(child(child(meta, "summary_semantic"), "passages"), "vector");
        assertEquals(Map.of("type", "int8_hnsw"), vector.get("index_options"));
        assertEquals("a field of another name is left alone", Map.of("type", "text"), child(meta, "body_semantic"));
    }

    public void testARecordedIdentityIsKeptWithoutConsultingTheModels() {
        String recorded = "{\"properties\": {\"body\": {\"type\": \"semantic_text\", \"model\": \"elsewhere\", \"dims\": 768, "
            + "\"model_fingerprint\": \"sha256:0123\"}}}";
        Map<String, Object> mapping = parse(recorded);
        new SemanticTextMappings(() -> null).transform(mapping, null, ActionListener.wrap(r -> {}, e -> { throw new AssertionError(e); }));
        Map<String, Object> body = field(mapping, "body");
        assertEquals("elsewhere", body.get("model"));
        assertEquals("sha256:0123", body.get("model_fingerprint"));
        assertEquals(768, child(child(field(mapping, "body_semantic"), "passages"), "vector").get("dims"));
    }

    public void testRefusalsNameTheFieldAndTheParameter() {
        assertRefused("{\"type\": \"semantic_text\", \"model\": \"gpt\"}", "[semantic_text] field [body] [model]: unknown model [gpt]; loaded models are [all-minilm-l6-v2]");
        assertRefused(
            "{\"type\": \"semantic_text\", \"chunking\": {\"max_tokens\": 255}}",
            "[semantic_text] field [body] [chunking.max_tokens] must be at most [254] for model [all-minilm-l6-v2], got [255]"
        );
        assertRefused("{\"type\": \"semantic_text\", \"chunking\": {\"max_tokens\": 0}}", "[chunking.max_tokens] must be at least 1, got [0]");
        assertRefused("{\"type\": \"semantic_text\", \"chunking\": {\"max_tokens\": \"x\"}}", "[chunking.max_tokens] must be an integer, got [x]");
        assertRefused(
            "{\"type\": \"semantic_text\", \"dims\": 512}",
            "[semantic_text] field [body] has [dims] [512] but [model] [all-minilm-l6-v2] makes vectors of [384] dims; leave [dims] out"
        );
        assertRefused(
            "{\"type\": \"text\", \"fields\": {\"meaning\": {\"type\": \"semantic_text\"}}}",
            "[semantic_text] field [body.meaning] cannot be a multi-field; map it as a field of its own"
        );
        assertRefused(
            "{\"type\": \"nested\", \"properties\": {\"inner\": {\"type\": \"semantic_text\"}}}",
            "[semantic_text] field [body.inner] cannot be inside the [nested] field [body]; map it in the document or in a plain object"
        );
    }

    public void testWhatCannotReachTheEmbeddingPipelineIsRefused() {
        assertMappingRefused(
            "{\"properties\": {\"x\": {\"type\": \"semantic_text\"}, \"x_semantic\": {\"type\": \"keyword\"}}}",
            "[semantic_text] field [x] keeps its passages in [x_semantic], which the mapping also defines as a field of its own; rename one of them"
        );
        // copy_to into a semantic_text field is embedded: the pipeline and the passage check read the same sources.
        String copying = "{\"properties\": {\"body\": {\"type\": \"semantic_text\"}, \"title\": {\"type\": \"text\", \"copy_to\": \"body\"}, "
            + "\"meta\": {\"properties\": {\"note\": {\"type\": \"text\", \"copy_to\": [\"body\", \"all\"]}}}, \"all\": {\"type\": \"text\"}}}";
        transform(copying);
        assertEquals(
            Map.of("body", List.of("meta.note", "title"), "all", List.of("meta.note")),
            CopyToSources.of(parse(copying))
        );
        assertMappingRefused(
            "{\"dynamic_templates\": [{\"strings\": {\"match_mapping_type\": \"string\", \"mapping\": {\"type\": \"semantic_text\"}}}]}",
            "dynamic template [strings] maps fields to [semantic_text], which a dynamic mapping cannot embed (its first documents would be "
                + "refused); map each [semantic_text] field explicitly, in the mapping or in an index template"
        );
        // Our own object sent back (a mapping read and put again) is taken, and a copy_to into a text field is fine.
        Map<String, Object> expanded = transform(
            "{\"properties\": {\"body\": {\"type\": \"semantic_text\"}, \"note\": {\"type\": \"text\", \"copy_to\": \"all\"}, \"all\": {\"type\": \"text\"}}}"
        );
        transform(expanded); // asserts that it is accepted
        assertEquals(Set.of("hash", "passages"), ((Map<?, ?>) field(expanded, "body_semantic").get("properties")).keySet());
    }

    private static void assertMappingRefused(String json, String message) {
        assertRefusedWhenParsed(parse(json), message);
    }

    private static void assertRefused(String field, String message) {
        assertRefusedWhenParsed(parse("{\"properties\": {\"body\": " + field + "}}"), message);
    }

    /**
     * A refusal is left in the mapping for its parsing to report (a 400 like any invalid mapping), not failed in the
     * transformer, which OpenSearch would log as a node error; parsing it fails with the message.
     */
    @SuppressWarnings("unchecked")
    private static void assertRefusedWhenParsed(Map<String, Object> mapping, String message) {
        AtomicReference<Exception> failure = new AtomicReference<>();
        new SemanticTextMappings(() -> registry).transform(mapping, null, ActionListener.wrap(r -> {}, failure::set));
        assertNull(String.valueOf(failure.get()), failure.get());
        Object marker = mapping.get(PassageIntegrityMapper.NAME);
        assertTrue(mapping.toString(), marker instanceof Map<?, ?>);
        MapperParsingException e = expectThrows(
            MapperParsingException.class,
            () -> PassageIntegrityMapper.PARSER.parse(PassageIntegrityMapper.NAME, new java.util.HashMap<>((Map<String, Object>) marker), null)
        );
        assertEquals(message, e.getMessage());
    }

    private static Map<String, Object> transform(String json) {
        return transform(parse(json));
    }

    private static Map<String, Object> transform(Map<String, Object> mapping) {
        AtomicReference<Exception> failure = new AtomicReference<>();
        new SemanticTextMappings(() -> registry).transform(mapping, null, ActionListener.wrap(r -> {}, failure::set));
        assertNull(failure.get());
        return mapping;
    }

    private static Map<String, Object> parse(String json) {
        return XContentHelper.convertToMap(JsonXContent.jsonXContent, json, true);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> field(Map<String, Object> mapping, String name) {
        return (Map<String, Object>) ((Map<String, Object>) mapping.get("properties")).get(name);
    }

    private static Map<String, Object> child(Map<String, Object> object, String name) {
        return field(object, name);
    }
}
