package io.semanticsearch.mapper;

import io.semanticsearch.embed.ModelFixtures;
import io.semanticsearch.embed.ModelRegistry;

import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.FieldExistsQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.join.QueryBitSetProducer;
import org.apache.lucene.tests.util.LuceneTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.index.mapper.DocumentMapper;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.index.mapper.MapperService;
import org.opensearch.index.mapper.MapperTestCase;
import org.opensearch.index.mapper.ParseContext;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.index.query.QueryShardException;
import org.opensearch.plugins.MapperPlugin;
import org.opensearch.plugins.Plugin;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.instanceOf;

/**
 * Mapping, validation and indexing of {@code semantic_vector}, through the test framework's mapper checks. The
 * tests load no model unless they set {@link #registry}, which holds the real all-MiniLM-L6-v2 model.
 */
// ExtrasFS adds random "extra0" entries to new folders, which a registry rightly takes for broken model folders.
@LuceneTestCase.SuppressFileSystems("ExtrasFS")
public class SemanticVectorFieldMapperTests extends MapperTestCase {

    private static ModelRegistry minilm;
    private ModelRegistry registry;
    private Settings indexSettings = Settings.EMPTY;

    @BeforeClass
    public static void loadModel() throws IOException {
        minilm = ModelFixtures.registry(createTempDir(), ModelFixtures.MINILM);
    }

    @AfterClass
    public static void closeModel() {
        if (minilm != null) {
            minilm.close();
            minilm = null;
        }
    }

    @Override
    protected Collection<? extends Plugin> getPlugins() {
        return List.of(new TestMapperPlugin());
    }

    /** Our type parser, reading {@link #registry} when a mapping is parsed. */
    private final class TestMapperPlugin extends Plugin implements MapperPlugin {
        @Override
        public Map<String, Mapper.TypeParser> getMappers() {
            return Map.of(SemanticVectorFieldMapper.CONTENT_TYPE, SemanticVectorFieldMapper.typeParser(() -> registry));
        }
    }

    @Override
    protected Settings getIndexSettings() {
        return Settings.builder().put(super.getIndexSettings()).put(indexSettings).build();
    }

    @Override
    protected void minimalMapping(XContentBuilder b) throws IOException {
        b.field("type", "semantic_vector").field("dims", 4);
    }

    @Override
    protected void metaMapping(XContentBuilder b) throws IOException {
        // What the mapping reads back as: similarity and index_options are always written out.
        minimalMapping(b);
        b.field("similarity", "cosine");
        b.startObject("index_options").field("type", "hnsw").field("m", 16).field("ef_construction", 100).endObject();
    }

    @Override
    protected void writeFieldValue(XContentBuilder builder) throws IOException {
        builder.startArray().value(0.5f).value(0.5f).value(0.5f).value(0.5f).endArray();
    }

    @Override
    protected void registerParameters(ParameterChecker checker) throws IOException {
        checker.registerConflictCheck(
            "dims",
            fieldMapping(this::minimalMapping),
            fieldMapping(b -> b.field("type", "semantic_vector").field("dims", 8))
        );
        checker.registerConflictCheck("similarity", b -> b.field("similarity", "l2_norm"));
        checker.registerConflictCheck("index_options", b -> b.startObject("index_options").field("type", "int8_hnsw").endObject());
        checker.registerConflictCheck("index_options", b -> b.startObject("index_options").field("m", 32).endObject());
    }

    @Override
    protected void assertExistsQuery(MappedFieldType fieldType, Query query, ParseContext.Document fields) {
        assertThat(query, instanceOf(FieldExistsQuery.class));
        assertEquals("field", ((FieldExistsQuery) query).getField());
        assertNotNull(fields.getField("field"));
    }

