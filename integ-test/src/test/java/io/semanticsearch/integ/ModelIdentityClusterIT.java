package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * Two nodes that disagree about a custom model: on {@code mi-a} the model {@code shared} is the int8 MiniLM, on
 * {@code mi-b} the fp32 one (same name, same dims, other files), and {@code only-a} exists on {@code mi-a} alone.
 * {@code GET /_plugins/_semantic/models} flags both from either node; a mapping records {@code mi-a}'s files, so
 * {@code mi-b} refuses to embed documents and query texts for it, with an error naming the node and the model, and
 * never writes or searches with vectors of other files.
 */
public class ModelIdentityClusterIT {

    private static LocalNode a;
    private static LocalNode b;

    private static Path model(String name, String onnx, String tokenizer) throws IOException {
        Path folder = Files.createTempDirectory(name);
        Path files = Paths.get(System.getProperty("models.dir"));
        Files.writeString(folder.resolve("model.json"),
            "{\"name\": \"" + name + "\", \"dims\": 384, \"pooling\": \"mean\", \"normalize\": true, \"max_tokens\": 256}");
        Files.copy(files.resolve(onnx), folder.resolve("model.onnx"));
        Files.copy(files.resolve(tokenizer), folder.resolve("tokenizer.json"));
        return folder;
    }

    @BeforeClass
    public static void startCluster() throws Exception {
        a = LocalNode.builder("mi-a")
            .plugin(LocalNode.pluginZip())
            .cluster("model-identity", null)
            .setting("node.roles", "[cluster_manager, data, ingest]")
            .configFile("opensearch-semantic/models/shared", model("shared", "all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json"))
            .configFile("opensearch-semantic/models/only-a", model("only-a", "all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json"))
            .start();
        b = LocalNode.builder("mi-b")
            .plugin(LocalNode.pluginZip())
            .cluster("model-identity", a)
            .setting("node.roles", "[data, ingest]")
            .configFile("opensearch-semantic/models/shared", model("shared", "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json"))
            .start();
        JsonNode health = a.get("/_cluster/health?wait_for_nodes=2&timeout=60s").json();
        assertEquals(health.toString(), 2, health.path("number_of_nodes").asInt());
        for (String model : new String[] { "shared", "only-a" }) {
            assertEquals(200, a.put("/kb-" + model, "{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 1}, "
                + "\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\", \"model\": \"" + model + "\"}}}}").status());
        }
        a.get("/_cluster/health?wait_for_status=green&timeout=60s");
    }

    @AfterClass
    public static void stopCluster() {
        for (LocalNode node : new LocalNode[] { b, a }) {
            if (node != null) {
                node.close();
            }
        }
    }

    @Test
    public void theModelsEndpointFlagsAnotherFileAndAMissingModelFromEitherNode() {
        for (LocalNode node : new LocalNode[] { a, b }) {
            JsonNode cluster = node.get("/_plugins/_semantic/models").json().path("cluster");
            assertEquals(cluster.toString(), 2, cluster.path("nodes").asInt());
            assertFalse(cluster.toString(), cluster.path("consistent").asBoolean());
            JsonNode shared = cluster.path("models").path("shared");
            assertFalse(shared.toString(), shared.path("consistent").asBoolean());
            assertEquals(shared.toString(), 2, shared.path("fingerprints").size());
            assertEquals(cluster.toString(), "mi-b", cluster.path("models").path("only-a").path("missing_on").path(0).asText());
            assertTrue(cluster.toString(), cluster.path("models").path("all-minilm-l6-v2").path("consistent").asBoolean());
        }
    }

    @Test
    public void theNodeWithOtherFilesRefusesToEmbedDocumentsAndQueries() {
        String doc = "{\"body\": \"Logrotate rotates, compresses and mails system logs.\"}";
        assertEquals(201, a.post("/kb-shared/_doc/on-a?refresh=true", doc).status());
        LocalNode.Response throughB = b.post("/kb-shared/_doc/on-b", doc);
        assertEquals(throughB.toString(), 400, throughB.status());
        assertTrue(throughB.body(), throughB.body().contains("node [mi-b]") && throughB.body().contains("[shared]") && throughB.body().contains("fingerprint"));

        String query = "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"rotate logs\"}}}";
        assertEquals(200, a.post("/kb-shared/_search", query).status());
        LocalNode.Response searchB = b.post("/kb-shared/_search", query);
        assertEquals(searchB.toString(), 400, searchB.status());
        assertTrue(searchB.body(), searchB.body().contains("on node [mi-b]") && searchB.body().contains("[shared]"));
    }

