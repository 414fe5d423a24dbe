package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * A data node killed (SIGKILL) and started again on its data while a bulk through a {@code semantic_text} field is
 * being embedded: the bulk and the ones after it answer, every document they acknowledged is found once the cluster
 * is green again, and the search by meaning still works. Embedding happens on the ingest node before the shards see a document, so a
 * lost data node costs what it costs any bulk, nothing more. The other data node loads no models
 * ({@code plugins.semantic.models.load: false}) and holds its shards all the same; the text queries, {@code _embed} and
 * {@code _rag} requests it receives, and the sentences of highlights on its shards, are embedded by a node that loads
 * models.
 */
public class NodeLossClusterIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static LocalNode manager;
    private static LocalNode dataA;
    private static LocalNode dataB;

    @BeforeClass
    public static void startCluster() throws Exception {
        manager = LocalNode.builder("nl-manager").plugin(LocalNode.pluginZip()).cluster("node-loss", null)
            .setting("node.roles", "[cluster_manager, data, ingest]").start();
        // It only holds shards: it loads no models, parses the mapping from what it records, and embeds nothing.
        dataA = LocalNode.builder("nl-data-a").plugin(LocalNode.pluginZip()).cluster("node-loss", manager).setting("node.roles", "[data]")
            .setting("plugins.semantic.models.load", "false").start();
        dataB = LocalNode.builder("nl-data-b").plugin(LocalNode.pluginZip()).cluster("node-loss", manager).setting("node.roles", "[data]").start();
        JsonNode health = manager.get("/_cluster/health?wait_for_nodes=3&timeout=60s").json();
        assertEquals(health.toString(), 3, health.path("number_of_nodes").asInt());
        assertEquals(200, manager.put("/kb", "{\"settings\": {\"number_of_shards\": 3, \"number_of_replicas\": 1}, "
            + "\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}}}}").status());
        JsonNode green = manager.get("/_cluster/health/kb?wait_for_status=green&timeout=60s").json();
        assertEquals(green.toString(), "green", green.path("status").asText());
    }

    @AfterClass
    public static void stopCluster() {
        for (LocalNode node : new LocalNode[] { dataB, dataA, manager }) {
            if (node != null) {
                node.close();
            }
        }
    }

    private static String bulk(String prefix, int documents) {
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < documents; i++) {
            bulk.append("{\"index\": {\"_id\": \"").append(prefix).append('-').append(i).append("\"}}\n");
            String text = prefix + " " + i + ": Logrotate rotates, compresses and mails system logs. It runs daily from cron and keeps "
                + "four weeks of logs by default. Each log file may be handled daily, weekly, monthly, or when it grows too large.";
            bulk.append("{\"body\": ").append(JSON.valueToTree(text).toString()).append("}\n");
        }
        return bulk.toString();
    }

    private static long texts() {
        return manager.get("/_plugins/_semantic/_local/stats").json().path("nodes").elements().next().path("models")
            .path("all-minilm-l6-v2").path("texts").asLong();
    }

    private static void collect(JsonNode response, List<String> acknowledged, List<String> failed) {
        for (JsonNode item : response.path("items")) {
            JsonNode result = item.path("index");
            (result.path("status").asInt() == 201 ? acknowledged : failed).add(result.path("_id").asText());
        }
    }

    @Test
    public void everyAcknowledgedDocumentSurvivesADataNodeRestartedMidBulk() throws Exception {
        List<String> acknowledged = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        collect(manager.post("/kb/_bulk", bulk("before", 30)).json(), acknowledged, failed);

        long before = texts();
        CompletableFuture<LocalNode.Response> during = CompletableFuture.supplyAsync(() -> manager.post("/kb/_bulk", bulk("during", 300)));
        for (int i = 0; i < 600 && texts() == before && during.isDone() == false; i++) {
            Thread.sleep(20);
        }
        assertFalse("the bulk was over before the node could be killed", during.isDone());
        // Killed as a crash would, then started again on its data, while the bulk goes on.
        dataB.killAndRestart();
        int beforeDuring = acknowledged.size();
        collect(during.get(3, TimeUnit.MINUTES).json(), acknowledged, failed);
        int duringAcknowledged = acknowledged.size() - beforeDuring;
        // Each copy of a shard the dead node held had a copy on a live node: most of the bulk lands all the same.
        assertTrue("the bulk during the kill acknowledged " + duringAcknowledged + " of 300; failed: " + failed, duringAcknowledged >= 150);
        collect(manager.post("/kb/_bulk", bulk("after", 30)).json(), acknowledged, failed);

        JsonNode health = manager.get("/_cluster/health/kb?wait_for_status=green&wait_for_nodes=3&timeout=90s").json();
        assertFalse(health.toString(), health.path("timed_out").asBoolean());
        manager.postOk("/kb/_refresh", "");
        JsonNode found = manager.post("/kb/_mget", "{\"ids\": " + JSON.valueToTree(acknowledged) + "}").json();
        List<String> lost = new ArrayList<>();
        for (JsonNode doc : found.path("docs")) {
            if (doc.path("found").asBoolean() == false) {
                lost.add(doc.path("_id").asText());
            }
        }
        assertEquals("acknowledged documents lost with the node", List.of(), lost);
        // Every acknowledged document was stored with its passages, on whichever copy survived.
        JsonNode embedded = manager.post("/kb/_count", "{\"query\": {\"bool\": {\"filter\": [{\"ids\": {\"values\": "
            + JSON.valueToTree(acknowledged) + "}}, {\"nested\": {\"path\": \"body_semantic.passages\", "
            + "\"query\": {\"exists\": {\"field\": \"body_semantic.passages.vector\"}}}}]}}}").json();
        assertEquals(embedded.toString(), acknowledged.size(), embedded.path("count").asInt());
        // And search by meaning finds a document by what it says, not any document.
        assertEquals(201, manager.put("/kb/_doc/rsync?refresh=true", "{\"body\": \"Rsync copies files to and from remote machines "
            + "over ssh, sending only the parts that changed.\"}").status());
        JsonNode hits = manager.post("/kb/_search", "{\"size\": 1, \"query\": {\"semantic\": {\"field\": \"body\", "
            + "\"query\": \"copy files to another computer\"}}}").json();
        assertEquals(hits.toString(), "rsync", hits.path("hits").path("hits").path(0).path("_id").asText());
    }

    @Test
    public void aDataNodeThatLoadsNoModelsSaysSoAndIsNotCountedAsMissingThem() {
        JsonNode cluster = manager.get("/_plugins/_semantic/models").json().path("cluster");
        assertEquals(cluster.toString(), "nl-data-a", cluster.path("models_not_loaded_on").path(0).asText());
        assertEquals(cluster.toString(), 0, cluster.path("models").path("all-minilm-l6-v2").path("missing_on").size());
        // A text query it coordinates is embedded on a node that loads models: the same hits as through that node.
        manager.postOk("/kb/_bulk?refresh=true", bulk("query", 5));
        String query = "{\"size\": 3, \"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"which logs are kept for four weeks\"}}}";
        LocalNode.Response viaData = dataA.post("/kb/_search", query);
        assertEquals(viaData.toString(), 200, viaData.status());
        JsonNode viaManager = manager.post("/kb/_search", query).json().path("hits").path("hits");
        assertEquals(viaData.body(), 3, viaData.json().path("hits").path("hits").size());
        assertEquals(viaData.body(), viaManager.path(0).path("_id").asText(), viaData.json().path("hits").path("hits").path(0).path("_id").asText());

        // Sentence highlights of a shard it holds (its only copy): the sentences are embedded on a node that loads
        // models, and come out as where the shard is on such a node.
        String highlighted = "{\"size\": 3, \"_source\": false, \"query\": {\"semantic\": {\"field\": \"body\", \"query\": "
            + "\"which logs are kept for four weeks\"}}, \"highlight\": {\"fields\": {\"body\": {\"type\": \"semantic_sentences\", "
            + "\"number_of_fragments\": 2}}}}";
        Map<String, JsonNode> highlights = new HashMap<>();
        for (String node : List.of("nl-data-a", "nl-manager")) {
            String index = "kb-on-" + node;
            assertEquals(200, manager.put("/" + index, "{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0, "
                + "\"index.routing.allocation.require._name\": \"" + node + "\"}, \"mappings\": {\"properties\": {\"body\": {\"type\": "
                + "\"semantic_text\"}}}}").status());
            assertEquals(200, manager.post("/" + index + "/_bulk?refresh=true", bulk("highlighted", 3)).status());
            LocalNode.Response response = manager.post("/" + index + "/_search", highlighted);
            assertEquals(response.toString(), 200, response.status());
            assertEquals(response.body(), 0, response.json().path("_shards").path("failed").asInt());
            JsonNode hits = response.json().path("hits").path("hits");
            assertEquals(response.body(), 3, hits.size());
            for (JsonNode hit : hits) {
                assertEquals(hit.toString(), 2, hit.path("highlight").path("body").size());
                highlights.merge(hit.path("_id").asText(), hit.path("fields"), (onA, onManager) -> {
                    assertEquals("the same sentences and scores on the node without models", onManager, onA);
                    return onA;
                });
            }
        }
        assertEquals(highlights.toString(), 3, highlights.size());

        // _embed and _rag sent to it are answered by a node that loads models: the same vectors, the same answer.
        String texts = "{\"texts\": [\"hello\", \"rotate the logs\"], \"input_type\": \"query\"}";
        LocalNode.Response embedViaData = dataA.post("/_plugins/_semantic/_embed", texts);
        assertEquals(embedViaData.toString(), 200, embedViaData.status());
        assertEquals(manager.post("/_plugins/_semantic/_embed", texts).json(), embedViaData.json());
        String question = "{\"question\": \"How long are logs kept?\", \"field\": \"body\", \"k\": 3}";
        LocalNode.Response ragViaData = dataA.post("/kb/_rag", question);
        assertEquals(ragViaData.toString(), 200, ragViaData.status());
        JsonNode ragViaManager = manager.post("/kb/_rag", question).json();
        assertTrue(ragViaData.body(), ragViaData.json().path("answer").asText().contains("four weeks"));
        assertEquals(ragViaManager.path("answer"), ragViaData.json().path("answer"));
        assertEquals(ragViaManager.path("citations"), ragViaData.json().path("citations"));
        // The answer model travels back with the answer (wire format 2).
        assertEquals(ragViaData.body(), "all-minilm-l6-v2-int8", ragViaData.json().path("answer_model").asText());
        // A bad request is refused where it came in, before anything is sent.
        LocalNode.Response bad = dataA.post("/kb/_rag", "{\"question\": \"How long?\", \"field\": \"body\", \"k\": 0}");
        assertEquals(bad.toString(), 400, bad.status());
    }
}
