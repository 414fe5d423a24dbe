package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * The {@code semantic_vector} field and the {@code semantic} query on a real node with three shards per index:
 * recall against exact search on 10,000 clustered 384-dim vectors for every index type, filters, every similarity,
 * {@code like}, query text embedded by the bundled model, composition with other queries, nested passages, and
 * the errors users get. The data is loaded once for the class; the tests only read it.
 */
public class SemanticQueryIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int DIMS = 384;
    private static final int DOCS = 10_000;
    private static final int GROUPS = 10;
    private static final int QUERIES = 50;
    private static final List<String> INDEX_TYPES = List.of("hnsw", "int8_hnsw", "int4_hnsw", "bbq_hnsw", "flat");

    private static LocalNode node;
    private static float[][] vectors;
    private static float[][] queries;
    private static final Map<String, Double> recalls = new TreeMap<>();

    private static final List<String> PASSAGES = List.of(
        "To rotate logs, configure logrotate with a daily schedule, keep seven files and compress the old ones.",
        "The cluster health API reports green, yellow or red depending on shard allocation.",
        "Snapshots back up indices to a shared file system or an object store repository.",
        "Bake the bread at 220 degrees for thirty minutes until the crust is golden.",
        "Replicas are copies of primary shards that serve reads and take over on failure.",
        "The quarterly sales report shows revenue growth in every region.",
        "Set the JVM heap to half of the machine's memory, but never above 31 gigabytes.",
        "Our hiking trip followed the ridge to a lake above the tree line."
    );
    private static final List<String> TAGS = List.of("ops", "ops", "ops", "food", "ops", "finance", "ops", "travel");

    @BeforeClass
    public static void startNodeAndLoadData() throws Exception {
        node = LocalNode.builder("semantic-query").plugin(LocalNode.pluginZip()).start();
        long start = System.nanoTime();
        Random random = new Random(20261123);
        float[][] centroids = new float[40][];
        for (int i = 0; i < centroids.length; i++) {
            centroids[i] = normalize(gaussian(random, 1f));
        }
        vectors = new float[DOCS][];
        for (int i = 0; i < DOCS; i++) {
            vectors[i] = normalize(add(centroids[random.nextInt(centroids.length)], gaussian(random, 0.06f)));
        }
        queries = new float[QUERIES][];
        for (int i = 0; i < QUERIES; i++) {
            queries[i] = normalize(add(centroids[random.nextInt(centroids.length)], gaussian(random, 0.06f)));
        }
        for (String type : INDEX_TYPES) {
            createIndex("vectors-" + type, String.format(Locale.ROOT, """
                {"properties": {"v": {"type": "semantic_vector", "dims": %d, "index_options": {"type": "%s"}},
                                "group": {"type": "integer"}, "n": {"type": "integer"}}}""", DIMS, type));
            for (int from = 0; from < DOCS; from += 1000) {
                StringBuilder bulk = new StringBuilder();
                for (int i = from; i < Math.min(DOCS, from + 1000); i++) {
                    bulk.append("{\"index\": {\"_id\": \"").append(i).append("\"}}\n");
                    bulk.append("{\"group\": ").append(i % GROUPS).append(", \"n\": ").append(i).append(", \"v\": ");
                    bulk.append(Arrays.toString(vectors[i])).append("}\n");
                }
                assertBulkOk(node.post("/vectors-" + type + "/_bulk", bulk.toString()));
            }
            // One graph of ~3,300 vectors per shard: several small segments would make the search nearly exhaustive.
            assertOk(node.post("/vectors-" + type + "/_forcemerge?max_num_segments=1", null));
            assertOk(node.post("/vectors-" + type + "/_refresh", null));
        }
        loadPassages();
        System.out.printf(Locale.ROOT, "loaded %d x %d vectors into %d indices in %.1f s%n", DOCS, DIMS, INDEX_TYPES.size(), (System.nanoTime() - start) / 1e9);
    }

    /** One document per passage, embedded through the _embed API, and one document holding all of them as nested passages. */
    private static void loadPassages() {
        ObjectNode embed = JSON.createObjectNode().put("input_type", "passage");
        ArrayNode texts = embed.putArray("texts");
        PASSAGES.forEach(texts::add);
        LocalNode.Response embedded = node.post("/_plugins/_semantic/_embed", embed.toString());
        assertOk(embedded);
        JsonNode embeddings = embedded.json().path("embeddings");

        createIndex("docs", """
            {"properties": {"body": {"type": "text"}, "tag": {"type": "keyword"},
                            "body_vec": {"type": "semantic_vector", "model": "all-minilm-l6-v2"}}}""");
        createIndex("articles", 1, """
            {"properties": {"title": {"type": "text"},
                            "passages": {"type": "nested", "properties": {
                                "text": {"type": "text"}, "offset": {"type": "integer"},
                                "vector": {"type": "semantic_vector"}}}}}""");
        StringBuilder docs = new StringBuilder();
        for (int i = 0; i < PASSAGES.size(); i++) {
            ObjectNode doc = JSON.createObjectNode().put("body", PASSAGES.get(i)).put("tag", TAGS.get(i));
            doc.set("body_vec", embeddings.get(i));
            docs.append("{\"index\": {\"_id\": \"").append(i).append("\"}}\n").append(doc).append('\n');
        }
        assertBulkOk(node.post("/docs/_bulk?refresh=true", docs.toString()));

        // Four articles of two passages each: article a holds passages 2a and 2a+1.
        StringBuilder articles = new StringBuilder();
        for (int a = 0; a < PASSAGES.size() / 2; a++) {
            ObjectNode article = JSON.createObjectNode().put("title", "article " + a);
            ArrayNode passages = article.putArray("passages");
            for (int p = 2 * a; p < 2 * a + 2; p++) {
                ObjectNode passage = passages.addObject().put("text", PASSAGES.get(p)).put("offset", p);
                passage.set("vector", embeddings.get(p));
            }
            articles.append("{\"index\": {\"_id\": \"article-").append(a).append("\"}}\n").append(article).append('\n');
        }
        assertBulkOk(node.post("/articles/_bulk?refresh=true", articles.toString()));

        createIndex("docs-bge", "{\"properties\": {\"body_vec\": {\"type\": \"semantic_vector\", \"model\": \"bge-small-zh-v1.5\"}}}");
        createIndex("no-model", "{\"properties\": {\"v\": {\"type\": \"semantic_vector\", \"dims\": 2}}}");
    }

    @AfterClass
    public static void stopNode() {
        if (node != null) {
            node.close();
        }
        if (recalls.isEmpty() == false) {
            System.out.println("recall@10 (index type @ num_candidates) over " + QUERIES + " queries: " + recalls);
        }
    }

    @Test
    public void recallAgainstExactSearchForEveryIndexType() {
        Map<String, Double> minimum = Map.of("hnsw", 0.95, "int8_hnsw", 0.95, "int4_hnsw", 0.9, "bbq_hnsw", 0.8, "flat", 1.0);
        for (String type : INDEX_TYPES) {
            // Lower candidate counts are only reported: they show how much each type leans on num_candidates.
            for (int candidates : List.of(10, 20, 100)) {
                double recall = recall("vectors-" + type, candidates);
                recalls.put(type + "@" + candidates, recall);
                if (candidates == 100) {
                    assertTrue(type + " recall@10 " + recall, recall >= minimum.get(type));
                }
            }
        }
    }

    private static double recall(String index, int numCandidates) {
        double found = 0;
        for (float[] query : queries) {
            Set<String> common = new HashSet<>(exactTopIds(query, 10, null));
            common.retainAll(ids(search(index, semantic("v", query, "\"k\": 10, \"num_candidates\": " + numCandidates), 10)));
            found += common.size();
        }
        return found / (QUERIES * 10.0);
    }

    @Test
    public void exactSearchMatchesBruteForceAndScoresEveryDocument() {
        for (int q = 0; q < 5; q++) {
            JsonNode hits = search("vectors-hnsw", semantic("v", queries[q], "\"exact\": true"), 10);
            assertEquals(exactTopIds(queries[q], 10, null), ids(hits));
            assertEquals(DOCS, total(hits));
            String id = hits.path("hits").path(0).path("_id").asText();
            double expectedScore = (1 + dot(queries[q], vectors[Integer.parseInt(id)])) / 2;
            assertEquals(expectedScore, hits.path("hits").path(0).path("_score").asDouble(), 1e-5);
        }
    }

    @Test
    public void filtersAreHonouredDuringTheSearch() {
        for (String type : List.of("hnsw", "int8_hnsw")) {
            for (int q = 0; q < 5; q++) {
                JsonNode hits = search(
                    "vectors-" + type,
                    semantic("v", queries[q], "\"k\": 10, \"filter\": {\"term\": {\"group\": 3}}") ,
                    10
                );
                assertEquals(10, hits.path("hits").size());
                for (JsonNode hit : hits.path("hits")) {
                    assertEquals(hit.toString(), 3, Integer.parseInt(hit.path("_id").asText()) % GROUPS);
                }
                // A selective filter (40 documents) makes Lucene search exactly: the hits are the true nearest ones.
                JsonNode selective = search(
                    "vectors-" + type,
                    semantic("v", queries[q], "\"k\": 10, \"filter\": {\"range\": {\"n\": {\"lt\": 40}}}"),
                    10
                );
                assertEquals(type, exactTopIds(queries[q], 10, i -> i < 40), ids(selective));
            }
        }
    }

    @Test
    public void minScoreSizeFromAndAggregations() {
        float[] query = queries[7];
        JsonNode all = search("vectors-hnsw", semantic("v", query, "\"k\": 10"), 30);
        assertEquals(30, all.path("hits").size()); // k per shard, three shards
        double fifth = all.path("hits").path(4).path("_score").asDouble();

        JsonNode above = search("vectors-hnsw", semantic("v", query, "\"k\": 10, \"min_score\": " + fifth), 30);
        assertEquals(5, above.path("hits").size());
        for (JsonNode hit : above.path("hits")) {
            assertTrue(hit.toString(), hit.path("_score").asDouble() >= fifth);
        }

        LocalNode.Response page = node.post("/vectors-hnsw/_search", "{\"from\": 5, \"size\": 5, \"query\": " + semantic("v", query, "\"k\": 10") + "}");
        assertOk(page);
        assertEquals(ids(all).subList(5, 10), ids(page.json().path("hits")));

        LocalNode.Response aggs = node.post("/vectors-hnsw/_search", "{\"size\": 0, \"query\": " + semantic("v", query, "\"k\": 10")
            + ", \"aggs\": {\"groups\": {\"terms\": {\"field\": \"group\", \"size\": 20}}}}");
        assertOk(aggs);
        long counted = 0;
        for (JsonNode bucket : aggs.json().path("aggregations").path("groups").path("buckets")) {
            counted += bucket.path("doc_count").asLong();
        }
        assertEquals(30, counted);
    }

    @Test
    public void everySimilarityScoresAsLucene() {
        float[][] docs = { { 1, 0 }, { 0.6f, 0.8f }, { -0.8f, 0.6f }, { 0, -1 } };
        float[] query = { 0.8f, 0.6f };
        for (String similarity : List.of("cosine", "dot_product", "l2_norm", "max_inner_product")) {
            String index = "sim-" + similarity;
            createIndex(index, "{\"properties\": {\"v\": {\"type\": \"semantic_vector\", \"dims\": 2, \"similarity\": \"" + similarity + "\"}}}");
            StringBuilder bulk = new StringBuilder();
            for (int i = 0; i < docs.length; i++) {
                bulk.append("{\"index\": {\"_id\": \"").append(i).append("\"}}\n{\"v\": ").append(Arrays.toString(docs[i])).append("}\n");
            }
            assertBulkOk(node.post("/" + index + "/_bulk?refresh=true", bulk.toString()));
            JsonNode hits = search(index, semantic("v", query, "\"k\": 4"), 4);
            assertEquals(similarity, List.of("1", "0", "2", "3"), ids(hits));
            for (JsonNode hit : hits.path("hits")) {
                float[] doc = docs[Integer.parseInt(hit.path("_id").asText())];
                assertEquals(similarity + " " + hit, luceneScore(similarity, query, doc), hit.path("_score").asDouble(), 1e-5);
            }
        }
    }

    @Test
    public void likeSearchesWithAStoredDocumentsVector() {
        JsonNode hits = search("vectors-hnsw", "{\"semantic\": {\"field\": \"v\", \"like\": {\"_id\": \"123\"}, \"k\": 10}}", 10);
        assertEquals("123", hits.path("hits").path(0).path("_id").asText());
        assertEquals(1.0, hits.path("hits").path(0).path("_score").asDouble(), 1e-5);
        assertEquals(exactTopIds(vectors[123], 10, null), ids(hits));

        JsonNode across = search("vectors-int8_hnsw", "{\"semantic\": {\"field\": \"v\", \"like\": {\"_id\": \"123\", \"_index\": \"vectors-hnsw\"}}}", 1);
        assertEquals("123", across.path("hits").path(0).path("_id").asText());

        assertBadSearch("vectors-hnsw,vectors-flat", "{\"semantic\": {\"field\": \"v\", \"like\": {\"_id\": \"123\"}}}", "[like] needs [_index]");
        assertBadSearch("vectors-hnsw", "{\"semantic\": {\"field\": \"v\", \"like\": {\"_id\": \"no-such-doc\"}}}", "[like] document [no-such-doc] in index [vectors-hnsw] does not exist");
    }

    @Test
    public void queryTextIsEmbeddedOncePerRequestWithTheFieldsModel() {
        long before = embeddedTexts();
        // A text no other test searches: theirs may be in the query cache already.
        String query = "{\"semantic\": {\"field\": \"body_vec\", \"query\": \"how should I rotate log files\", \"k\": 3}}";
        JsonNode hits = search("docs", query, 3);
        assertEquals(hits.toString(), "0", hits.path("hits").path(0).path("_id").asText());
        assertEquals("one inference for a search over three shards", before + 1, embeddedTexts());
        search("docs", query, 3);
        assertEquals("none for the same text again: the query cache has it", before + 1, embeddedTexts());
        JsonNode heap = search("docs", "{\"semantic\": {\"field\": \"body_vec\", \"query\": \"how much memory should the JVM get\"}}", 1);
        assertEquals(heap.toString(), "6", heap.path("hits").path(0).path("_id").asText());
    }

    @Test
    public void composesWithOtherQueries() {
        String semantic = "{\"semantic\": {\"field\": \"body_vec\", \"query\": \"how do I rotate logs\", \"k\": 5, \"_name\": \"sem\"}}";
        LocalNode.Response bool = node.post("/docs/_search", "{\"explain\": true, \"_source\": [\"tag\"], \"query\": {\"bool\": {\"should\": [" + semantic
            + ", {\"match\": {\"body\": {\"query\": \"snapshots\", \"_name\": \"kw\"}}}]}}, "
            + "\"highlight\": {\"fields\": {\"body\": {}}}, \"aggs\": {\"tags\": {\"terms\": {\"field\": \"tag\"}}}}");
        assertOk(bool);
        JsonNode hits = bool.json().path("hits").path("hits");
        // the log rotation passage by meaning, the snapshot one by meaning and keyword
        assertEquals(bool.body(), Set.of("0", "2"), Set.of(hits.path(0).path("_id").asText(), hits.path(1).path("_id").asText()));
        boolean sawKeyword = false;
        for (JsonNode hit : hits) {
            assertTrue(hit.toString(), hit.path("_explanation").path("value").isNumber());
            if (hit.path("_id").asText().equals("2")) {
                sawKeyword = true;
                assertTrue(hit.toString(), hit.path("highlight").path("body").path(0).asText().contains("<em>Snapshots</em>"));
                assertTrue(hit.toString(), hit.path("matched_queries").toString().contains("kw"));
            }
        }
        assertTrue(bool.body(), sawKeyword);
        assertTrue(bool.body(), hits.path(1).path("matched_queries").toString().contains("sem"));
        assertTrue(bool.body(), bool.json().path("aggregations").path("tags").path("buckets").size() > 0);

        LocalNode.Response functionScore = node.post("/docs/_search", "{\"_source\": false, \"query\": {\"function_score\": {\"query\": " + semantic
            + ", \"functions\": [{\"filter\": {\"term\": {\"tag\": \"food\"}}, \"weight\": 100}]}}}");
        assertOk(functionScore);
        assertEquals(functionScore.body(), "3", functionScore.json().path("hits").path("hits").path(0).path("_id").asText());

        String oneEach = "{\"semantic\": {\"field\": \"body_vec\", \"query\": \"how do I rotate logs\", \"k\": 1}}";
        LocalNode.Response constant = node.post("/docs/_search", "{\"query\": {\"constant_score\": {\"filter\": " + oneEach + ", \"boost\": 2}}}");
        assertOk(constant);
        JsonNode constantHits = constant.json().path("hits").path("hits");
        assertTrue(constant.body(), constantHits.size() >= 1 && constantHits.size() <= 3); // k = 1 per shard
        for (JsonNode hit : constantHits) {
            assertEquals(2.0, hit.path("_score").asDouble(), 0);
        }

        JsonNode boosted = search("docs", "{\"semantic\": {\"field\": \"body_vec\", \"query\": \"how do I rotate logs\", \"boost\": 10}}", 1);
        JsonNode plain = search("docs", "{\"semantic\": {\"field\": \"body_vec\", \"query\": \"how do I rotate logs\"}}", 1);
        assertEquals(10 * plain.path("hits").path(0).path("_score").asDouble(), boosted.path("hits").path(0).path("_score").asDouble(), 1e-4);
    }

    @Test
    public void vectorsStayInSourceAndFields() {
        LocalNode.Response doc = node.post("/vectors-hnsw/_search", "{\"query\": {\"ids\": {\"values\": [\"5\"]}}, \"fields\": [\"v\"]}");
        assertOk(doc);
        JsonNode hit = doc.json().path("hits").path("hits").path(0);
        assertEquals(DIMS, hit.path("_source").path("v").size());
        assertEquals(vectors[5][0], hit.path("_source").path("v").path(0).floatValue(), 0f);
        assertEquals(DIMS, hit.path("fields").path("v").path(0).size());
        LocalNode.Response exists = node.post("/vectors-hnsw/_count", "{\"query\": {\"exists\": {\"field\": \"v\"}}}");
        assertEquals(DOCS, exists.json().path("count").asInt());
    }

    @Test
    public void nestedPassagesScoreTheirParentByTheBestOne() {
        LocalNode.Response response = node.post("/articles/_search", """
            {"query": {"nested": {"path": "passages", "score_mode": "max",
               "query": {"semantic": {"field": "passages.vector", "query": "how many copies of each shard are kept", "k": 3}},
               "inner_hits": {"size": 2, "_source": ["passages.text"]}}}, "_source": false}""");
        assertOk(response);
        JsonNode hits = response.json().path("hits").path("hits");
        assertEquals(response.body(), 3, hits.size()); // k counts articles, not passages (one shard here)
        assertEquals(response.body(), "article-2", hits.path(0).path("_id").asText()); // passage 4: replicas
        JsonNode inner = hits.path(0).path("inner_hits").path("passages").path("hits").path("hits");
        assertEquals(response.body(), 2, inner.size());
        assertTrue(response.body(), inner.path(0).path("_source").path("text").asText().startsWith("Replicas"));
        assertEquals(hits.path(0).path("_score").asDouble(), inner.path(0).path("_score").asDouble(), 1e-5);
        assertTrue(inner.path(0).path("_score").asDouble() >= inner.path(1).path("_score").asDouble());

        assertBadSearch(
            "articles",
            "{\"semantic\": {\"field\": \"passages.vector\", \"query\": \"replicas\"}}",
            "is inside the [nested] field [passages]: wrap this query in a [nested] query"
        );
    }

    @Test
    public void badParametersAnswer400NamingTheParameter() {
        String vector = Arrays.toString(queries[0]);
        assertBadSearch("vectors-hnsw", "{\"semantic\": {\"field\": \"nope\", \"vector\": " + vector + "}}", "[semantic] [field] [nope] does not exist");
        assertBadSearch("vectors-hnsw", "{\"semantic\": {\"field\": \"group\", \"vector\": [1]}}", "[field] [group] is of type [integer]");
        assertBadSearch("vectors-hnsw", "{\"semantic\": {\"field\": \"v\", \"vector\": [1, 2, 3]}}", "[semantic] [vector]: field [v] takes vectors of [384] dims, got a vector of [3]");
        assertBadSearch("vectors-hnsw", "{\"semantic\": {\"field\": \"v\", \"vector\": " + vector + ", \"k\": 0}}", "[semantic] [k] must be at least 1, got [0]");
        assertBadSearch("vectors-hnsw", "{\"semantic\": {\"field\": \"v\", \"vector\": " + vector + ", \"num_candidates\": 20000}}", "[num_candidates] must be at most 10000");
        assertBadSearch("vectors-hnsw", "{\"semantic\": {\"field\": \"v\", \"vector\": " + vector + ", \"k\": 50, \"num_candidates\": 20}}", "[num_candidates] must be at least [k] = [50], got [20]");
        assertBadSearch("vectors-hnsw", "{\"semantic\": {\"field\": \"v\", \"vector\": [1], \"query\": \"x\"}}", "takes only one of [query], [vector] and [like]");
        assertBadSearch("vectors-hnsw", "{\"semantic\": {\"field\": \"v\", \"vector\": [1], \"colour\": \"red\"}}", "[semantic] query does not support [colour]");
        assertBadSearch("no-model", "{\"semantic\": {\"field\": \"v\", \"query\": \"rotate logs\"}}", "[semantic] field [v] has no model to embed [query] text with");
        assertBadSearch(
            "docs,docs-bge",
            "{\"semantic\": {\"field\": \"body_vec\", \"query\": \"rotate logs\"}}",
            "[semantic] field [body_vec] is embedded with different models in the searched indices {docs=all-minilm-l6-v2, docs-bge=bge-small-zh-v1.5}"
        );
        assertBadSearch(
            "vectors-hnsw",
            "{\"semantic\": {\"field\": \"v\", \"query\": \"rotate logs\", \"model\": \"bge-small-zh-v1.5\"}}",
            "[semantic] the vector is from [model] [bge-small-zh-v1.5], but field [v] in index [vectors-hnsw] holds vectors of [model] [all-minilm-l6-v2]"
        );
        assertBadSearch("vectors-hnsw", "{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"model\": \"nope\"}}", "unknown model [nope]");
    }

    @Test
    public void aBadVectorFailsAloneInABulk() {
        createIndex("bulk-check", "{\"properties\": {\"v\": {\"type\": \"semantic_vector\", \"dims\": 3}}}");
        LocalNode.Response bulk = node.post("/bulk-check/_bulk?refresh=true", """
            {"index": {"_id": "good-1"}}
            {"v": [1, 2, 3]}
            {"index": {"_id": "short"}}
            {"v": [1, 2]}
            {"index": {"_id": "zero"}}
            {"v": [0, 0, 0]}
            {"index": {"_id": "text"}}
            {"v": [1, "a", 3]}
            {"index": {"_id": "good-2"}}
            {"v": [3, 2, 1]}
            {"index": {"_id": "underflow"}}
            {"v": [1e-25, 1e-25, 1e-25]}
            {"index": {"_id": "huge"}}
            {"v": [1e16, 1, 1]}
            """);
        assertOk(bulk);
        JsonNode items = bulk.json().path("items");
        assertTrue(bulk.json().path("errors").asBoolean());
        assertEquals(201, items.path(0).path("index").path("status").asInt());
        assertEquals(201, items.path(4).path("index").path("status").asInt());
        Map<Integer, String> problems = Map.of(1, "takes vectors of [3] dims, got a vector of [2]", 2, "is a zero vector", 3, "takes numbers, got [a] at position [1]",
            5, "too short for [cosine]", 6, "takes vectors of length at most [1.0E15]");
        problems.forEach((i, problem) -> {
            JsonNode error = items.path(i).path("index");
            assertEquals(error.toString(), 400, error.path("status").asInt());
            assertEquals(error.toString(), "mapper_parsing_exception", error.path("error").path("type").asText());
            assertTrue(error.toString(), error.path("error").path("reason").asText().contains("failed to parse field [v] of type [semantic_vector]"));
            assertTrue(error.toString(), error.path("error").path("caused_by").path("reason").asText().contains(problem));
        });
        assertEquals(2, node.get("/bulk-check/_count").json().path("count").asInt());
        // The same rule for a query's vector: a vector whose squares underflow would score every document Infinity.
        LocalNode.Response tiny = node.post("/bulk-check/_search", "{\"query\": {\"semantic\": {\"field\": \"v\", \"vector\": [1e-25, 1e-25, 1e-25]}}}");
        assertEquals(tiny.toString(), 400, tiny.status());
        assertTrue(tiny.toString(), tiny.body().contains("too short for [cosine]"));
        JsonNode hits = node.post("/bulk-check/_search", "{\"query\": {\"semantic\": {\"field\": \"v\", \"vector\": [1e-8, 2e-8, 3e-8]}}}").json();
        assertEquals(hits.toString(), 2, hits.path("hits").path("hits").size());
        hits.path("hits").path("hits").forEach(hit -> assertTrue(hit.toString(), hit.path("_score").asDouble() <= 1.0001));
    }

    @Test
    public void derivedSourceGivesTheVectorsBackFromTheIndex() {
        // index.derived_source.enabled: no stored _source; GET, search hits and the translog's realtime GET rebuild it
        // from the fields, the vector from the vectors format.
        String mappings = "{\"properties\": {\"v\": {\"type\": \"semantic_vector\", \"dims\": 3, \"index_options\": {\"type\": \"int8_hnsw\"}},"
            + " \"tag\": {\"type\": \"keyword\"}}}";
        assertOk(node.put("/derived", "{\"settings\": {\"number_of_shards\": 2, \"number_of_replicas\": 0, \"index.derived_source.enabled\": true},"
            + " \"mappings\": " + mappings + "}"));
        assertBulkOk(node.post("/derived/_bulk", """
            {"index": {"_id": "a"}}
            {"tag": "x", "v": [0.1, 0.2, 0.3]}
            {"index": {"_id": "b"}}
            {"tag": "y", "v": [0.3, -0.2, 0.1]}
            {"index": {"_id": "c"}}
            {"tag": "z"}
            """));
        // Before a refresh the realtime GET reads the translog.
        assertVectorSource(node.get("/derived/_doc/a").json().path("_source"), "x", 0.1f, 0.2f, 0.3f);
        assertOk(node.post("/derived/_refresh", null));
        assertVectorSource(node.get("/derived/_doc/b").json().path("_source"), "y", 0.3f, -0.2f, 0.1f);
        JsonNode c = node.get("/derived/_doc/c").json().path("_source");
        assertEquals(c.toString(), "z", c.path("tag").asText());
        assertTrue(c.toString(), c.path("v").isMissingNode());

        LocalNode.Response found = node.post("/derived/_search", "{\"query\": " + semantic("v", new float[] { 0.1f, 0.2f, 0.31f }, "\"k\": 1") + "}");
        assertOk(found);
        JsonNode hit = found.json().path("hits").path("hits").path(0);
        assertEquals(found.body(), "a", hit.path("_id").asText());
        assertVectorSource(hit.path("_source"), "x", 0.1f, 0.2f, 0.3f);
        // like: the stored vector of a document, read back the same way
        JsonNode like = search("derived", "{\"semantic\": {\"field\": \"v\", \"like\": {\"_id\": \"b\"}, \"k\": 2}}", 2);
        assertEquals(like.toString(), List.of("b", "a"), ids(like));
    }

    private static void assertVectorSource(JsonNode source, String tag, float... vector) {
        assertEquals(source.toString(), tag, source.path("tag").asText());
        JsonNode v = source.path("v");
        assertEquals(source.toString(), vector.length, v.size());
        for (int i = 0; i < vector.length; i++) {
            // float32, as indexed: 0.1 comes back as 0.1 (the float nearest to it prints so)
            assertEquals(source.toString(), vector[i], (float) v.path(i).asDouble(), 0f);
        }
    }

    @Test
    public void mappingErrorsAnswer400() {
        LocalNode.Response mismatch = node.put("/bad-mapping", """
            {"mappings": {"properties": {"v": {"type": "semantic_vector", "model": "all-minilm-l6-v2", "dims": 512}}}}""");
        assertEquals(mismatch.toString(), 400, mismatch.status());
        assertTrue(mismatch.body(), mismatch.body().contains("has [dims] [512] but [model] [all-minilm-l6-v2] makes vectors of [384] dims"));

        LocalNode.Response change = node.put("/vectors-flat/_mapping", """
            {"properties": {"v": {"type": "semantic_vector", "dims": 384, "index_options": {"type": "hnsw"}}}}""");
        assertEquals(change.toString(), 400, change.status());
        assertTrue(change.body(), change.body().contains("Cannot update parameter [index_options]"));

        LocalNode.Response mapping = node.get("/docs/_mapping");
        JsonNode field = mapping.json().path("docs").path("mappings").path("properties").path("body_vec");
        assertEquals(mapping.body(), 384, field.path("dims").asInt());
        assertEquals(mapping.body(), "cosine", field.path("similarity").asText());
        assertEquals(mapping.body(), "hnsw", field.path("index_options").path("type").asText());
    }

    // --- helpers ---

    private static long embeddedTexts() {
        JsonNode stats = node.get("/_plugins/_semantic/stats").json();
        assertEquals(stats.toString(), 1, stats.path("_nodes").path("successful").asInt());
        return stats.path("nodes").elements().next().path("models").path("all-minilm-l6-v2").path("texts").asLong();
    }

    private static String semantic(String field, float[] vector, String more) {
        return "{\"semantic\": {\"field\": \"" + field + "\", \"vector\": " + Arrays.toString(vector) + (more.isEmpty() ? "" : ", " + more) + "}}";
    }

    private static JsonNode search(String index, String query, int size) {
        LocalNode.Response response = node.post("/" + index + "/_search", "{\"size\": " + size + ", \"_source\": false, \"query\": " + query + "}");
        assertOk(response);
        assertEquals(response.body(), 0, response.json().path("_shards").path("failed").asInt());
        return response.json().path("hits");
    }

    private static List<String> ids(JsonNode hits) {
        List<String> ids = new ArrayList<>();
        for (JsonNode hit : hits.path("hits")) {
            ids.add(hit.path("_id").asText());
        }
        return ids;
    }

    private static long total(JsonNode hits) {
        return hits.path("total").path("value").asLong();
    }

    private static void assertBadSearch(String index, String query, String message) {
        LocalNode.Response response = node.post("/" + index + "/_search", "{\"query\": " + query + "}");
        assertEquals(response.toString(), 400, response.status());
        assertTrue(response.body(), response.body().contains(message));
    }

    private static void createIndex(String name, String mappings) {
        createIndex(name, 3, mappings);
    }

    private static void createIndex(String name, int shards, String mappings) {
        String settings = "{\"number_of_shards\": " + shards + ", \"number_of_replicas\": 0}";
        assertOk(node.put("/" + name, "{\"settings\": " + settings + ", \"mappings\": " + mappings + "}"));
    }

    private static void assertOk(LocalNode.Response response) {
        assertEquals(response.toString(), 200, response.status());
    }

    private static void assertBulkOk(LocalNode.Response response) {
        assertOk(response);
        assertFalse(response.body().length() > 2000 ? response.body().substring(0, 2000) : response.body(), response.json().path("errors").asBoolean());
    }

    /** Ids of the k documents nearest to {@code query} by cosine, among those whose number passes {@code keep}. */
    private static List<String> exactTopIds(float[] query, int k, java.util.function.IntPredicate keep) {
        Integer[] order = new Integer[DOCS];
        double[] scores = new double[DOCS];
        for (int i = 0; i < DOCS; i++) {
            order[i] = i;
            scores[i] = keep == null || keep.test(i) ? dot(query, vectors[i]) : Double.NEGATIVE_INFINITY;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            ids.add(Integer.toString(order[i]));
        }
        return ids;
    }

    private static double luceneScore(String similarity, float[] a, float[] b) {
        double dot = dot(a, b);
        return switch (similarity) {
            case "cosine" -> (1 + dot / Math.sqrt(dot(a, a) * dot(b, b))) / 2;
            case "dot_product" -> (1 + dot) / 2;
            case "l2_norm" -> 1 / (1 + dot(a, a) - 2 * dot + dot(b, b));
            case "max_inner_product" -> dot < 0 ? 1 / (1 - dot) : dot + 1;
            default -> throw new IllegalArgumentException(similarity);
        };
    }

    private static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += (double) a[i] * b[i];
        }
        return sum;
    }

    private static float[] gaussian(Random random, float sigma) {
        float[] v = new float[DIMS];
        for (int i = 0; i < DIMS; i++) {
            v[i] = (float) random.nextGaussian() * sigma;
        }
        return v;
    }

    private static float[] add(float[] a, float[] b) {
        float[] sum = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            sum[i] = a[i] + b[i];
        }
        return sum;
    }

    private static float[] normalize(float[] v) {
        double norm = Math.sqrt(dot(v, v));
        float[] unit = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            unit[i] = (float) (v[i] / norm);
        }
        return unit;
    }
}
