package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

import static io.semanticsearch.integ.PackageTexts.CLAMAV;
import static io.semanticsearch.integ.PackageTexts.LOGROTATE;
import static io.semanticsearch.integ.PackageTexts.RSYNC;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * A {@code semantic_text} index snapshotted on one cluster and restored into another that has the plugin: documents
 * read back as sent, their passages come back with them (nothing is embedded again), search by meaning and
 * {@code _rag} answer as on the source, and the restored index takes updates as any other.
 */
public class SemanticTextSnapshotIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static LocalNode source;
    private static LocalNode target;
    private static Path repository;

    @BeforeClass
    public static void startNodes() throws Exception {
        repository = Files.createTempDirectory("semantic-snapshots");
        // Both nodes write and read it, as whichever user runs them.
        Files.setPosixFilePermissions(repository, PosixFilePermissions.fromString("rwxrwxrwx"));
        source = LocalNode.builder("snapshot-source").plugin(LocalNode.pluginZip()).setting("path.repo", repository.toString()).start();
        target = LocalNode.builder("snapshot-target").plugin(LocalNode.pluginZip()).setting("path.repo", repository.toString()).start();
    }

    @AfterClass
    public static void stopNodes() {
        for (LocalNode node : new LocalNode[] { target, source }) {
            if (node != null) {
                node.close();
            }
        }
    }

    private static long texts(LocalNode node) {
        return node.get("/_plugins/_semantic/_local/stats").json().path("nodes").elements().next().path("models")
            .path("all-minilm-l6-v2").path("texts").asLong();
    }

    private static Set<String> keys(JsonNode object) {
        Set<String> keys = new TreeSet<>();
        for (Iterator<String> names = object.fieldNames(); names.hasNext();) {
            keys.add(names.next());
        }
        return keys;
    }

    @Test
    public void aRestoredIndexReadsAsSentAndSearchesWithoutEmbeddingAgain() throws Exception {
        source.putOk("/kb", "{\"settings\": {\"number_of_shards\": 2, \"number_of_replicas\": 0}, "
            + "\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}, \"tag\": {\"type\": \"keyword\"}}}}");
        StringBuilder bulk = new StringBuilder();
        String[][] docs = { { "clamav", CLAMAV }, { "logrotate", LOGROTATE }, { "rsync", RSYNC } };
        for (String[] doc : docs) {
            bulk.append("{\"index\": {\"_id\": \"").append(doc[0]).append("\"}}\n{\"tag\": \"").append(doc[0]).append("\", \"body\": ")
                .append(JSON.valueToTree(doc[1]).toString()).append("}\n");
        }
        source.postOk("/kb/_bulk?refresh=true", bulk.toString());
        String repo = "{\"type\": \"fs\", \"settings\": {\"location\": " + JSON.valueToTree(repository.toString()) + "}}";
        source.putOk("/_snapshot/backups", repo);
        JsonNode snapshot = source.putOk("/_snapshot/backups/kb-1?wait_for_completion=true", "{\"indices\": \"kb\"}").json();
        assertEquals(snapshot.toString(), "SUCCESS", snapshot.path("snapshot").path("state").asText());

        target.putOk("/_snapshot/backups", repo.replace("\"settings\": {", "\"settings\": {\"readonly\": true, "));
        long embeddedBefore = texts(target);
        target.postOk("/_snapshot/backups/kb-1/_restore?wait_for_completion=true", "{\"indices\": \"kb\"}");
        JsonNode health = target.get("/_cluster/health/kb?wait_for_status=green&timeout=60s").json();
        assertEquals(health.toString(), "green", health.path("status").asText());

        JsonNode doc = target.get("/kb/_doc/rsync").json();
        assertEquals(doc.toString(), Set.of("body", "tag"), keys(doc.path("_source")));
        assertEquals(RSYNC, doc.path("_source").path("body").asText());
        JsonNode passages = target.get("/kb/_doc/rsync?_source_includes=body_semantic").json().path("_source").path("body_semantic").path("passages");
        assertTrue(passages.toString(), passages.size() >= 1);
        for (JsonNode passage : passages) {
            assertTrue(passage.toString(), RSYNC.startsWith(passage.path("text").asText(), passage.path("offset").asInt()));
        }
        assertEquals("the passages came with the snapshot: nothing was embedded", embeddedBefore, texts(target));
        JsonNode hits = target.postOk("/kb/_search", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"copy files to another computer\"}}}")
            .json().path("hits").path("hits");
        assertEquals(hits.toString(), "rsync", hits.path(0).path("_id").asText());
        JsonNode rag = target.postOk("/kb/_rag", "{\"question\": \"Which program scans e-mail for viruses?\", \"field\": \"body\"}").json();
        assertEquals(rag.toString(), "clamav", rag.path("citations").path(0).path("_id").asText());

        // The restored index takes updates as any other: a partial update embeds nothing, a new text is embedded.
        long beforeUpdates = texts(target);
        target.postOk("/kb/_update/rsync?refresh=true", "{\"doc\": {\"tag\": \"sync\"}}");
        assertEquals(beforeUpdates, texts(target));
        target.postOk("/kb/_update/rsync?refresh=true", "{\"doc\": {\"body\": \"Unison keeps two folders on different machines in step.\"}}");
        assertTrue(texts(target) > beforeUpdates);
        JsonNode updated = target.postOk("/kb/_search", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"keep folders in sync between machines\"}}}")
            .json().path("hits").path("hits");
        assertEquals(updated.toString(), "rsync", updated.path(0).path("_id").asText());
        assertFalse(updated.toString(), updated.toString().contains("Rsync copies"));
    }
}
