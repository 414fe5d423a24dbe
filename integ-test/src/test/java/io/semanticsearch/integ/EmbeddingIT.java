package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * The embedding APIs on a real node with the installed zip: both bundled models answer with the reference vectors,
 * bad requests get a 400 that says what is wrong, a full inference pool answers 429, and a broken custom model
 * folder leaves the node up with the failure listed.
 */
public class EmbeddingIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static LocalNode node;
    private static Path brokenModel;

    @BeforeClass
    public static void startNode() throws Exception {
        brokenModel = Files.createTempDirectory("broken-model");
        Files.writeString(brokenModel.resolve("model.json"), """
            {"name": "broken-model", "dims": 384, "pooling": "mean", "normalize": true, "max_tokens": 128}""");
        Files.writeString(brokenModel.resolve("model.onnx"), "this is not an onnx file");
        Files.copy(Paths.get(System.getProperty("models.dir"), "all-minilm-l6-v2-tokenizer.json"), brokenModel.resolve("tokenizer.json"));
        node = LocalNode.builder("embedding")
            .plugin(LocalNode.pluginZip())
            .configFile("opensearch-semantic/models/broken-model", brokenModel)
            .setting("plugins.semantic.inference.pool.queue_size", "2")
            .start();
    }

    @AfterClass
    public static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    public void listsBothBundledModelsAndTheBrokenOne() {
        LocalNode.Response response = node.get("/_plugins/_semantic/models");
        assertEquals(response.toString(), 200, response.status());
        Map<String, JsonNode> models = new HashMap<>();
        response.json().path("models").forEach(m -> models.put(m.path("name").asText(), m));
        assertEquals(response.body(), "all-minilm-l6-v2", response.json().path("default_model").asText());

        JsonNode minilm = models.get("all-minilm-l6-v2");
        assertEquals(response.body(), "loaded", minilm.path("status").asText());
        assertEquals(384, minilm.path("dims").asInt());
        assertEquals("mean", minilm.path("pooling").asText());
        assertEquals("bundled", minilm.path("source").asText());
        assertTrue(minilm.path("default").asBoolean());

        JsonNode bge = models.get("bge-small-zh-v1.5");
        assertEquals(response.body(), "loaded", bge.path("status").asText());
        assertEquals(512, bge.path("dims").asInt());
        assertEquals("cls", bge.path("pooling").asText());

        JsonNode int8 = models.get("all-minilm-l6-v2-int8");
        assertEquals(response.body(), "loaded", int8.path("status").asText());
        assertEquals(384, int8.path("dims").asInt());
        assertEquals(response.body(), "all-minilm-l6-v2", int8.path("quantized_from").asText());
        assertFalse(response.body(), minilm.has("quantized_from"));

        JsonNode broken = models.get("broken-model");
        assertEquals(response.body(), "failed", broken.path("status").asText());
        assertEquals("custom", broken.path("source").asText());
        assertTrue(broken.toString(), broken.path("reason").asText().contains("model.onnx"));
    }

    @Test
    public void embedsLikeTheReferenceWithBothModels() throws IOException {
        for (String model : List.of("all-minilm-l6-v2", "bge-small-zh-v1.5")) {
            List<JsonNode> oracle = oracle(model).subList(0, 12);
            ObjectNode body = JSON.createObjectNode().put("model", model);
            ArrayNode texts = body.putArray("texts");
            oracle.forEach(o -> texts.add(o.path("text").asText()));
            LocalNode.Response response = node.post("/_plugins/_semantic/_embed", body.toString());
            assertEquals(response.toString(), 200, response.status());
            JsonNode json = response.json();
            assertEquals(model, json.path("model").asText());
            assertEquals(oracle.get(0).path("embedding").size(), json.path("dims").asInt());
            for (int i = 0; i < oracle.size(); i++) {
                double cosine = cosine(oracle.get(i).path("embedding"), json.path("embeddings").path(i));
                assertTrue(model + " text [" + oracle.get(i).path("text").asText() + "] cosine " + cosine, cosine >= 0.9999);
            }
        }
    }

    @Test
    public void defaultModelAndStats() {
        long before = statsTexts("all-minilm-l6-v2");
        LocalNode.Response response = node.post("/_plugins/_semantic/_embed", """
            {"texts": ["how do I rotate logs", "log rotation is configured in logrotate.conf"], "input_type": "query"}""");
        assertEquals(response.toString(), 200, response.status());
        assertEquals("all-minilm-l6-v2", response.json().path("model").asText());
        assertEquals(2, response.json().path("embeddings").size());
        assertEquals(384, response.json().path("embeddings").path(1).size());
        assertEquals(before + 2, statsTexts("all-minilm-l6-v2"));
        JsonNode stats = modelStats("all-minilm-l6-v2");
        assertTrue(stats.toString(), stats.path("tokens").asLong() > 0);
        assertTrue(stats.toString(), stats.path("model_bytes").asLong() > 80_000_000);
        assertTrue(stats.toString(), stats.path("batches").asLong() > 0);
        assertTrue(stats.toString(), stats.path("latency_ms").path("p99").asDouble() > 0);
    }

    @Test
    public void badRequestsAreRejectedWithTheParameterNamed() {
        assertBadRequest("{\"model\": \"nope\", \"texts\": [\"x\"]}", "all-minilm-l6-v2");
        assertBadRequest("{\"texts\": []}", "[texts]");
        assertBadRequest("{\"texts\": [\"ok\", 3]}", "[texts][1]");
        assertBadRequest("{\"texts\": \"just a string\"}", "[texts]");
        assertBadRequest("{}", "[texts]");
        assertBadRequest("{\"texts\": [\"x\"], \"input_type\": \"question\"}", "[input_type]");
        assertBadRequest("{\"texts\": [\"x\"], \"colour\": \"red\"}", "[colour]");
        assertBadRequest(null, "body");
        assertBadRequest("{\"texts\": [\"ok\", \" \\u0000\\u200b \"]}", "[texts][1] has nothing to embed");
        assertBadRequest("{\"texts\": [\"ok\", \"\"]}", "[texts][1] has nothing to embed");
        assertBadRequest("{\"texts\": " + "[".repeat(2000) + "]".repeat(2000) + "}", "[_embed] cannot read the request body");
        assertBadRequest("{\"texts\": " + "[".repeat(100) + "\"x\"" + "]".repeat(100) + "}", "nested more than [64] levels deep");

        LocalNode.Response setting = node.put("/_cluster/settings", "{\"transient\": {\"plugins.semantic.embed.max_texts\": 2}}");
        assertEquals(setting.toString(), 200, setting.status());
        try {
            assertBadRequest("{\"texts\": [\"a\", \"b\", \"c\"]}", "plugins.semantic.embed.max_texts");
        } finally {
            node.put("/_cluster/settings", "{\"transient\": {\"plugins.semantic.embed.max_texts\": null}}");
        }
    }

    @Test
    public void aFullInferencePoolAnswers429() throws Exception {
        StringBuilder texts = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            texts.append(i == 0 ? "" : ",").append("\"passage number ").append(i).append(" about log rotation and disk space\"");
        }
        String body = "{\"texts\": [" + texts + "]}";
        long rejectionsBefore = modelStats("all-minilm-l6-v2").path("rejections").asLong();
        ExecutorService clients = Executors.newFixedThreadPool(12);
        try {
            List<CompletableFuture<LocalNode.Response>> calls = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                calls.add(CompletableFuture.supplyAsync(() -> node.post("/_plugins/_semantic/_embed", body), clients));
            }
            int ok = 0;
            int rejected = 0;
            for (CompletableFuture<LocalNode.Response> call : calls) {
                LocalNode.Response response = call.get();
                if (response.status() == 200) {
                    ok++;
                } else {
                    assertEquals(response.toString(), 429, response.status());
                    assertTrue(response.body(), response.body().contains("rejected"));
                    rejected++;
                }
            }
            assertTrue("ok " + ok, ok >= 1);
            assertTrue("no request was rejected by a pool with queue_size 2", rejected >= 1);
            long rejectionsAfter = modelStats("all-minilm-l6-v2").path("rejections").asLong();
            assertEquals(rejectionsBefore + rejected, rejectionsAfter);
        } finally {
            clients.shutdownNow();
        }
    }

    private static void assertBadRequest(String body, String expectedInMessage) {
        LocalNode.Response response = body == null
            ? node.post("/_plugins/_semantic/_embed", null)
            : node.post("/_plugins/_semantic/_embed", body);
        assertEquals(response.toString(), 400, response.status());
        assertTrue(response.body(), response.body().contains(expectedInMessage));
    }

    private static long statsTexts(String model) {
        return modelStats(model).path("texts").asLong();
    }

    /** The model's counters on the (only) node, through the cluster-wide stats API. */
    private static JsonNode modelStats(String model) {
        JsonNode stats = node.get("/_plugins/_semantic/stats").json();
        assertEquals(stats.toString(), 1, stats.path("_nodes").path("successful").asInt());
        JsonNode onlyNode = stats.path("nodes").elements().next();
        assertEquals(stats.toString(), "embedding", onlyNode.path("name").asText());
        return onlyNode.path("models").path(model);
    }

    static List<JsonNode> oracle(String model) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(Paths.get(System.getProperty("oracle.dir"), model + ".jsonl"))) {
            if (line.isBlank() == false) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }

    static double cosine(JsonNode a, JsonNode b) {
        assertEquals(a.size(), b.size());
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.size(); i++) {
            double x = a.get(i).asDouble(), y = b.get(i).asDouble();
            dot += x * y;
            na += x * x;
            nb += y * y;
        }
        return dot / Math.sqrt(na * nb);
    }
}
