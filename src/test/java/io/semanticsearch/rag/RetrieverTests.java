package io.semanticsearch.rag;

import io.semanticsearch.ranking.Fusion;
import io.semanticsearch.ranking.LinearFusion;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.semanticsearch.SemanticSearchPlugin;
import io.semanticsearch.rag.Retriever.Doc;
import io.semanticsearch.rag.Retriever.Passage;

import org.opensearch.action.admin.indices.mapping.get.GetFieldMappingsResponse.FieldMappingMetadata;
import org.opensearch.action.search.SearchResponse;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.xcontent.XContentFactory;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.XContentType;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.common.bytes.BytesArray;
import org.opensearch.core.common.bytes.BytesReference;
import org.opensearch.core.xcontent.DeprecationHandler;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.search.SearchModule;
import org.opensearch.search.builder.SearchSourceBuilder;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The searches the retriever writes, how it reads their hits, and how it fuses two rankings. */
public class RetrieverTests extends OpenSearchTestCase {

    private static final NamedXContentRegistry REGISTRY = new NamedXContentRegistry(
        new SearchModule(Settings.EMPTY, List.of(new SemanticSearchPlugin(Settings.EMPTY))).getNamedXContents()
    );
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PassageField NESTED = new PassageField("passages.vector", "passages", "all-minilm-l6-v2");
    private static final PassageField VECTOR = new PassageField("body_vector", null, null);
    private static final PassageField SEMANTIC_TEXT = new PassageField("body_semantic.passages.vector", "body_semantic.passages", "all-minilm-l6-v2", "body", null);

    private static RagRequest request(String json) {
        Map<String, Object> body = XContentHelper.convertToMap(JsonXContent.jsonXContent, new BytesArray(json).streamInput(), false);
        return RagRequest.parse(body, REGISTRY);
    }

    /** The body as JSON, after checking that OpenSearch's own parser accepts it. */
    private static String json(Map<String, Object> body) throws IOException {
        BytesReference bytes = BytesReference.bytes(XContentFactory.jsonBuilder().map(body));
        try (
            XContentParser parser = XContentType.JSON.xContent()
                .createParser(REGISTRY, DeprecationHandler.THROW_UNSUPPORTED_OPERATION, bytes.streamInput())
        ) {
            SearchSourceBuilder.fromXContent(parser);
        }
        return bytes.utf8ToString();
    }

    private static void assertJson(String expected, String actual) throws IOException {
        assertEquals(actual, JSON.readTree(expected), JSON.readTree(actual));
    }

    public void testSemanticSearchOverNestedPassagesFiltersTheDocuments() throws IOException {
        RagRequest request = request("{\"question\": \"q\", \"field\": \"passages\", \"filter\": {\"term\": {\"lang\": \"en\"}}}");
        assertJson("""
            {"size": 5, "_source": false, "query": {"bool": {
              "must": [{"nested": {"path": "passages", "score_mode": "max",
                "query": {"semantic": {"field": "passages.vector", "query": "q", "k": 25, "num_candidates": 100}},
                "inner_hits": {"_source": ["passages.text", "passages.offset"], "size": 3}}}],
              "filter": [{"term": {"lang": {"value": "en", "boost": 1.0}}}]}}}""", json(Retriever.semanticSearch(request, NESTED, 5)));
    }

    public void testSemanticSearchOverAVectorFieldFiltersInsideTheKnnSearch() throws IOException {
        RagRequest request = request(
            "{\"question\": \"q\", \"field\": \"body_vector\", \"text_field\": \"body\", \"retrieval\": \"semantic\", \"k\": 60,"
                + " \"filter\": {\"term\": {\"lang\": \"en\"}}}"
        );
        assertJson("""
            {"size": 60, "_source": ["body"], "query": {"semantic": {"field": "body_vector", "query": "q", "k": 60,
              "num_candidates": 120, "filter": {"term": {"lang": {"value": "en", "boost": 1.0}}}}}}""",
            json(Retriever.rankedSearch(request, VECTOR))
        );
    }

