package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * {@code semantic_text} on a cluster of three real nodes whose roles differ, as a user grows one: a cluster manager
 * that also holds data and runs ingest, a data-only node, and a coordinating-only node that takes every write. The
 * mapping is created and the bulk sent through the coordinating node (which runs no ingest: OpenSearch forwards the
 * bulk to the ingest node, where the system pipeline embeds); every node then gives the same search, {@code like} and
 * {@code _rag} results, and the inference counters show where the model ran.
 */
public class SemanticTextClusterIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MINILM = "all-minilm-l6-v2";
    private static final String[] TEXTS = {
        "ClamAV is an open source anti-virus toolkit. It scans e-mail on mail gateways for viruses and trojans.",
        "Logrotate rotates, compresses and mails system logs. It runs daily from cron.",
        "rsync copies files to and from remote machines over ssh, sending only the differences.",
        "OpenSSH is the secure shell: remote login and command execution over an encrypted connection.",
        "zstd compresses files quickly, with a compression ratio close to that of xz.",
        "Nginx is a web server and reverse proxy, serving static files and balancing load.",
        "PostgreSQL is an object-relational SQL database server.",
        "Tesseract reads the text of scanned pages: optical character recognition.",
        "GnuPG encrypts and signs data and e-mail with public keys.",
        "Cron runs commands at given times: every minute, hour, day or week." };

    private static LocalNode manager;
    private static LocalNode data;
    private static LocalNode coordinator;

    @BeforeClass
    public static void startCluster() throws Exception {
        manager = LocalNode.builder("st-manager")
            .plugin(LocalNode.pluginZip())
            .cluster("semantic-text-cluster", null)
            .setting("node.roles", "[cluster_manager, data, ingest]")
            .start();
        data = LocalNode.builder("st-data")
            .plugin(LocalNode.pluginZip())
            .cluster("semantic-text-cluster", manager)
            .setting("node.roles", "[data]")
            .start();
        coordinator = LocalNode.builder("st-coordinator")
            .plugin(LocalNode.pluginZip())
            .cluster("semantic-text-cluster", manager)
            .setting("node.roles", "[]")
            .start();
        JsonNode health = coordinator.get("/_cluster/health?wait_for_nodes=3&timeout=60s").json();
        assertEquals(health.toString(), 3, health.path("number_of_nodes").asInt());
    }

    @AfterClass
    public static void stopCluster() {
        for (LocalNode node : new LocalNode[] { coordinator, data, manager }) {
            if (node != null) {
                node.close();
            }
        }
    }

    @Test
    public void writesThroughTheCoordinatorSearchesAndAnswersFromEveryNode() {
        LocalNode.Response created = coordinator.put("/kb", """
            {"settings": {"number_of_shards": 3, "number_of_replicas": 1},
             "mappings": {"properties": {"body": {"type": "semantic_text"}, "n": {"type": "integer"}}}}""");
        assertEquals(created.toString(), 200, created.status());
        assertEquals(200, coordinator.get("/_cluster/health/kb?wait_for_status=green&timeout=60s").status());

        long managerBefore = texts(manager);
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < TEXTS.length; i++) {
            bulk.append("{\"index\": {\"_id\": \"").append(i).append("\"}}\n");
            bulk.append("{\"body\": ").append(JSON.valueToTree(TEXTS[i]).toString()).append(", \"n\": ").append(i).append("}\n");
        }
        JsonNode response = coordinator.post("/kb/_bulk?refresh=true", bulk.toString()).json();
        assertFalse(response.toString(), response.path("errors").asBoolean());
        // The ingest node embedded them; the data-only and coordinating-only nodes ran no model for it.
        assertEquals(managerBefore + TEXTS.length, texts(manager));
        assertEquals(0, texts(data));
        assertEquals(0, texts(coordinator));

        String query = "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"log in to another machine securely\", \"k\": 5}}}";
        List<String> rankings = new ArrayList<>();
        for (LocalNode node : List.of(manager, data, coordinator)) {
            JsonNode hits = node.post("/kb/_search?size=5", query).json().path("hits").path("hits");
            assertEquals(hits.toString(), "3", hits.path(0).path("_id").asText());
            assertTrue(hits.toString(), hits.path(0).path("inner_hits").path("body").path("hits").path("hits").size() >= 1);
            rankings.add(ranking(hits));
        }
        assertEquals("the same ranking from every node", 1, rankings.stream().distinct().count());

        String like = "{\"query\": {\"semantic\": {\"field\": \"body\", \"like\": {\"_id\": \"4\"}, \"k\": 3}}}";
        List<String> likes = new ArrayList<>();
        for (LocalNode node : List.of(manager, data, coordinator)) {
            JsonNode hits = node.post("/kb/_search?size=3", like).json().path("hits").path("hits");
            assertEquals(hits.toString(), "4", hits.path(0).path("_id").asText());
            likes.add(ranking(hits));
        }
        assertEquals(1, likes.stream().distinct().count());

        List<String> answers = new ArrayList<>();
        for (LocalNode node : List.of(manager, data, coordinator)) {
            JsonNode rag = node.post("/kb/_rag", "{\"question\": \"Which program scans e-mail for viruses?\", \"field\": \"body\"}").json();
            assertEquals(rag.toString(), "0", rag.path("citations").path(0).path("_id").asText());
            answers.add(rag.path("answer").asText());
        }
        assertEquals(answers.toString(), 1, answers.stream().distinct().count());

        // A partial update through the data-only node: forwarded to the ingest node, nothing embedded again.
        long beforeUpdate = texts(manager) + texts(data) + texts(coordinator);
        assertEquals(200, data.post("/kb/_update/2?refresh=true", "{\"doc\": {\"n\": 20}}").status());
        assertEquals(beforeUpdate, texts(manager) + texts(data) + texts(coordinator));
        JsonNode again = coordinator.post("/kb/_search?size=1", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": "
            + "\"copy files over ssh\"}}}").json().path("hits").path("hits");
        assertEquals(again.toString(), "2", again.path(0).path("_id").asText());

        JsonNode stats = coordinator.get("/_plugins/_semantic/stats").json();
        assertEquals(stats.toString(), 3, stats.path("_nodes").path("successful").asInt());

        // Every node holds the bundled models with the same files: one fingerprint per model, three nodes behind it.
        for (LocalNode node : List.of(manager, data, coordinator)) {
            JsonNode cluster = node.get("/_plugins/_semantic/models").json().path("cluster");
            assertEquals(cluster.toString(), 3, cluster.path("nodes").asInt());
            assertTrue(cluster.toString(), cluster.path("consistent").asBoolean());
            JsonNode fingerprints = cluster.path("models").path(MINILM).path("fingerprints");
            assertEquals(cluster.toString(), 1, fingerprints.size());
            assertEquals(cluster.toString(), 3, fingerprints.elements().next().size());
        }
    }

    private static String ranking(JsonNode hits) {
        StringBuilder ranking = new StringBuilder();
        hits.forEach(hit -> ranking.append(hit.path("_id").asText()).append(':').append(String.format(java.util.Locale.ROOT, "%.5f", hit.path("_score").asDouble())).append(' '));
        return ranking.toString();
    }

    /** Texts the model embedded on this node (queries included). */
    private static long texts(LocalNode node) {
        JsonNode stats = node.get("/_plugins/_semantic/_local/stats").json();
        return stats.path("nodes").elements().next().path("models").path(MINILM).path("texts").asLong();
    }
}