    @Test
    public void sentenceHighlightsOnTheNodeWithOtherFilesAreRefused() {
        assertEquals(201, a.post("/kb-shared/_doc/highlighted?refresh=true",
            "{\"body\": \"Logrotate rotates, compresses and mails system logs. It runs daily from cron.\"}").status());
        JsonNode vector = a.post("/_plugins/_semantic/_embed", "{\"texts\": [\"rotate logs\"], \"model\": \"shared\", \"input_type\": \"query\"}")
            .json().path("embeddings").path(0);
        assertEquals(vector.toString(), 384, vector.size());
        // A vector query runs on either copy of the shard; the highlighter embeds the hits' sentences where the copy is.
        String search = "{\"query\": {\"semantic\": {\"field\": \"body\", \"vector\": " + vector + "}}, "
            + "\"highlight\": {\"fields\": {\"body\": {\"type\": \"semantic_sentences\"}}}}";
        LocalNode.Response onA = a.post("/kb-shared/_search?preference=_only_nodes:mi-a", search);
        assertEquals(onA.toString(), 200, onA.status());
        JsonNode hits = onA.json().path("hits").path("hits");
        assertTrue(onA.body(), hits.size() >= 1 && hits.path(0).path("highlight").path("body").size() >= 1);
        LocalNode.Response onB = a.post("/kb-shared/_search?preference=_only_nodes:mi-b", search);
        assertTrue(onB.body(), onB.body().contains("fingerprint") && onB.body().contains("[shared]") && onB.body().contains("on node [mi-b]"));
        assertTrue(onB.toString(), onB.status() == 400 || onB.json().path("_shards").path("failed").asInt() == 1);
    }

    @Test
    public void aPipelineOnTheNodeWithOtherFilesRefusesToWriteIntoAFieldMappedWithTheFirst() {
        assertEquals(200, a.put("/_ingest/pipeline/embed-shared", "{\"processors\": [{\"semantic_embed\": {\"field_map\": {\"text\": \"text_vec\"}, "
            + "\"model\": \"shared\"}}]}").status());
        assertEquals(200, a.put("/vec-shared", "{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0, \"default_pipeline\": \"embed-shared\"}, "
            + "\"mappings\": {\"properties\": {\"text\": {\"type\": \"text\"}, \"text_vec\": {\"type\": \"semantic_vector\", \"model\": \"shared\"}}}}").status());
        String doc = "{\"text\": \"Logrotate rotates, compresses and mails system logs.\"}";
        assertEquals(201, a.post("/vec-shared/_doc/on-a", doc).status());
        LocalNode.Response throughB = b.post("/vec-shared/_doc/on-b", doc);
        assertEquals(throughB.toString(), 400, throughB.status());
        assertTrue(throughB.body(), throughB.body().contains("node [mi-b]") && throughB.body().contains("[shared]") && throughB.body().contains("fingerprint"));
    }

    @Test
    public void aMappingSentToTheNodeWithoutTheModelRecordsTheIdentityTheOthersHold() {
        LocalNode.Response created = b.put("/kb-only-a-via-b", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\", \"model\": \"only-a\"}}}}");
        assertEquals(created.toString(), 200, created.status());
        JsonNode body = b.get("/kb-only-a-via-b/_mapping").json().path("kb-only-a-via-b").path("mappings").path("properties").path("body");
        JsonNode onA = a.get("/kb-only-a/_mapping").json().path("kb-only-a").path("mappings").path("properties").path("body");
        assertEquals(body.toString(), 384, body.path("dims").asInt());
        assertEquals(body.toString(), onA.path("model_fingerprint").asText(), body.path("model_fingerprint").asText());
        // A model no node holds is refused with the cluster's models.
        LocalNode.Response disputed = b.put("/kb-nowhere", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\", \"model\": \"no-such-model\"}}}}");
        assertEquals(disputed.toString(), 400, disputed.status());
        assertTrue(disputed.body(), disputed.body().contains("unknown model [no-such-model]: no node of the cluster has it loaded"));
    }

    @Test
    public void theNodeWithoutTheModelSaysToInstallIt() {
        String doc = "{\"body\": \"rsync copies files over ssh.\"}";
        assertEquals(201, a.post("/kb-only-a/_doc/on-a", doc).status());
        LocalNode.Response throughB = b.post("/kb-only-a/_doc/on-b", doc);
        assertEquals(throughB.toString(), 400, throughB.status());
        assertTrue(throughB.body(), throughB.body().contains("node [mi-b]") && throughB.body().contains("install model [only-a]"));
        assertTrue("it names where the model is: " + throughB.body(), throughB.body().contains("nodes that have it: [mi-a]"));
    }

    @Test
    public void aQueryThroughTheNodeWithoutTheModelIsEmbeddedWhereTheModelIs() {
        a.postOk("/kb-only-a/_doc/rsync?refresh=true", "{\"body\": \"Rsync copies files to and from remote machines over ssh.\"}");
        a.postOk("/kb-only-a/_doc/cron?refresh=true", "{\"body\": \"Cron runs commands at scheduled times.\"}");
        String query = "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"copy files to another computer\"}}}";
        JsonNode viaA = a.postOk("/kb-only-a/_search", query).json().path("hits").path("hits");
        JsonNode viaB = b.postOk("/kb-only-a/_search", query).json().path("hits").path("hits");
        assertEquals(viaB.toString(), "rsync", viaB.path(0).path("_id").asText());
        assertEquals("the same vector, from the node that has the model", viaA.path(0).path("_score"), viaB.path(0).path("_score"));
    }
}
