package io.semanticsearch.mapper;

import io.semanticsearch.embed.ModelFixtures;
import io.semanticsearch.embed.ModelRegistry;
import io.semanticsearch.mapper.SemanticTextFieldMapper.SemanticTextFieldType;

import org.apache.lucene.analysis.core.WhitespaceAnalyzer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.tests.util.LuceneTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.common.bytes.BytesArray;
import org.opensearch.core.xcontent.MediaTypeRegistry;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.index.IndexSettings;
import org.opensearch.index.analysis.AnalyzerScope;
import org.opensearch.index.analysis.IndexAnalyzers;
import org.opensearch.index.analysis.NamedAnalyzer;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.index.mapper.MapperService;
import org.opensearch.index.mapper.MapperServiceTestCase;
import org.opensearch.index.mapper.ParsedDocument;
import org.opensearch.plugins.MapperPlugin;
import org.opensearch.plugins.Plugin;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The {@code semantic_text} field once its mapping is expanded: what the field type knows, that its text is indexed
 * as {@code text} with its analyzer, what the mapping says back, that nothing of it may change, and that a mapping
 * without the recorded identity is refused.
 */
@LuceneTestCase.SuppressFileSystems("ExtrasFS")
public class SemanticTextFieldMapperTests extends MapperServiceTestCase {

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

    @Override
    protected Collection<? extends Plugin> getPlugins() {
        return List.of(new TestMapperPlugin());
    }

    private static final class TestMapperPlugin extends Plugin implements MapperPlugin {
        @Override
        public Map<String, Mapper.TypeParser> getMappers() {
            return Map.of(
                SemanticVectorFieldMapper.CONTENT_TYPE,
                SemanticVectorFieldMapper.typeParser(() -> registry),
                SemanticTextFieldMapper.CONTENT_TYPE,
                SemanticTextFieldMapper.PARSER
            );
        }
    }

    /** The standard analyzer as {@code default}, and {@code whitespace}, to tell the field's own analyzer apart. */
    @Override
    protected IndexAnalyzers createIndexAnalyzers(IndexSettings indexSettings) {
        return new IndexAnalyzers(
            Map.of(
                "default",
                new NamedAnalyzer("default", AnalyzerScope.INDEX, new StandardAnalyzer()),
                "whitespace",
                new NamedAnalyzer("whitespace", AnalyzerScope.INDEX, new WhitespaceAnalyzer())
            ),
            Map.of(),
            Map.of()
        );
    }

    public void testFieldTypeKnowsItsModelAndPassages() throws IOException {
        MapperService mapperService = expanded("{\"type\": \"semantic_text\", \"chunking\": {\"max_tokens\": 64, \"overlap_tokens\": 8}}");
        MappedFieldType fieldType = mapperService.fieldType("body");
        assertTrue(fieldType.getClass().getName(), fieldType instanceof SemanticTextFieldType);
        SemanticTextFieldType semantic = (SemanticTextFieldType) fieldType;
        assertEquals("semantic_text", semantic.typeName());
        assertEquals(ModelFixtures.MINILM, semantic.options().model());
        assertEquals(384, semantic.options().dims());
        assertEquals(registry.get(ModelFixtures.MINILM).fingerprint(), semantic.options().fingerprint());
        assertEquals(new TextChunking(true, 64, 8), semantic.options().chunking());
        assertEquals("body_semantic.passages", semantic.passagesPath());
        assertEquals("body_semantic.passages.vector", semantic.vectorField());
        assertTrue(semantic.getTextSearchInfo().isTokenized());
        assertTrue(mapperService.fieldType("body_semantic.passages.vector") instanceof SemanticVectorFieldType);
    }