    public void testIndexesOneKnnFloatVectorField() throws IOException {
        DocumentMapper mapper = createDocumentMapper(fieldMapping(b -> {
            minimalMapping(b);
            b.field("similarity", "l2_norm");
        }));
        ParseContext.Document doc = mapper.parse(source(b -> b.array("field", new float[] { 1f, -2f, 3.5f, 0f }))).rootDoc();
        IndexableField[] fields = doc.getFields("field");
        assertEquals(1, fields.length);
        KnnFloatVectorField field = (KnnFloatVectorField) fields[0];
        assertArrayEquals(new float[] { 1f, -2f, 3.5f, 0f }, field.vectorValue(), 0f);
        assertEquals(VectorSimilarityFunction.EUCLIDEAN, field.fieldType().vectorSimilarityFunction());
        assertEquals(4, field.fieldType().vectorDimension());
    }

    public void testNullAddsNothing() throws IOException {
        DocumentMapper mapper = createDocumentMapper(fieldMapping(this::minimalMapping));
        assertEquals(0, mapper.parse(source(b -> b.nullField("field"))).rootDoc().getFields("field").length);
    }

    public void testBadVectorsAreRejectedNamingFieldAndProblem() throws IOException {
        DocumentMapper mapper = createDocumentMapper(fieldMapping(this::minimalMapping));
        assertDocumentRejected(mapper, "[1, 2, 3]", "field [field] takes vectors of [4] dims, got a vector of [3]");
        assertDocumentRejected(mapper, "[1, 2, 3, 4, 5]", "field [field] takes vectors of [4] dims, got a vector of [5]");
        assertDocumentRejected(mapper, "[1, \"two\", 3, 4]", "field [field] takes numbers, got [two] at position [1]");
        assertDocumentRejected(mapper, "[1, null, 3, 4]", "field [field] takes numbers, got [null] at position [1]");
        assertDocumentRejected(mapper, "[1, 2, 1e39, 4]", "field [field] takes numbers that fit a float, got [1e39] at position [2]");
        assertDocumentRejected(mapper, "[0, 0, 0, 0]", "the vector for field [field] is a zero vector, which has no cosine similarity");
        assertDocumentRejected(mapper, "[[1, 2, 3, 4], [1, 2, 3, 4]]", "field [field] takes one vector per document, got an array of vectors");
        assertDocumentRejected(mapper, "\"1,2,3,4\"", "field [field] takes an array of [4] numbers, got [1,2,3,4]");
        assertDocumentRejected(mapper, "{\"x\": 1}", "field [field] takes an array of [4] numbers, got [an object]");
    }

    public void testSecondVectorInOneDocumentIsRejected() throws IOException {
        DocumentMapper mapper = createDocumentMapper(mapping(b -> {
            b.startObject("obj").startObject("properties").startObject("v");
            minimalMapping(b);
            b.endObject().endObject().endObject();
        }));
        MapperParsingException e = expectThrows(
            MapperParsingException.class,
            () -> mapper.parse(source("{\"obj\": [{\"v\": [1, 2, 3, 4]}, {\"v\": [4, 3, 2, 1]}]}"))
        );
        assertThat(e.getCause().getMessage(), containsString("field [obj.v] takes one vector per document, got a second one"));
    }

    public void testAMultiFieldOfTextIsRefused() {
        registry = null;
        MapperParsingException e = expectThrows(
            MapperParsingException.class,
            () -> createMapperService(
                fieldMapping(b -> b.field("type", "text").startObject("fields").startObject("vec").field("type", "semantic_vector").field("dims", 2).endObject().endObject())
            )
        );
        assertThat(e.getMessage(), containsString("[semantic_vector] field [vec] cannot be a multi-field"));
    }

    public void testIndexFalseIsRefusedRatherThanIgnored() throws IOException {
        registry = null;
        MapperParsingException e = expectThrows(
            MapperParsingException.class,
            () -> createMapperService(fieldMapping(b -> b.field("type", "semantic_vector").field("dims", 2).field("index", false)))
        );
        assertThat(e.getMessage(), containsString("[semantic_vector] does not support [index: false]"));
        createMapperService(fieldMapping(b -> b.field("type", "semantic_vector").field("dims", 2).field("index", true)));
    }

