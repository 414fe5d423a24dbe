package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * Inference while the node is busy, on a real node: a search is answered while a long bulk is still embedding (its
 * query text takes the search lane, not the queue behind the bulk's model calls), and a repeated query text comes
 * from the query cache, without a model call. Both proved by order and counters, not by timings.
 */
public class InferenceUnderLoadIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MINILM = "all-minilm-l6-v2";
    private static final String PARAGRAPH = "Logrotate is designed to ease administration of systems that generate large numbers of "
        + "log files. It allows automatic rotation, compression, removal and mailing of log files. Each log file may be handled "
        + "daily, weekly, monthly, or when it grows too large. ";

    private static LocalNode node;

    @BeforeClass
    public static void startNode() throws Exception {
        node = LocalNode.builder("under-load").plugin(LocalNode.pluginZip()).start();
        node.put("/busy", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}}}}");
        node.post("/busy/_doc/seed?refresh=true", "{\"body\": \"rsync copies files to and from remote machines over ssh.\"}");
    }

    @AfterClass
    public static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    public void aSearchIsAnsweredWhileALongBulkIsStillEmbedding() throws Exception {
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            bulk.append("{\"index\": {\"_id\": \"long-").append(i).append("\"}}\n");
            bulk.append("{\"body\": ").append(JSON.valueToTree(i + ": " + PARAGRAPH.repeat(4)).toString()).append("}\n");
        }
        long before = ingestTexts();
        CompletableFuture<LocalNode.Response> bulkResponse = CompletableFuture.supplyAsync(() -> node.post("/busy/_bulk", bulk.toString()));
        // Wait until the bulk's embedding has begun: the model has embedded some of its passages.
        for (int i = 0; i < 600 && ingestTexts() == before && bulkResponse.isDone() == false; i++) {
            Thread.sleep(50);
        }
        assertFalse("the bulk was over before the test could search during it", bulkResponse.isDone());
        assertEquals("the ingest lane is busy with the bulk", 1, pool("semantic_inference").path("active").asInt());
        long searchLaneCalls = pool("semantic_search_inference").path("completed").asLong();

        LocalNode.Response search = node.post(
            "/busy/_search",
            "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"copy files to another computer " + System.nanoTime() + "\"}}}"
        );
        assertEquals(search.toString(), 200, search.status());
        assertFalse("the search waited for the whole bulk", bulkResponse.isDone());
        assertEquals("its text was embedded on the search lane", searchLaneCalls + 1, pool("semantic_search_inference").path("completed").asLong());

        LocalNode.Response done = bulkResponse.get(5, TimeUnit.MINUTES);
        assertFalse(done.body().substring(0, Math.min(300, done.body().length())), done.json().path("errors").asBoolean());
        JsonNode cache = stats().path("query_cache");
        assertTrue(cache.toString(), cache.path("misses").asLong() >= 1);
    }

    @Test
    public void aFullIngestBacklogAnswersNewBulkItemsWith429WhileSearchesAreServed() throws Exception {
        // A backlog of one bulk, for this test only (the setting is dynamic).
        assertEquals(200, node.put("/_cluster/settings", "{\"transient\": {\"plugins.semantic.ingest.max_pending_batches\": 1}}").status());
        try {
            refusedWhileTheFirstBulkEmbeds();
        } finally {
            node.put("/_cluster/settings", "{\"transient\": {\"plugins.semantic.ingest.max_pending_batches\": null}}");
        }
    }

    private void refusedWhileTheFirstBulkEmbeds() throws Exception {
        long before = ingestTexts();
        CompletableFuture<LocalNode.Response> first = CompletableFuture.supplyAsync(() -> node.post("/busy/_bulk", longBulk("first", 300)));
        for (int i = 0; i < 600 && ingestTexts() == before && first.isDone() == false; i++) {
            Thread.sleep(50);
        }
        assertFalse("the first bulk was over before the test could send another", first.isDone());

        JsonNode second = node.post("/busy/_bulk", longBulk("second", 10)).json();
        assertTrue(second.toString().substring(0, 300), second.path("errors").asBoolean());
        for (JsonNode item : second.path("items")) {
            assertEquals(item.toString(), 429, item.path("index").path("status").asInt());
            assertEquals("rejected_execution_exception", item.path("index").path("error").path("type").asText());
            assertTrue(item.toString(), item.path("index").path("error").path("reason").asText().contains("[plugins.semantic.ingest.max_pending_batches]"));
        }
        LocalNode.Response search = node.post(
            "/busy/_search",
            "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"copy files " + System.nanoTime() + "\"}}}"
        );
        assertEquals(search.toString(), 200, search.status());

        // The bulk that was admitted loses nothing.
        JsonNode firstResponse = first.get(5, TimeUnit.MINUTES).json();
        assertFalse(firstResponse.toString().substring(0, 300), firstResponse.path("errors").asBoolean());
    }

    private static String longBulk(String prefix, int documents) {
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < documents; i++) {
            bulk.append("{\"index\": {\"_id\": \"").append(prefix).append('-').append(i).append("\"}}\n");
            bulk.append("{\"body\": ").append(JSON.valueToTree(prefix + " " + i + ": " + PARAGRAPH.repeat(4)).toString()).append("}\n");
        }
        return bulk.toString();
    }

    @Test
    public void aRepeatedQueryTextComesFromTheCache() {
        node.post("/busy/_refresh", ""); // the other test's bulk may still be turning visible
        String query = "{\"_source\": false, \"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"secure file copy "
            + System.nanoTime() + "\"}}}";
        LocalNode.Response first = node.post("/busy/_search", query);
        assertEquals(first.toString(), 200, first.status());
        JsonNode before = stats();
        LocalNode.Response second = node.post("/busy/_search", query);
        JsonNode after = stats();
        assertEquals(first.json().path("hits"), second.json().path("hits"));
        assertEquals(before.path("query_cache").path("hits").asLong() + 1, after.path("query_cache").path("hits").asLong());
        assertEquals("no model call", before.path("models").path(MINILM).path("texts"), after.path("models").path(MINILM).path("texts"));
        assertTrue(after.toString(), after.path("query_cache").path("entries").asLong() >= 1);
        assertTrue(after.path("query_cache").path("bytes").asLong() > 0);
    }

    private static JsonNode pool(String name) {
        JsonNode nodes = node.get("/_nodes/_local/stats/thread_pool").json().path("nodes");
        return nodes.elements().next().path("thread_pool").path(name);
    }

    private static JsonNode stats() {
        return node.get("/_plugins/_semantic/stats").json().path("nodes").elements().next();
    }

    private static long ingestTexts() {
        return stats().path("models").path(MINILM).path("texts").asLong();
    }
}