    public void testHybridRetrievalIsTheSemanticQuerysHybridWithTheRequestsFusion() throws IOException {
        RagRequest request = request("{\"question\": \"q\", \"field\": \"body\", \"k\": 8, \"fusion\": \"rrf\", \"rank_constant\": 20}")
            .forField(SEMANTIC_TEXT);
        // The passages come as the hits' inner hits: no source needed.
        assertJson("""
            {"size": 8, "_source": false, "query": {"semantic": {"field": "body", "query": "q", "k": 8, "num_candidates": 100,
              "hybrid": {"fusion": "rrf", "rank_constant": 20}}}}""",
            json(Retriever.rankedSearch(request, SEMANTIC_TEXT))
        );
        RagRequest otherText = request("{\"question\": \"q\", \"field\": \"body_vector\", \"text_field\": \"title\"}");
        assertJson("""
            {"size": 5, "_source": ["title"], "query": {"semantic": {"field": "body_vector", "query": "q", "k": 5, "num_candidates": 100,
              "hybrid": {"text_field": "title", "fusion": "linear", "normalizer": "z_score", "semantic_weight": 0.5}}}}""",
            json(Retriever.rankedSearch(otherText, VECTOR))
        );
    }

    public void testWithoutAFilterTheNestedSearchAsksForKDocuments() throws IOException {
        RagRequest request = request("{\"question\": \"q\", \"field\": \"passages\"}");
        assertJson("""
            {"size": 5, "_source": false, "query": {"nested": {"path": "passages", "score_mode": "max",
                "query": {"semantic": {"field": "passages.vector", "query": "q", "k": 5, "num_candidates": 100}},
                "inner_hits": {"_source": ["passages.text", "passages.offset"], "size": 3}}}}""", json(Retriever.semanticSearch(request, NESTED, 5)));
    }

    public void testLexicalSearchOnADocumentField() throws IOException {
        RagRequest request = request("{\"question\": \"q\", \"field\": \"passages\", \"text_field\": \"title\"}");
        assertJson("""
            {"size": 10, "_source": ["title"], "query": {"match": {"title": {"query": "q"}}}}""",
            json(Retriever.lexicalSearch(request, NESTED, 10))
        );
    }

    public void testLexicalSearchOnThePassageTextIsNested() throws IOException {
        RagRequest request = request(
            "{\"question\": \"q\", \"field\": \"passages\", \"text_field\": \"passages.text\", \"filter\": {\"term\": {\"lang\": \"en\"}}}"
        );
        assertJson("""
            {"size": 10, "_source": false, "query": {"bool": {
              "must": [{"nested": {"path": "passages", "score_mode": "max",
                "query": {"match": {"passages.text": {"query": "q"}}},
                "inner_hits": {"_source": ["passages.text", "passages.offset"], "size": 3}}}],
              "filter": [{"term": {"lang": {"value": "en", "boost": 1.0}}}]}}}""", json(Retriever.lexicalSearch(request, NESTED, 10)));
    }

    public void testHybridWindowBringsMoreThanK() {
        assertEquals(10, Retriever.window(1));
        assertEquals(10, Retriever.window(5));
        assertEquals(40, Retriever.window(20));
    }

    public void testDocsTakeTheirPassagesFromInnerHitsOrTheTextField() throws IOException {
        String response = """
            {"took": 3, "timed_out": false, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
             "hits": {"total": {"value": 2, "relation": "eq"}, "max_score": 0.9, "hits": [
               {"_index": "docs", "_id": "1", "_score": 0.9, "_source": {"title": "Logs"},
                "inner_hits": {"passages": {"hits": {"total": {"value": 2, "relation": "eq"}, "max_score": 0.9, "hits": [
                  {"_index": "docs", "_id": "1", "_nested": {"field": "passages", "offset": 2}, "_score": 0.9,
                   "_source": {"text": "Logs rotate weekly.", "offset": 120}},
                  {"_index": "docs", "_id": "1", "_nested": {"field": "passages", "offset": 0}, "_score": 0.5,
                   "_source": {"text": "Logrotate is a tool.", "offset": 0}}]}}}},
               {"_index": "docs", "_id": "2", "_score": 0.4, "_source": {"title": ["Disk", "Space"]}}]}}""";
        SearchResponse parsed;
        try (
            XContentParser parser = XContentType.JSON.xContent()
                .createParser(REGISTRY, DeprecationHandler.THROW_UNSUPPORTED_OPERATION, new BytesArray(response).streamInput())
        ) {
            parsed = SearchResponse.fromXContent(parser);
        }
        List<Doc> docs = Retriever.docs(parsed, "passages", "title");
        assertEquals(2, docs.size());
        assertEquals(new Doc("docs", "1", 0.9f, List.of(new Passage("Logs rotate weekly.", 120), new Passage("Logrotate is a tool.", 0))), docs.get(0));
        // No inner hits: the document's text field stands in, its values joined.
        assertEquals(new Doc("docs", "2", 0.4f, List.of(new Passage("Disk\n\nSpace", null))), docs.get(1));
    }