    public void testDocValuesAndStoreAreRefusedRatherThanDropped() {
        registry = null;
        for (String parameter : List.of("doc_values", "store")) {
            for (boolean value : new boolean[] { true, false }) {
                MapperParsingException e = expectThrows(
                    MapperParsingException.class,
                    () -> createMapperService(fieldMapping(b -> b.field("type", "semantic_vector").field("dims", 2).field(parameter, value)))
                );
                String messages = e.getMessage() + (e.getCause() == null ? "" : " / " + e.getCause().getMessage());
                assertThat(messages, containsString("[semantic_vector] does not support [" + parameter + "]"));
            }
        }
    }

    public void testNumbersTooLargeForAFloatAreNamedAsWritten() throws IOException {
        registry = null;
        DocumentMapper mapper = createDocumentMapper(fieldMapping(b -> b.field("type", "semantic_vector").field("dims", 2)));
        MapperParsingException e = expectThrows(
            MapperParsingException.class,
            () -> mapper.parse(source(b -> b.startArray("field").value(1e39).value(1).endArray()))
        );
        assertThat(e.getCause().getMessage(), containsString("field [field] takes numbers that fit a float, got [1.0E39] at position [0]"));
    }

    public void testVectorsTooLongForFloatsAreRefused() throws IOException {
        registry = null;
        MapperService mapperService = createMapperService(fieldMapping(b -> b.field("type", "semantic_vector").field("dims", 2)));
        SemanticVectorFieldType fieldType = (SemanticVectorFieldType) mapperService.fieldType("field");
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> fieldType.checkVector(new float[] { 3e38f, 1 }));
        assertThat(e.getMessage(), containsString("field [field] takes vectors of length at most [1.0E15]"));
        expectThrows(IllegalArgumentException.class, () -> fieldType.checkVector(new float[] { 1e15f, 1e15f }));
        fieldType.checkVector(new float[] { 1e14f, 1e14f });
    }

    public void testNanIsRefusedByTheFieldType() throws IOException {
        SemanticVectorFieldType fieldType = fieldType(fieldMapping(this::minimalMapping));
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> fieldType.checkVector(new float[] { 1, Float.NaN, 0, 0 }));
        assertEquals("field [field] takes finite numbers, got [NaN] at position [1]", e.getMessage());
    }

    public void testDotProductNeedsUnitVectors() throws IOException {
        DocumentMapper mapper = createDocumentMapper(fieldMapping(b -> {
            minimalMapping(b);
            b.field("similarity", "dot_product");
        }));
        mapper.parse(source(b -> b.array("field", new float[] { 0.5f, 0.5f, 0.5f, 0.5f })));
        assertDocumentRejected(mapper, "[1, 1, 1, 1]", "has length [2.0], but [dot_product] needs unit-length vectors");
    }

    public void testL2AndInnerProductTakeAnyVector() throws IOException {
        for (String similarity : List.of("l2_norm", "max_inner_product")) {
            DocumentMapper mapper = createDocumentMapper(fieldMapping(b -> {
                minimalMapping(b);
                b.field("similarity", similarity);
            }));
            assertEquals(1, mapper.parse(source(b -> b.array("field", new float[] { 0f, 0f, 0f, 0f }))).rootDoc().getFields("field").length);
            assertEquals(1, mapper.parse(source(b -> b.array("field", new float[] { 9f, -7f, 3f, 100f }))).rootDoc().getFields("field").length);
        }
    }

    public void testMappingErrorsNameTheParameter() {
        assertMappingRejected(b -> b.field("type", "semantic_vector"), "needs [dims]: no embedding model is loaded");
        assertMappingRejected(b -> b.field("type", "semantic_vector").field("dims", 0), "[dims] must be between 1 and 4096, got [0]");
        assertMappingRejected(b -> b.field("type", "semantic_vector").field("dims", 4097), "[dims] must be between 1 and 4096, got [4097]");
        assertMappingRejected(b -> b.field("type", "semantic_vector").field("dims", "many"), "[dims] must be an integer, got [many]");
        assertMappingRejected(b -> {
            minimalMapping(b);
            b.field("similarity", "hamming");
        }, "[similarity] must be one of [cosine, dot_product, l2_norm, max_inner_product], got [hamming]");
        assertMappingRejected(b -> {
            minimalMapping(b);
            b.startObject("index_options").field("type", "ivf").endObject();
        }, "[index_options.type] must be one of [hnsw, int8_hnsw, int4_hnsw, bbq_hnsw, flat], got [ivf]");
        assertMappingRejected(b -> {
            minimalMapping(b);
            b.startObject("index_options").field("m", 0).endObject();
        }, "[index_options.m] must be between 1 and 512, got [0]");
        assertMappingRejected(b -> {
            minimalMapping(b);
            b.startObject("index_options").field("m", 513).endObject();
        }, "[index_options.m] must be between 1 and 512, got [513]");
        assertMappingRejected(b -> {
            minimalMapping(b);
            b.startObject("index_options").field("ef_construction", 3201).endObject();
        }, "[index_options.ef_construction] must be between 1 and 3200, got [3201]");
        assertMappingRejected(b -> {
            minimalMapping(b);
            b.startObject("index_options").field("type", "flat").field("m", 8).endObject();
        }, "[index_options.m] does not apply to [flat]");
        assertMappingRejected(b -> {
            minimalMapping(b);
            b.startObject("index_options").field("ef_search", 8).endObject();
        }, "[index_options] does not support [ef_search]");
        assertMappingRejected(b -> {
            minimalMapping(b);
            b.field("index_options", "hnsw");
        }, "[index_options] must be an object, got [hnsw]");
        assertMappingRejected(b -> {
            minimalMapping(b);
            b.field("copy_to", "other");
        }, "does not support [copy_to]");
        assertMappingRejected(b -> {
            minimalMapping(b);
            b.startObject("fields").startObject("raw").field("type", "keyword").endObject().endObject();
        }, "does not support multi-fields [fields]");
        assertMappingRejected(b -> {
            minimalMapping(b);
            b.field("colour", "red");
        }, "unknown parameter [colour] on mapper [field] of type [semantic_vector]");
    }

    public void testRefusedInIndicesWhoseCodecBelongsToAnotherPlugin() throws IOException {
        for (String setting : List.of("index.knn", "index.sparse")) {
            indexSettings = Settings.builder().put(setting, true).build();
            assertMappingRejected(this::minimalMapping, "cannot be used in an index with [" + setting + ": true]");
        }
        indexSettings = Settings.builder().put("index.knn", false).build();
        assertNotNull(assertDoesNotThrow(this::minimalMapping));
    }

    public void testMappingShowsEveryParameter() throws IOException {
        MapperService mapperService = createMapperService(fieldMapping(b -> {
            minimalMapping(b);
            b.field("similarity", "max_inner_product");
            b.startObject("index_options").field("type", "bbq_hnsw").field("m", 32).endObject();
        }));
        String mapping = mapperService.documentMapper().mappingSource().string();
        assertThat(
            mapping,
            containsString(
                "\"field\":{\"type\":\"semantic_vector\",\"dims\":4,\"similarity\":\"max_inner_product\","
                    + "\"index_options\":{\"type\":\"bbq_hnsw\",\"m\":32,\"ef_construction\":100}}"
            )
        );
        SemanticVectorFieldType fieldType = (SemanticVectorFieldType) mapperService.fieldType("field");
        assertEquals(new VectorIndexOptions(VectorIndexType.BBQ_HNSW, 32, 100), fieldType.indexOptions());
        assertEquals(VectorSimilarity.MAX_INNER_PRODUCT, fieldType.similarity());
        assertNull(fieldType.modelName());
    }

    public void testModelAndDimsComeFromTheRegistry() throws IOException {
        registry = minilm;
        SemanticVectorFieldType byDefault = fieldType(fieldMapping(b -> b.field("type", "semantic_vector")));
        assertEquals(ModelFixtures.MINILM, byDefault.modelName());
        assertEquals(384, byDefault.dims());

        SemanticVectorFieldType named = fieldType(fieldMapping(b -> b.field("type", "semantic_vector").field("model", ModelFixtures.MINILM)));
        assertEquals(384, named.dims());

        SemanticVectorFieldType sameDims = fieldType(fieldMapping(b -> b.field("type", "semantic_vector").field("dims", 384)));
        assertEquals(ModelFixtures.MINILM, sameDims.modelName());

        // Vectors of another size come from elsewhere: the default model would embed query text wrongly.
        SemanticVectorFieldType otherDims = fieldType(fieldMapping(this::minimalMapping));
        assertNull(otherDims.modelName());
        assertEquals(4, otherDims.dims());

        // The resolved model is written into the mapping, so that a later default model does not change the field.
        MapperService mapperService = createMapperService(fieldMapping(b -> b.field("type", "semantic_vector")));
        assertThat(
            mapperService.documentMapper().mappingSource().string(),
            containsString("\"type\":\"semantic_vector\",\"dims\":384,\"model\":\"all-minilm-l6-v2\"")
        );
        merge(mapperService, fieldMapping(b -> b.field("type", "semantic_vector")));
    }

    public void testModelErrors() {
        registry = minilm;
        assertMappingRejected(
            b -> b.field("type", "semantic_vector").field("model", ModelFixtures.MINILM).field("dims", 512),
            "has [dims] [512] but [model] [all-minilm-l6-v2] makes vectors of [384] dims"
        );
        assertMappingRejected(
            b -> b.field("type", "semantic_vector").field("model", "no-such-model"),
            "has [model] [no-such-model]: unknown model [no-such-model]; loaded models are [all-minilm-l6-v2]"
        );
    }

    public void testUnloadedModelIsAcceptedWithDimsAndAWarning() throws IOException {
        registry = minilm;
        SemanticVectorFieldType fieldType = fieldType(
            fieldMapping(b -> b.field("type", "semantic_vector").field("model", "custom-model").field("dims", 768))
        );
        assertEquals("custom-model", fieldType.modelName());
        assertWarnings(
            "[semantic_vector] field [field] names [model] [custom-model], which is not loaded on this node; queries with text "
                + "on it will fail here: unknown model [custom-model]; loaded models are [all-minilm-l6-v2]"
        );
    }

    public void testARecordedIdentityIsTakenAsItIsWithoutTheRegistry() throws IOException {
        registry = minilm;
        // A loaded model of that name with other dims, and one not loaded at all: neither is consulted, nor warned about.
        SemanticVectorFieldType recorded = fieldType(
            fieldMapping(b -> b.field("type", "semantic_vector").field("model", "all-minilm-l6-v2").field("dims", 768).field("model_fingerprint", "sha256:1"))
        );
        assertEquals(768, recorded.dims());
        assertEquals("sha256:1", recorded.modelFingerprint());
        SemanticVectorFieldType elsewhere = fieldType(
            fieldMapping(b -> b.field("type", "semantic_vector").field("model", "custom-model").field("dims", 8).field("model_fingerprint", "sha256:2"))
        );
        assertEquals("custom-model", elsewhere.modelName());
        assertNull(fieldType(fieldMapping(b -> b.field("type", "semantic_vector"))).modelFingerprint());
    }

    public void testModelCannotChange() throws IOException {
        registry = minilm;
        MapperService mapperService = createMapperService(fieldMapping(b -> b.field("type", "semantic_vector")));
        IllegalArgumentException e = expectThrows(
            IllegalArgumentException.class,
            () -> merge(mapperService, fieldMapping(b -> b.field("type", "semantic_vector").field("dims", 384).field("model", "other")))
        );
        assertThat(e.getMessage(), containsString("Cannot update parameter [model] from [all-minilm-l6-v2] to [other]"));
        assertWarnings(
            "[semantic_vector] field [field] names [model] [other], which is not loaded on this node; queries with text "
                + "on it will fail here: unknown model [other]; loaded models are [all-minilm-l6-v2]"
        );
    }

    public void testFieldTypeRefusesTermQueriesAndAggregations() throws IOException {
        MapperService mapperService = createMapperService(fieldMapping(this::minimalMapping));
        SemanticVectorFieldType fieldType = (SemanticVectorFieldType) mapperService.fieldType("field");
        QueryShardContext context = createQueryShardContext(mapperService);
        QueryShardException e = expectThrows(QueryShardException.class, () -> fieldType.termQuery("x", context));
        assertThat(e.getMessage(), containsString("[semantic_vector] field [field] does not support term or match queries"));
        IllegalArgumentException range = expectThrows(
            IllegalArgumentException.class,
            () -> fieldType.rangeQuery(1, 2, true, true, null, null, null, null)
        );
        assertThat(range.getMessage(), containsString("does not support range queries"));
        IllegalArgumentException agg = expectThrows(IllegalArgumentException.class, () -> fieldType.fielddataBuilder("index", null));
        assertEquals("[semantic_vector] fields do not support sorting, scripting or aggregating", agg.getMessage());
    }

    public void testFieldTypeBuildsTheQueryOfItsIndexType() throws IOException {
        float[] vector = { 0.5f, 0.5f, 0.5f, 0.5f };
        SemanticVectorFieldType hnsw = fieldType(fieldMapping(this::minimalMapping));
        Query plain = hnsw.knnQuery(vector, 3, 20, null, null, null);
        assertThat(plain, instanceOf(SemanticKnnQuery.class));
        assertThat(plain.toString(), containsString("[k=3]"));

        SemanticVectorFieldType int4 = fieldType(fieldMapping(b -> {
            minimalMapping(b);
            b.startObject("index_options").field("type", "int4_hnsw").endObject();
        }));
        assertThat(int4.knnQuery(vector, 3, 20, null, 0.5f, null).toString(), containsString("[k=3, min_score=0.5, rescored]"));

        Query nested = hnsw.knnQuery(vector, 3, 20, null, null, new QueryBitSetProducer(new MatchAllDocsQuery()));
        assertThat(nested, instanceOf(NestedSemanticKnnQuery.class));

        assertThat(hnsw.exactQuery(vector, null, null), instanceOf(ExactVectorQuery.class));
        assertThat(hnsw.exactQuery(vector, new MatchAllDocsQuery(), null), instanceOf(BooleanQuery.class));
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> hnsw.knnQuery(new float[3], 3, 20, null, null, null));
        assertEquals("field [field] takes vectors of [4] dims, got a vector of [3]", e.getMessage());
    }

    private SemanticVectorFieldType fieldType(XContentBuilder mapping) throws IOException {
        return (SemanticVectorFieldType) createMapperService(mapping).fieldType("field");
    }

    private void assertDocumentRejected(DocumentMapper mapper, String value, String message) {
        MapperParsingException e = expectThrows(MapperParsingException.class, () -> mapper.parse(source("{\"field\": " + value + "}")));
        assertThat(e.getMessage(), containsString("failed to parse field [field] of type [semantic_vector]"));
        assertThat(e.getCause().getMessage(), containsString(message));
    }

    private void assertMappingRejected(CheckedFieldMapping mapping, String message) {
        MapperParsingException e = expectThrows(MapperParsingException.class, () -> createMapperService(fieldMapping(mapping::accept)));
        String messages = e.getMessage() + (e.getCause() == null ? "" : " / " + e.getCause().getMessage());
        assertThat(messages, containsString(message));
    }

    private MapperService assertDoesNotThrow(CheckedFieldMapping mapping) throws IOException {
        return createMapperService(fieldMapping(mapping::accept));
    }

    @FunctionalInterface
    private interface CheckedFieldMapping {
        void accept(XContentBuilder b) throws IOException;
    }
}
