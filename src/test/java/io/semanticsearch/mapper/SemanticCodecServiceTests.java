package io.semanticsearch.mapper;

import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.codecs.perfield.PerFieldKnnVectorsFormat;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.Explanation;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.opensearch.Version;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.xcontent.XContentFactory;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.XContentType;
import org.opensearch.core.common.bytes.BytesReference;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.index.IndexSettings;
import org.opensearch.index.codec.CodecService;
import org.opensearch.index.codec.CodecServiceConfig;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.index.mapper.MapperService;
import org.opensearch.index.mapper.MapperServiceTestCase;
import org.opensearch.index.mapper.ParseContext;
import org.opensearch.index.mapper.ParsedDocument;
import org.opensearch.plugins.MapperPlugin;
import org.opensearch.plugins.Plugin;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.instanceOf;

/**
 * Each index type writes its own stock Lucene format through the wrapped codec, segments record that format, and the
 * field type's queries find the right documents in them, with exact scores where the index is quantized.
 */
public class SemanticCodecServiceTests extends MapperServiceTestCase {

    private static final int DOCS = 400;

    @Override
    protected Collection<? extends Plugin> getPlugins() {
        return List.of(new TestMapperPlugin());
    }

    /** The type parser without models: these mappings give their dims. */
    public static final class TestMapperPlugin extends Plugin implements MapperPlugin {
        @Override
        public Map<String, Mapper.TypeParser> getMappers() {
            return Map.of(SemanticVectorFieldMapper.CONTENT_TYPE, SemanticVectorFieldMapper.typeParser(() -> null));
        }
    }

    public void testEveryIndexTypeWritesItsFormatAndFindsTheNearest() throws IOException {
        for (VectorIndexType type : VectorIndexType.values()) {
            for (VectorSimilarity similarity : VectorSimilarity.values()) {
                checkIndexType(type, similarity);
            }
        }
    }

