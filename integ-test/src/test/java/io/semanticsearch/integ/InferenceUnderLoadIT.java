package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
        node.putOk("/busy", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}}}}");
        node.postOk("/busy/_doc/seed?refresh=true", "{\"body\": \"rsync copies files to and from remote machines over ssh.\"}");
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
        assertTrue("the ingest lane is busy with the bulk", pool("semantic_inference").path("active").asInt() >= 1);
        long searchLaneCalls = pool("semantic_search_inference").path("completed").asLong();
        long misses = stats().path("query_cache").path("misses").asLong();

        LocalNode.Response search = node.post(
            "/busy/_search",
            "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"copy files to another computer " + System.nanoTime() + "\"}}}"
        );
        // How far the bulk's embedding had come when the answer was back, by the node's own count of texts.
        long embeddedAtAnswer = ingestTexts() - before;
        assertEquals(search.toString(), 200, search.status());
        assertEquals("its text was embedded on the search lane", searchLaneCalls + 1, pool("semantic_search_inference").path("completed").asLong());
        assertEquals("a new text is one miss of the query cache", misses + 1, stats().path("query_cache").path("misses").asLong());

        LocalNode.Response done = bulkResponse.get(5, TimeUnit.MINUTES);
        assertFalse(done.body().substring(0, Math.min(300, done.body().length())), done.json().path("errors").asBoolean());
        long bulkTexts = ingestTexts() - before;
        assertTrue(
            "the search was answered while the bulk was embedding (" + embeddedAtAnswer + " of its " + bulkTexts + " passages done), "
                + "not after it",
            embeddedAtAnswer < bulkTexts
        );
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
    public void aCancelledEmbedStopsAndLeavesTheLane() throws Exception {
        String body = embedBody("cancel");
        long before = ingestTexts();
        CompletableFuture<LocalNode.Response> call = CompletableFuture.supplyAsync(() -> node.post("/_plugins/_semantic/_embed", body));
        JsonNode task = awaitTask(EMBED_ACTION);
        assertTrue(task.toString(), task.path("cancellable").asBoolean());
        assertEquals(200, node.post("/_tasks/_cancel?actions=" + EMBED_ACTION, "").status());

        LocalNode.Response response = call.get(2, TimeUnit.MINUTES);
        assertTrue(response.toString(), response.status() >= 400 && response.body().contains("cancelled"));
        assertTrue("the runs after the cancellation were skipped", ingestTexts() - before < EMBED_TEXTS);
        assertNoTask(EMBED_ACTION);
    }

    @Test
    public void aClosedConnectionCancelsItsEmbed() throws Exception {
        byte[] body = embedBody("closed").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long before = ingestTexts();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", node.httpPort())) {
            String head = "POST /_plugins/_semantic/_embed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            awaitTask(EMBED_ACTION);
        } // the client goes away
        assertNoTask(EMBED_ACTION);
        assertTrue("the runs after the connection closed were skipped", ingestTexts() - before < EMBED_TEXTS);
    }

    private static final String EMBED_ACTION = "cluster:admin/semantic/embed";
    private static final int EMBED_TEXTS = 200;

    /** Enough long texts for the ingest lane to cut the call into several runs of a second or so. */
    private static String embedBody(String prefix) {
        StringBuilder texts = new StringBuilder();
        for (int i = 0; i < EMBED_TEXTS; i++) {
            texts.append(i == 0 ? "" : ", ").append(JSON.valueToTree(prefix + " " + i + " " + PARAGRAPH.repeat(3)).toString());
        }
        return "{\"texts\": [" + texts + "]}";
    }

    private static JsonNode awaitTask(String action) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            JsonNode nodes = node.get("/_tasks?detailed=true&actions=" + action).json().path("nodes");
            for (JsonNode n : nodes) {
                for (JsonNode task : n.path("tasks")) {
                    return task;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no [" + action + "] task appeared");
    }

    private static void assertNoTask(String action) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            if (node.get("/_tasks?actions=" + action).json().path("nodes").size() == 0) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the [" + action + "] task is still there: " + node.get("/_tasks?actions=" + action).body());
    }

    private static final String BULK_ACTION = "indices:data/write/semantic/embed_documents";

    @Test
    public void aCancelledBulkInferenceFailsOnlyTheDocumentsItHadNotEmbedded() throws Exception {
        CompletableFuture<LocalNode.Response> bulk = CompletableFuture.supplyAsync(
            () -> node.post("/busy/_bulk?refresh=true", longBulk("cancelled", 300))
        );
        JsonNode task = awaitTask(BULK_ACTION);
        assertTrue(task.toString(), task.path("cancellable").asBoolean());
        assertTrue(task.toString(), task.path("description").asText().contains("300 documents") && task.path("description").asText().contains("busy"));
        assertEquals(200, node.post("/_tasks/_cancel?actions=" + BULK_ACTION, "").status());

        JsonNode response = bulk.get(5, TimeUnit.MINUTES).json();
        int indexed = 0;
        int cancelled = 0;
        for (JsonNode item : response.path("items")) {
            JsonNode result = item.path("index");
            if (result.path("status").asInt() == 201) {
                indexed++;
            } else {
                assertEquals(result.toString(), "task_cancelled_exception", result.path("error").path("type").asText());
                cancelled++;
            }
        }
        assertEquals(300, indexed + cancelled);
        assertTrue("the documents after the cancellation were not embedded", cancelled > 0);
        assertNoTask(BULK_ACTION);
        // What was embedded before is indexed and found; the lane takes the next bulk.
        JsonNode count = node.post("/busy/_count", "{\"query\": {\"match\": {\"body\": \"cancelled\"}}}").json();
        assertEquals(count.toString(), indexed, count.path("count").asInt());
        JsonNode next = node.post("/busy/_bulk?refresh=true", longBulk("after-cancel", 3)).json();
        assertFalse(next.toString(), next.path("errors").asBoolean());
    }

    @Test
    public void aRepeatedQueryTextComesFromTheCache() {
        // An index of its own: the other tests' bulks into [busy] may still be turning visible between its searches.
        assertEquals(200, node.put("/cached", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}}}}").status());
        node.postOk("/cached/_doc/rsync?refresh=true", "{\"body\": \"rsync copies files to and from remote machines over ssh.\"}");
        node.postOk("/cached/_doc/cron?refresh=true", "{\"body\": \"cron runs scheduled jobs.\"}");
        String query = "{\"_source\": false, \"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"secure file copy "
            + System.nanoTime() + "\"}}}";
        LocalNode.Response first = node.post("/cached/_search", query);
        assertEquals(first.toString(), 200, first.status());
        JsonNode before = stats();
        LocalNode.Response second = node.post("/cached/_search", query);
        JsonNode after = stats();
        assertEquals(first.json().path("hits"), second.json().path("hits"));
        assertEquals(before.path("query_cache").path("hits").asLong() + 1, after.path("query_cache").path("hits").asLong());
        assertEquals("no model call", before.path("models").path(MINILM).path("texts"), after.path("models").path(MINILM).path("texts"));
        assertTrue(after.toString(), after.path("query_cache").path("entries").asLong() >= 1);
        assertTrue(after.path("query_cache").path("bytes").asLong() > 0);

        // Cleared, the same text is embedded again: a miss, not a hit.
        LocalNode.Response clear = node.post("/_plugins/_semantic/query_cache/_clear", "");
        assertEquals(clear.toString(), 200, clear.status());
        JsonNode cleared = clear.json().path("nodes").elements().next();
        assertTrue(clear.toString(), cleared.path("cleared_entries").asLong() >= 1);
        JsonNode empty = stats();
        assertEquals(empty.toString(), 0, empty.path("query_cache").path("entries").asLong());
        LocalNode.Response third = node.post("/cached/_search", query);
        JsonNode afterClear = stats();
        assertEquals(first.json().path("hits"), third.json().path("hits"));
        assertEquals(empty.path("query_cache").path("hits").asLong(), afterClear.path("query_cache").path("hits").asLong());
        assertEquals(empty.path("query_cache").path("misses").asLong() + 1, afterClear.path("query_cache").path("misses").asLong());
    }

    @Test
    public void aBulksModelRunsGoOnThreadsOfALowerCpuPriority() throws IOException {
        JsonNode bulk = node.post("/busy/_bulk?refresh=true", longBulk("niced", 20)).json();
        assertFalse(bulk.toString(), bulk.path("errors").asBoolean());
        // Nice values as the kernel keeps them: field 19 of /proc/<pid>/task/<tid>/stat.
        int niced = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(node.pid()), "task"))) {
            for (Path task : tasks) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (NoSuchFileException gone) {
                    continue; // a thread that ended meanwhile
                }
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                if (Integer.parseInt(fields[16]) == 5) {
                    niced++;
                }
            }
        }
        // The model threads only (plugins.semantic.inference.pool.nice: 5), at most one per thread of the ingest lane:
        // none of the threads OpenSearch's pools start from them has inherited it.
        int lane = node.get("/_nodes/_local/thread_pool").json().path("nodes").elements().next()
            .path("thread_pool").path("semantic_inference").path("size").asInt();
        assertTrue("threads at nice 5: " + niced + ", ingest lane threads: " + lane, niced >= 1 && niced <= lane);
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