    public void testTextIsIndexedWithTheFieldsAnalyzer() throws IOException {
        MapperService mapperService = expanded("{\"type\": \"semantic_text\", \"analyzer\": \"whitespace\"}");
        assertEquals("whitespace", mapperService.fieldType("body").getTextSearchInfo().getSearchAnalyzer().name());
        ParsedDocument doc = mapperService.documentMapper().parse(source(b -> b.array("body", "Rotating logs", "daily")));
        IndexableField[] fields = doc.rootDoc().getFields("body");
        assertEquals(2, fields.length);
        assertEquals("Rotating logs", fields[0].stringValue());
    }

    public void testMappingSaysBackWhatWasRecorded() throws IOException {
        MapperService mapperService = expanded("{\"type\": \"semantic_text\", \"search_analyzer\": \"whitespace\", \"index_options\": {\"type\": \"int8_hnsw\"}}");
        Map<String, Object> body = body(mapperService);
        assertEquals("semantic_text", body.get("type"));
        assertEquals(ModelFixtures.MINILM, body.get("model"));
        assertEquals(384, body.get("dims"));
        assertEquals(Map.of("max_tokens", 200, "overlap_tokens", 40), body.get("chunking"));
        assertEquals(Map.of("type", "int8_hnsw", "m", 16, "ef_construction", 100), body.get("index_options"));
        assertEquals("whitespace", body.get("search_analyzer"));
        // The same mapping parsed again gives the same field: nothing is resolved a second time.
        MapperService again = createMapperService("_doc", mapperService.documentMapper().mappingSource().string());
        assertEquals(body, body(again));
    }

    public void testNothingOfOursMayChange() throws IOException {
        MapperService mapperService = expanded("{\"type\": \"semantic_text\"}");
        Map<String, Object> body = body(mapperService);
        String changed = "{\"properties\": {\"body\": {\"type\": \"semantic_text\", \"model\": \"" + ModelFixtures.MINILM
            + "\", \"dims\": 384, \"model_fingerprint\": \"" + body.get("model_fingerprint") + "\", \"chunking\": {\"max_tokens\": 100}}}}";
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> merge("_doc", mapperService, changed));
        assertTrue(e.getMessage(), e.getMessage().contains("Cannot update parameter [chunking]"));
    }

    public void testUnknownParametersNameTheFieldsOwnType() {
        MapperParsingException e = expectThrows(MapperParsingException.class, () -> expanded("{\"type\": \"semantic_text\", \"colour\": \"red\"}"));
        assertTrue(e.getMessage(), e.getMessage().contains("unknown parameter [colour] on mapper [body] of type [semantic_text]"));
    }

    public void testAMappingWithoutTheRecordedIdentityIsRefused() {
        MapperParsingException e = expectThrows(
            MapperParsingException.class,
            () -> createMapperService("_doc", "{\"properties\": {\"body\": {\"type\": \"semantic_text\"}}}")
        );
        assertTrue(
            e.getMessage(),
            e.getMessage().contains(
                "[semantic_text] field [body] has no recorded [model], [dims] and [model_fingerprint]: they are filled in when the "
                    + "mapping is created through the index, mapping or template APIs"
            )
        );
    }

    /** A mapper service for {@code body} mapped as {@code field}, expanded as the create-index API would. */
    private MapperService expanded(String field) throws IOException {
        Map<String, Object> mapping = XContentHelper.convertToMap(JsonXContent.jsonXContent, "{\"properties\": {\"body\": " + field + "}}", true);
        new SemanticTextMappings(() -> registry).transform(mapping, null, ActionListener.wrap(r -> {}, e -> { throw new AssertionError(e); }));
        XContentBuilder json = JsonXContent.contentBuilder().map(Map.of("_doc", mapping));
        return createMapperService("_doc", json.toString());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> body(MapperService mapperService) {
        Map<String, Object> source = XContentHelper.convertToMap(
            new BytesArray(mapperService.documentMapper().mappingSource().string()),
            true,
            MediaTypeRegistry.JSON
        ).v2();
        return (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) source.get("_doc")).get("properties")).get("body");
    }
}
