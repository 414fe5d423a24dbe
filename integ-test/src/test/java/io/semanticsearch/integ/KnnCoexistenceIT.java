package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * Our plugin and the k-NN plugin load on the same node and both work there: each provides the codec of its own
 * indices only (k-NN those with {@code index.knn: true}, we all others), so neither index is refused for having two,
 * and a {@code semantic_vector} field is refused in a k-NN index, whose codec would drop its index options.
 */
public class KnnCoexistenceIT {

    private static LocalNode node;

    @BeforeClass
    public static void startNode() throws Exception {
        node = LocalNode.builder("with-knn").plugin(LocalNode.knnPluginZip()).plugin(LocalNode.pluginZip()).start();
    }

    @AfterClass
    public static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    public void bothPluginsAreLoaded() {
        Set<String> components = new HashSet<>();
        for (JsonNode plugin : node.get("/_cat/plugins?format=json").json()) {
            components.add(plugin.path("component").asText());
        }
        assertTrue(components.toString(), components.contains("opensearch-semantic"));
        assertTrue(components.toString(), components.contains("opensearch-knn"));
        assertEquals(200, node.get("/_plugins/_semantic").status());
    }

    @Test
    public void knnLuceneEngineStillAnswers() {
        LocalNode.Response created = node.put("/knn-docs", """
            {"settings": {"index": {"knn": true, "number_of_shards": 1, "number_of_replicas": 0}},
             "mappings": {"properties": {"v": {"type": "knn_vector", "dimension": 2,
                "method": {"name": "hnsw", "engine": "lucene", "space_type": "l2"}}}}}""");
        assertEquals(created.toString(), 200, created.status());
        LocalNode.Response bulk = node.post("/knn-docs/_bulk?refresh=true", """
            {"index": {"_id": "near"}}
            {"v": [1.0, 1.0]}
            {"index": {"_id": "far"}}
            {"v": [9.0, 9.0]}
            """);
        assertEquals(bulk.toString(), 200, bulk.status());
        assertEquals(bulk.body(), false, bulk.json().path("errors").asBoolean());
        LocalNode.Response hits = node.post("/knn-docs/_search", """
            {"query": {"knn": {"v": {"vector": [1.1, 0.9], "k": 1}}}, "size": 1}""");
        assertEquals(hits.toString(), 200, hits.status());
        assertEquals(hits.body(), "near", hits.json().path("hits").path("hits").path(0).path("_id").asText());
    }

    @Test
    public void semanticVectorIndexWorksBesideAKnnIndex() {
        LocalNode.Response created = node.put("/semantic-docs", """
            {"settings": {"index": {"number_of_shards": 2, "number_of_replicas": 0}},
             "mappings": {"properties": {"v": {"type": "semantic_vector", "dims": 2, "similarity": "l2_norm",
                "index_options": {"type": "int8_hnsw", "m": 8}}}}}""");
        assertEquals(created.toString(), 200, created.status());
        LocalNode.Response bulk = node.post("/semantic-docs/_bulk?refresh=true", """
            {"index": {"_id": "near"}}
            {"v": [1.0, 1.0]}
            {"index": {"_id": "far"}}
            {"v": [9.0, 9.0]}
            """);
        assertEquals(bulk.toString(), 200, bulk.status());
        assertEquals(bulk.body(), false, bulk.json().path("errors").asBoolean());
        LocalNode.Response hits = node.post("/semantic-docs/_search", """
            {"query": {"semantic": {"field": "v", "vector": [1.1, 0.9], "k": 1}}, "size": 1}""");
        assertEquals(hits.toString(), 200, hits.status());
        assertEquals(hits.body(), "near", hits.json().path("hits").path("hits").path(0).path("_id").asText());
    }

    @Test
    public void semanticVectorIsRefusedInAKnnIndex() {
        LocalNode.Response refused = node.put("/knn-with-semantic", """
            {"settings": {"index": {"knn": true}},
             "mappings": {"properties": {"v": {"type": "semantic_vector", "dims": 2}}}}""");
        assertEquals(refused.toString(), 400, refused.status());
        assertTrue(refused.body(), refused.body().contains("[semantic_vector] field [v] cannot be used in an index with [index.knn: true]"));
    }
}
