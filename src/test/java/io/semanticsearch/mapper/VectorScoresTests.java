package io.semanticsearch.mapper;

import org.apache.lucene.index.IndexReader;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.opensearch.index.mapper.DocumentMapper;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.index.mapper.MapperService;
import org.opensearch.index.mapper.MapperServiceTestCase;
import org.opensearch.index.mapper.ParsedDocument;
import org.opensearch.plugins.MapperPlugin;
import org.opensearch.plugins.Plugin;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.hamcrest.Matchers.containsString;

/**
 * No stored vector and no query vector can make a {@code semantic_vector} score lie: random vectors of every kind
 * (ordinary, subnormal, tiny, huge, zero, non-finite, mixed) are indexed and searched for each similarity, and each
 * is either refused (a 400 to the user) or every score it takes part in is finite and within its similarity's range.
 */
public class VectorScoresTests extends MapperServiceTestCase {

    private static final int DIMS = 8;

    @Override
    protected Collection<? extends Plugin> getPlugins() {
        return List.of(new VectorMapperPlugin());
    }

    private static final class VectorMapperPlugin extends Plugin implements MapperPlugin {
        @Override
        public Map<String, Mapper.TypeParser> getMappers() {
            return Map.of(SemanticVectorFieldMapper.CONTENT_TYPE, SemanticVectorFieldMapper.typeParser(() -> null));
        }
    }

    public void testNoAcceptedVectorScoresOutsideItsSimilaritysRange() throws IOException {
        for (VectorSimilarity similarity : VectorSimilarity.values()) {
            MapperService mapperService = createMapperService(
                fieldMapping(b -> b.field("type", "semantic_vector").field("dims", DIMS).field("similarity", similarity.mappingName()))
            );
            DocumentMapper mapper = mapperService.documentMapper();
            SemanticVectorFieldType fieldType = (SemanticVectorFieldType) mapperService.fieldType("field");
            Random random = new Random(random().nextLong());
            List<ParsedDocument> accepted = new ArrayList<>();
            int refused = 0;
            for (int i = 0; i < 80; i++) {
                float[] vector = vector(random, similarity);
                try {
                    accepted.add(mapper.parse(source(b -> b.array("field", vector))));
                } catch (MapperParsingException e) {
                    refused++;
                    assertThat(e.getCause().getMessage(), containsString("field [field]"));
                }
            }
            assertTrue(similarity + ": the generator makes vectors of each kind", refused > 0 && accepted.size() > 10);
            List<float[]> queries = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                float[] query = vector(random, similarity);
                try {
                    fieldType.checkVector(query);
                    queries.add(query);
                } catch (IllegalArgumentException e) {
                    assertThat(e.getMessage(), containsString("field [field]"));
                }
            }
            assertFalse(similarity + ": some queries are accepted", queries.isEmpty());
            withLuceneIndex(mapperService, writer -> {
                for (ParsedDocument doc : accepted) {
                    writer.addDocuments(doc.docs());
                }
            }, reader -> assertScores(similarity, fieldType, reader, queries, accepted.size()));
        }
    }

    private static void assertScores(
        VectorSimilarity similarity,
        SemanticVectorFieldType fieldType,
        IndexReader reader,
        List<float[]> queries,
        int docs
    ) throws IOException {
        IndexSearcher searcher = new IndexSearcher(reader);
        for (float[] query : queries) {
            for (Query lucene : List.of(fieldType.exactQuery(query, null, null), fieldType.knnQuery(query, docs, docs, null, null, null))) {
                TopDocs top = searcher.search(lucene, docs);
                for (ScoreDoc hit : top.scoreDocs) {
                    String what = similarity + " query " + Arrays.toString(query) + " scored " + hit.score;
                    assertTrue(what, Float.isFinite(hit.score));
                    assertTrue(what, hit.score >= 0);
                    if (similarity == VectorSimilarity.COSINE || similarity == VectorSimilarity.DOT_PRODUCT) {
                        assertTrue(what, hit.score <= 1.0001f);
                    }
                }
            }
        }
    }

    /** A vector of a random kind; for {@code dot_product} most are unit vectors, which that similarity requires. */
    private static float[] vector(Random random, VectorSimilarity similarity) {
        float[] vector = new float[DIMS];
        int kind = random.nextInt(8);
        double scale = switch (kind) {
            case 0 -> 1;
            case 1 -> Float.MIN_VALUE * (1 + random.nextInt(1000)); // subnormal
            case 2 -> Math.pow(10, -12 - random.nextInt(30)); // tiny: squares underflow or lose precision in floats
            case 3 -> Math.pow(10, 13 + random.nextInt(26)); // huge: dot products overflow in floats
            case 4 -> 0;
            default -> Math.pow(10, -3 + random.nextInt(7)); // ordinary lengths
        };
        for (int i = 0; i < DIMS; i++) {
            vector[i] = (float) (random.nextGaussian() * scale);
            if (kind == 5 && random.nextInt(4) == 0) {
                // mixed: a few components of another magnitude, or not numbers at all
                vector[i] = switch (random.nextInt(4)) {
                    case 0 -> Float.NaN;
                    case 1 -> random.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
                    case 2 -> Float.MIN_VALUE;
                    default -> (float) (random.nextGaussian() * 1e30);
                };
            }
        }
        if (similarity == VectorSimilarity.DOT_PRODUCT && kind >= 6) {
            double norm = 0;
            for (float v : vector) {
                norm += (double) v * v;
            }
            for (int i = 0; i < DIMS && norm > 0; i++) {
                vector[i] = (float) (vector[i] / Math.sqrt(norm));
            }
        }
        return vector;
    }

    public void testTheVectorThatUsedToScoreInfinityIsRefusedForCosine() throws IOException {
        MapperService mapperService = createMapperService(fieldMapping(b -> b.field("type", "semantic_vector").field("dims", DIMS)));
        SemanticVectorFieldType fieldType = (SemanticVectorFieldType) mapperService.fieldType("field");
        float[] tiny = new float[DIMS];
        Arrays.fill(tiny, 1e-25f); // not zero, but its squares underflow to zero in floats
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> fieldType.checkVector(tiny));
        assertThat(e.getMessage(), containsString("too short for [cosine]"));
        MapperParsingException parse = expectThrows(
            MapperParsingException.class,
            () -> mapperService.documentMapper().parse(source(b -> b.array("field", tiny)))
        );
        assertThat(parse.getCause().getMessage(), containsString("[" + VectorSimilarity.MIN_COSINE_LENGTH + "]"));
        Arrays.fill(tiny, 1e-9f);
        fieldType.checkVector(tiny);
    }
}