    private void checkIndexType(VectorIndexType type, VectorSimilarity similarity) throws IOException {
        String context = type + "/" + similarity;
        int dims = 16;
        MapperService mapperService = createMapperService(vectorMapping(dims, type, similarity));
        SemanticVectorFieldType fieldType = (SemanticVectorFieldType) mapperService.fieldType("v");
        Codec codec = codecService(mapperService).codec(randomFrom("default", "best_compression", "lz4"));
        assertEquals("Lucene104", codec.getName());
        KnnVectorsFormat format = ((PerFieldKnnVectorsFormat) codec.knnVectorsFormat()).getKnnVectorsFormatForField("v");
        assertSame(context, fieldType.indexOptions().format(), format);
        assertThat(context, format, instanceOf(type.quantized() ? Lucene104HnswScalarQuantizedVectorsFormat.class : Lucene99HnswVectorsFormat.class));

        List<float[]> vectors = new ArrayList<>();
        try (Directory dir = newDirectory()) {
            try (IndexWriter writer = new IndexWriter(dir, new IndexWriterConfig().setCodec(codec))) {
                for (int i = 0; i < DOCS; i++) {
                    float[] vector = randomVector(dims, similarity);
                    vectors.add(vector);
                    writer.addDocument(parse(mapperService, vector).rootDoc());
                }
                writer.forceMerge(1);
            }
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                FieldInfo info = reader.leaves().get(0).reader().getFieldInfos().fieldInfo("v");
                assertEquals(context, format.getName(), info.getAttribute(PerFieldKnnVectorsFormat.PER_FIELD_FORMAT_KEY));
                IndexSearcher searcher = new IndexSearcher(reader);
                float[] target = randomVector(dims, similarity);

                TopDocs exact = searcher.search(fieldType.exactQuery(target, null, null), 10);
                float[] expected = bruteForce(vectors, target, similarity);
                assertEquals(context, expected[0], exact.scoreDocs[0].score, 1e-6);
                assertEquals(context, expected[9], exact.scoreDocs[9].score, 1e-6);
                assertEquals(context, DOCS, searcher.count(fieldType.exactQuery(target, null, null)));

                TopDocs knn = searcher.search(fieldType.knnQuery(target, 10, 100, null, null, null), 100);
                assertEquals(context, 10, knn.scoreDocs.length);
                for (ScoreDoc hit : knn.scoreDocs) {
                    // plain and rescored hits carry the exact similarity of the raw vectors
                    float raw = similarity.function().compare(target, vectors.get(hit.doc));
                    assertEquals(context, raw, hit.score, 1e-5);
                }
                if (type.quantized() == false || type == VectorIndexType.INT8_HNSW) {
                    assertEquals(context, exact.scoreDocs[0].doc, knn.scoreDocs[0].doc);
                }

                float minScore = expected[4];
                assertEquals(context, 5, searcher.count(fieldType.exactQuery(target, null, minScore)));
                assertTrue(context, searcher.search(fieldType.knnQuery(target, 10, 100, null, minScore, null), 10).scoreDocs.length <= 5);
            }
        }
    }

    public void testExplainOfTheExactQuery() throws IOException {
        MapperService mapperService = createMapperService(vectorMapping(2, VectorIndexType.FLAT, VectorSimilarity.L2_NORM));
        SemanticVectorFieldType fieldType = (SemanticVectorFieldType) mapperService.fieldType("v");
        try (Directory dir = newDirectory()) {
            try (IndexWriter writer = new IndexWriter(dir, new IndexWriterConfig().setCodec(codecService(mapperService).codec("default")))) {
                writer.addDocument(parse(mapperService, new float[] { 1, 1 }).rootDoc());
                writer.addDocument(parse(mapperService, new float[] { 4, 5 }).rootDoc());
            }
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                IndexSearcher searcher = new IndexSearcher(reader);
                Explanation near = searcher.explain(fieldType.exactQuery(new float[] { 1, 2 }, null, 0.4f), 0);
                assertTrue(near.isMatch());
                assertEquals(0.5f, near.getValue().floatValue(), 1e-6);
                Explanation far = searcher.explain(fieldType.exactQuery(new float[] { 1, 2 }, null, 0.4f), 1);
                assertFalse(far.isMatch());
                assertThat(far.getDescription(), containsString("is under [min_score] [0.4]"));
            }
        }
    }

    public void testMoreDimsThanLuceneDefaultsAllow() throws IOException {
        int dims = 2048;
        MapperService mapperService = createMapperService(vectorMapping(dims, VectorIndexType.HNSW, VectorSimilarity.COSINE));
        Codec codec = codecService(mapperService).codec("default");
        assertEquals(SemanticVectorFieldMapper.MAX_DIMS, codec.knnVectorsFormat().getMaxDimensions("v"));
        assertEquals(1024, codec.knnVectorsFormat().getMaxDimensions("unmapped"));
        try (Directory dir = newDirectory(); IndexWriter writer = new IndexWriter(dir, new IndexWriterConfig().setCodec(codec))) {
            writer.addDocument(parse(mapperService, randomVector(dims, VectorSimilarity.COSINE)).rootDoc());
            writer.commit();
        }
    }

    public void testOtherVectorFieldsKeepTheDelegatesFormat() throws IOException {
        MapperService mapperService = createMapperService(vectorMapping(4, VectorIndexType.INT8_HNSW, VectorSimilarity.COSINE));
        Codec codec = codecService(mapperService).codec("default");
        KnnVectorsFormat other = ((PerFieldKnnVectorsFormat) codec.knnVectorsFormat()).getKnnVectorsFormatForField("other");
        assertEquals("Lucene99HnswVectorsFormat", other.getName());
        try (Directory dir = newDirectory()) {
            try (IndexWriter writer = new IndexWriter(dir, new IndexWriterConfig().setCodec(codec))) {
                ParseContext.Document doc = parse(mapperService, new float[] { 1, 0, 0, 0 }).rootDoc();
                doc.add(new KnnFloatVectorField("other", new float[] { 1, 2 }));
                writer.addDocument(doc);
            }
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                LeafReaderContext leaf = reader.leaves().get(0);
                assertEquals("Lucene99HnswVectorsFormat", leaf.reader().getFieldInfos().fieldInfo("other").getAttribute(PerFieldKnnVectorsFormat.PER_FIELD_FORMAT_KEY));
                assertEquals("Lucene104HnswBinaryQuantizedVectorsFormat", leaf.reader().getFieldInfos().fieldInfo("v").getAttribute(PerFieldKnnVectorsFormat.PER_FIELD_FORMAT_KEY));
            }
        }
    }

    public void testDerivedSourceWritesBackTheIndexedVectors() throws IOException {
        for (VectorIndexType type : VectorIndexType.values()) {
            MapperService mapperService = createMapperService(vectorMapping(8, type, VectorSimilarity.COSINE));
            SemanticVectorFieldMapper mapper = (SemanticVectorFieldMapper) mapperService.documentMapper().mappers().getMapper("v");
            mapper.canDeriveSource(); // supported: throws otherwise
            List<float[]> vectors = new ArrayList<>();
            try (Directory dir = newDirectory()) {
                try (IndexWriter writer = new IndexWriter(dir, new IndexWriterConfig().setCodec(codecService(mapperService).codec("default")))) {
                    for (int i = 0; i < 60; i++) {
                        // every third document without a vector
                        float[] vector = i % 3 == 2 ? null : randomVector(8, VectorSimilarity.COSINE);
                        int other = i;
                        vectors.add(vector);
                        writer.addDocument(
                            vector == null ? mapperService.documentMapper().parse(source(b -> b.field("other", other))).rootDoc() : parse(mapperService, vector).rootDoc()
                        );
                    }
                    writer.forceMerge(1);
                }
                try (DirectoryReader reader = DirectoryReader.open(dir)) {
                    LeafReader leaf = reader.leaves().get(0).reader();
                    for (int doc = 0; doc < vectors.size(); doc++) {
                        XContentBuilder builder = XContentFactory.jsonBuilder().startObject();
                        mapper.deriveSource(builder, leaf, doc);
                        Map<String, Object> derived = XContentHelper.convertToMap(BytesReference.bytes(builder.endObject()), false, XContentType.JSON).v2();
                        if (vectors.get(doc) == null) {
                            assertEquals(type + " doc " + doc, Map.of(), derived);
                        } else {
                            List<?> values = (List<?>) derived.get("v");
                            float[] back = new float[values.size()];
                            for (int i = 0; i < back.length; i++) {
                                back[i] = ((Number) values.get(i)).floatValue();
                            }
                            assertArrayEquals(type + " doc " + doc, vectors.get(doc), back, 0f);
                        }
                    }
                }
            }
        }
    }

    public void testOnlyIndicesWithoutAnotherPluginsCodecGetIt() {
        assertTrue(SemanticCodecService.appliesTo(indexSettings(Settings.EMPTY), List.of()));
        assertTrue(SemanticCodecService.appliesTo(indexSettings(Settings.builder().put("index.knn", false).build()), List.of()));
        assertFalse(SemanticCodecService.appliesTo(indexSettings(Settings.builder().put("index.knn", true).build()), List.of()));
        assertFalse(SemanticCodecService.appliesTo(indexSettings(Settings.builder().put("index.sparse", true).build()), List.of()));
        // Another plugin's index, named by the node's plugins.semantic.codec.yield_to, or an index that opts out.
        Settings theirs = Settings.builder().put("index.other_codec.enabled", true).build();
        assertFalse(SemanticCodecService.appliesTo(indexSettings(theirs), List.of("index.other_codec.enabled")));
        assertTrue(SemanticCodecService.appliesTo(indexSettings(theirs), List.of()));
        assertFalse(SemanticCodecService.appliesTo(indexSettings(Settings.builder().put("index.semantic.codec", false).build()), List.of()));
    }

    public void testWithoutMappingsTheCodecIsNotWrapped() {
        IndexSettings settings = indexSettings(Settings.EMPTY);
        CodecService plain = new CodecService(null, settings, logger, List.of());
        CodecService ours = new SemanticCodecService(new CodecServiceConfig(settings, null, logger, List.of()));
        assertSame(plain.codec("default").getClass(), ours.codec("default").getClass());
    }

    private static IndexSettings indexSettings(Settings settings) {
        Settings all = Settings.builder().put(IndexMetadata.SETTING_VERSION_CREATED, Version.CURRENT).put(settings).build();
        return new IndexSettings(IndexMetadata.builder("index").settings(all).numberOfShards(1).numberOfReplicas(0).build(), Settings.EMPTY);
    }

    private CodecService codecService(MapperService mapperService) {
        return new SemanticCodecService(new CodecServiceConfig(mapperService.getIndexSettings(), mapperService, logger, List.of()));
    }

    private XContentBuilder vectorMapping(int dims, VectorIndexType type, VectorSimilarity similarity) throws IOException {
        return mapping(b -> {
            b.startObject("v").field("type", "semantic_vector").field("dims", dims).field("similarity", similarity.mappingName());
            b.startObject("index_options").field("type", type.mappingName()).endObject();
            b.endObject();
        });
    }

    private ParsedDocument parse(MapperService mapperService, float[] vector) throws IOException {
        return mapperService.documentMapper().parse(source(b -> b.array("v", vector)));
    }

    private static float[] bruteForce(List<float[]> vectors, float[] target, VectorSimilarity similarity) {
        float[] scores = new float[vectors.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = similarity.function().compare(target, vectors.get(i));
        }
        Arrays.sort(scores);
        for (int i = 0; i < scores.length / 2; i++) {
            float t = scores[i];
            scores[i] = scores[scores.length - 1 - i];
            scores[scores.length - 1 - i] = t;
        }
        return scores;
    }

    private static float[] randomVector(int dims, VectorSimilarity similarity) {
        float[] vector = new float[dims];
        double norm = 0;
        for (int i = 0; i < dims; i++) {
            vector[i] = randomFloat() * 2 - 1;
            norm += vector[i] * vector[i];
        }
        if (similarity == VectorSimilarity.DOT_PRODUCT || similarity == VectorSimilarity.COSINE) {
            for (int i = 0; i < dims; i++) {
                vector[i] /= (float) Math.sqrt(norm);
            }
        }
        return vector;
    }
}