    public void testFusionRanksByRrfAndPrefersSemanticPassages() {
        List<Doc> semantic = List.of(
            new Doc("i", "a", 0.9, List.of(new Passage("a passage", 0))),
            new Doc("i", "b", 0.8, List.of(new Passage("b passage", 0)))
        );
        List<Doc> lexical = List.of(
            new Doc("i", "c", 12, List.of(new Passage("c whole text", null))),
            new Doc("i", "b", 10, List.of(new Passage("b whole text", null)))
        );
        List<RetrievedPassage> passages = Retriever.fuse(semantic, lexical, Fusion.rrf(60), 2);
        // b is found by both and wins, with the semantic side's passage; a and c tie (each first in one list): the
        // lexical one goes first.
        assertEquals(List.of("b", "c"), passages.stream().map(RetrievedPassage::id).toList());
        assertEquals(List.of("b passage", "c whole text"), passages.stream().map(RetrievedPassage::text).toList());
        assertEquals(1.0 / 62 + 1.0 / 62, passages.get(0).score(), 1e-6);
        assertEquals(1.0 / 61, passages.get(1).score(), 1e-6);
        List<RetrievedPassage> all = Retriever.fuse(semantic, lexical, Fusion.rrf(60), 10);
        assertEquals(List.of("b", "c", "a"), all.stream().map(RetrievedPassage::id).toList());
        assertEquals("a passage", all.get(2).text());
        assertTrue("a tie is stepped down, not shared", all.get(2).score() < all.get(1).score());
    }

    public void testLinearFusionKeepsAClearLexicalWinnerFirst() {
        // BM25 finds c far ahead of b; the semantic side has a and b close together. RRF puts b (found by both) first;
        // min-max scores keep the clear winners of each side ahead of a document both found only weakly or narrowly.
        List<Doc> semantic = List.of(
            new Doc("i", "a", 0.81, List.of(new Passage("a passage", 0))),
            new Doc("i", "b", 0.78, List.of(new Passage("b passage", 0))),
            new Doc("i", "d", 0.40, List.of(new Passage("d passage", 0)))
        );
        List<Doc> lexical = List.of(
            new Doc("i", "c", 30, List.of(new Passage("c whole text", null))),
            new Doc("i", "b", 11, List.of(new Passage("b whole text", null))),
            new Doc("i", "e", 10, List.of(new Passage("e whole text", null)))
        );
        assertEquals(List.of("b", "c", "a"), Retriever.fuse(semantic, lexical, Fusion.rrf(60), 3).stream().map(RetrievedPassage::id).toList());
        List<RetrievedPassage> linear = Retriever.fuse(semantic, lexical, Fusion.linear(0.5, LinearFusion.Normalizer.MIN_MAX), 3);
        assertEquals(List.of("c", "a", "b"), linear.stream().map(RetrievedPassage::id).toList());
        // c: 0.5 * 1 (BM25's best) + 0 (not found by the semantic side), a the same the other way round (the tie goes
        // to BM25's, a one float lower); b: 0.5 * 1/20 + 0.5 * 38/41. All lifted by 0.001: the last (d, e) fuse to 0.
        assertEquals(0.501, linear.get(0).score(), 1e-6);
        assertEquals(Math.nextDown((float) linear.get(0).score()), linear.get(1).score(), 0);
        assertEquals(0.5 / 20 + 0.5 * 38 / 41 + 0.001, linear.get(2).score(), 1e-6);
        assertEquals("b passage", linear.get(2).text());
        // All weight on the semantic side: its order, down to the documents that fuse to 0 (BM25's, and the semantic
        // side's last, which min-max puts at 0), which keep the order they were first seen in.
        assertEquals(
            List.of("a", "b", "c", "e", "d"),
            Retriever.fuse(semantic, lexical, Fusion.linear(1.0, LinearFusion.Normalizer.MIN_MAX), 10).stream().map(RetrievedPassage::id).toList()
        );
    }

    private static FieldMappingMetadata mapping(String fullName, String leaf, String json) {
        return new FieldMappingMetadata(fullName, new BytesArray("{\"" + leaf + "\": " + json + "}"));
    }

    private static Map<String, FieldMappingMetadata> nestedMappings(String model) {
        Map<String, FieldMappingMetadata> fields = new LinkedHashMap<>();
        fields.put("passages.vector", mapping("passages.vector", "vector", "{\"type\": \"semantic_vector\", \"model\": \"" + model + "\"}"));
        fields.put("passages.text", mapping("passages.text", "text", "{\"type\": \"text\"}"));
        return fields;
    }

    public void testResolveANestedPassagesObject() {
        RagRequest request = request("{\"question\": \"q\", \"field\": \"passages\"}");
        Map<String, Map<String, FieldMappingMetadata>> mappings = Map.of("docs", nestedMappings("bge-small-zh-v1.5"), "other", Map.of());
        assertEquals(new PassageField("passages.vector", "passages", "bge-small-zh-v1.5"), PassageField.resolve(request, mappings));
    }

    public void testResolveAVectorField() {
        Map<String, FieldMappingMetadata> fields = new LinkedHashMap<>();
        fields.put("body_vector", mapping("body_vector", "body_vector", "{\"type\": \"semantic_vector\"}"));
        fields.put("body", mapping("body", "body", "{\"type\": \"text\"}"));
        RagRequest request = request("{\"question\": \"q\", \"field\": \"body_vector\", \"text_field\": \"body\"}");
        assertEquals(new PassageField("body_vector", null, null), PassageField.resolve(request, Map.of("docs", fields)));

        IllegalArgumentException e = expectThrows(
            IllegalArgumentException.class,
            () -> PassageField.resolve(request("{\"question\": \"q\", \"field\": \"body_vector\"}"), Map.of("docs", fields))
        );
        assertEquals(
            "[text_field] is required when [field] [body_vector] is a [semantic_vector] field: the passages are the text of that field",
            e.getMessage()
        );
    }

    public void testResolveRejectsWhatIsNotThere() {
        Map<String, FieldMappingMetadata> fields = Map.of("title", mapping("title", "title", "{\"type\": \"text\"}"));
        IllegalArgumentException e = expectThrows(
            IllegalArgumentException.class,
            () -> PassageField.resolve(request("{\"question\": \"q\", \"field\": \"title\"}"), Map.of("docs", fields))
        );
        assertEquals(
            "[field] [title] must be a [semantic_text] field, a [semantic_vector] field or a nested object with [title.text] and a [semantic_vector] [title.vector], "
                + "but no index of [docs] maps it so",
            e.getMessage()
        );
        e = expectThrows(
            IllegalArgumentException.class,
            () -> PassageField.resolve(
                request("{\"question\": \"q\", \"field\": \"passages\", \"text_field\": \"body\"}"),
                Map.of("docs", nestedMappings("m"))
            )
        );
        assertEquals("[text_field] [body] is not mapped in [docs]", e.getMessage());
    }

    public void testResolveRejectsIndicesThatDisagree() {
        Map<String, Map<String, FieldMappingMetadata>> mappings = new LinkedHashMap<>();
        mappings.put("docs-en", nestedMappings("all-minilm-l6-v2"));
        mappings.put("docs-zh", nestedMappings("bge-small-zh-v1.5"));
        IllegalArgumentException e = expectThrows(
            IllegalArgumentException.class,
            () -> PassageField.resolve(request("{\"question\": \"q\", \"field\": \"passages\"}"), mappings)
        );
        assertEquals(
            "[field] [passages] is a nested passages object with model [all-minilm-l6-v2] in [docs-en] but a nested passages object "
                + "with model [bge-small-zh-v1.5] in [docs-zh]; query indices that agree",
            e.getMessage()
        );
    }
}
