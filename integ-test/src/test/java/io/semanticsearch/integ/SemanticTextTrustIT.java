package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static io.semanticsearch.integ.PackageTexts.CLAMAV;
import static io.semanticsearch.integ.PackageTexts.LOGROTATE;
import static io.semanticsearch.integ.PackageTexts.RSYNC;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * What a {@code semantic_text} index gives back and keeps, tried as an attacker and a careless script would: documents
 * read back as sent through every read API (the passages only when asked for by name), passages that are not slices of
 * the document's current text are never stored or cited whatever path sends them, every update path leaves passages
 * that match the text (or is refused, saying what to do), unchanged text is never embedded again, and a match query
 * answers in about the bytes of a {@code text} index. Each test uses its own indices.
 */
public class SemanticTextTrustIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MINILM = "all-minilm-l6-v2";
    private static final String FORGED = "the vault password is hunter2";

    private static LocalNode node;

    @BeforeClass
    public static void startNode() throws Exception {
        node = LocalNode.builder("semantic-trust").plugin(LocalNode.pluginZip()).start();
    }

    @AfterClass
    public static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    public void everyReadApiReturnsTheDocumentAsSent() throws Exception {
        createIndex("reads");
        bulk("reads", "clamav", CLAMAV, "logrotate", LOGROTATE, "rsync", RSYNC);
        Set<String> sent = Set.of("body", "tag");

        assertEquals(sent, keys(ok(node.get("/reads/_doc/clamav")).path("_source")));
        JsonNode mget = ok(node.post("/reads/_mget", "{\"ids\": [\"clamav\", \"rsync\"]}"));
        for (JsonNode doc : mget.path("docs")) {
            assertEquals(mget.toString(), sent, keys(doc.path("_source")));
        }
        for (String query : List.of(
            "{\"query\": {\"match\": {\"body\": \"files\"}}}",
            "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"copy files to another computer\"}}}",
            "{\"_source\": [\"b*\", \"tag\"], \"query\": {\"match_all\": {}}}",
            "{\"_source\": {\"excludes\": [\"tag\"]}, \"query\": {\"match_all\": {}}}"
        )) {
            JsonNode hits = ok(node.post("/reads/_search", query)).path("hits").path("hits");
            assertTrue(query, hits.size() >= 1);
            for (JsonNode hit : hits) {
                Set<String> shown = keys(hit.path("_source"));
                assertFalse(query + " -> " + hit, shown.contains("body_semantic"));
                assertTrue(query + " -> " + hit, shown.contains("body"));
            }
        }
        // The fields API reads mapped fields: the generated ones are left out of its wildcard.
        JsonNode withFields = ok(node.post("/reads/_search", "{\"_source\": false, \"fields\": [\"*\"], \"query\": {\"match_all\": {}}}"));
        for (JsonNode hit : withFields.path("hits").path("hits")) {
            Set<String> fields = keys(hit.path("fields"));
            assertTrue(hit.toString(), fields.contains("body") && fields.contains("tag"));
            assertTrue(hit.toString(), fields.stream().noneMatch(name -> name.startsWith("body_semantic")));
        }

        // The semantic query still shows each hit's passages, text from the document.
        JsonNode semantic = ok(node.post("/reads/_search", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"copy files\"}}}"));
        JsonNode passage = semantic.path("hits").path("hits").path(0).path("inner_hits").path("body").path("hits").path("hits").path(0);
        assertTrue(semantic.toString(), RSYNC.contains(passage.path("_source").path("text").asText("-")));

        // Scroll, explain and the _source of an _update response.
        JsonNode scroll = ok(node.post("/reads/_search?scroll=1m", "{\"size\": 1, \"query\": {\"match_all\": {}}}"));
        JsonNode next = ok(node.post("/_search/scroll", "{\"scroll\": \"1m\", \"scroll_id\": \"" + scroll.path("_scroll_id").asText() + "\"}"));
        assertEquals(next.toString(), sent, keys(next.path("hits").path("hits").path(0).path("_source")));
        JsonNode explain = ok(node.post("/reads/_explain/clamav?_source=true", "{\"query\": {\"match\": {\"body\": \"virus\"}}}"));
        assertEquals(explain.toString(), sent, keys(explain.path("get").path("_source")));
        JsonNode updated = ok(node.post("/reads/_update/logrotate?_source=true&refresh=true", "{\"doc\": {\"tag\": \"admin\"}}"));
        assertEquals(updated.toString(), sent, keys(updated.path("get").path("_source")));
        // The same inside _bulk, and the documents of a top_hits aggregation at any depth.
        JsonNode bulkUpdate = ok(node.post("/reads/_bulk?_source=true&refresh=true", "{\"update\": {\"_id\": \"logrotate\"}}\n"
            + "{\"doc\": {\"tag\": \"ops\"}}\n"));
        assertEquals(bulkUpdate.toString(), sent, keys(bulkUpdate.path("items").path(0).path("update").path("get").path("_source")));
        JsonNode aggs = ok(node.post("/reads/_search", "{\"size\": 0, \"aggs\": {\"tags\": {\"terms\": {\"field\": \"tag\"}, "
            + "\"aggs\": {\"top\": {\"top_hits\": {\"size\": 1}}}}, \"best\": {\"top_hits\": {\"size\": 3}}}}")).path("aggregations");
        assertTrue(aggs.toString(), aggs.path("best").path("hits").path("hits").size() == 3);
        for (JsonNode hit : aggs.path("best").path("hits").path("hits")) {
            assertEquals(hit.toString(), sent, keys(hit.path("_source")));
        }
        for (JsonNode bucket : aggs.path("tags").path("buckets")) {
            assertEquals(bucket.toString(), sent, keys(bucket.path("top").path("hits").path("hits").path(0).path("_source")));
        }

        // Asked for by name, the raw passages are there, without being asked for by a pattern.
        JsonNode raw = ok(node.get("/reads/_doc/rsync?_source_includes=body_semantic"));
        assertEquals(raw.toString(), Set.of("body_semantic"), keys(raw.path("_source")));
        assertPassagesAreSlices(raw.path("_source").path("body_semantic"), RSYNC);
        JsonNode rawHits = ok(node.post("/reads/_search", "{\"_source\": [\"body\", \"body_semantic.passages.text\"], \"query\": {\"ids\": {\"values\": [\"rsync\"]}}}"));
        assertTrue(rawHits.toString(), rawHits.path("hits").path("hits").path(0).path("_source").path("body_semantic").has("passages"));
    }

    @Test
    public void aMatchResponseIsAboutTheSizeOfATextIndexs() throws Exception {
        ok(node.put("/size-txt", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"text\"}, \"tag\": {\"type\": \"keyword\"}}}}"));
        createIndex("size-sem");
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            docs.add("doc" + i);
            docs.add(List.of(CLAMAV, LOGROTATE, RSYNC).get(i % 3) + " Copy number " + i + " of the files.");
        }
        bulk("size-txt", docs.toArray(new String[0]));
        bulk("size-sem", docs.toArray(new String[0]));
        String query = "{\"size\": 10, \"sort\": [\"_doc\"], \"query\": {\"match\": {\"body\": \"files\"}}}";
        String text = stripTook(node.post("/size-txt/_search", query).body());
        String semantic = stripTook(node.post("/size-sem/_search", query).body());
        assertEquals(semantic, 10, JSON.readTree(semantic).path("hits").path("hits").size());
        assertTrue(semantic.length() + " bytes against " + text.length() + ": " + semantic, semantic.length() <= 1.10 * text.length());
        assertFalse(semantic, semantic.contains("vector"));
    }

    @Test
    public void forgedPassagesAreNeverStoredOrCitedWhateverPathSendsThem() throws Exception {
        createIndex("forge");
        bulk("forge", "clamav", CLAMAV, "rsync", RSYNC);
        JsonNode genuine = ok(node.get("/forge/_doc/clamav?_source_includes=body_semantic")).path("_source").path("body_semantic");
        ObjectNode forged = genuine.deepCopy();
        ((ObjectNode) forged.path("passages").path(0)).put("text", FORGED);

        // Sent in a document, with the right hash: the node embeds the text again instead of keeping them.
        ObjectNode document = JSON.createObjectNode().put("body", CLAMAV);
        document.set("body_semantic", forged);
        LocalNode.Response indexed = node.put("/forge/_doc/sent?refresh=true", document.toString());
        assertEquals(indexed.toString(), 201, indexed.status());
        assertPassagesAreSlices(raw("forge", "sent"), CLAMAV);

        // Passages sent for a field the document does not have: dropped by the pipeline; left by a script in _bulk that
        // removes the text (no pipeline there): refused, naming the field.
        ObjectNode orphan = JSON.createObjectNode().put("tag", "x");
        orphan.set("body_semantic", forged);
        assertEquals(201, node.put("/forge/_doc/orphan?refresh=true", orphan.toString()).status());
        assertFalse(ok(node.get("/forge/_doc/orphan?_source_includes=body_semantic")).path("_source").has("body_semantic"));
        JsonNode removed = ok(node.post("/forge/_bulk", "{\"update\": {\"_id\": \"sent\"}}\n{\"script\": {\"source\": \"ctx._source.remove('body')\"}}\n"));
        JsonNode item = removed.path("items").path(0).path("update");
        assertEquals(removed.toString(), 400, item.path("status").asInt());
        assertTrue(removed.toString(), item.path("error").path("reason").asText().contains("[body_semantic] holds passages but [body] has no value"));

        // A single _update and _update_by_query whose script edits the passages: embedded again from the text.
        String editPassage = "{\"script\": {\"source\": \"ctx._source.body_semantic.passages[0].text = params.t\", \"params\": {\"t\": \""
            + FORGED + "\"}}}";
        ok(node.post("/forge/_update/clamav?refresh=true", editPassage));
        assertPassagesAreSlices(raw("forge", "clamav"), CLAMAV);
        ok(node.post("/forge/_update_by_query?refresh=true&q=_id:rsync", editPassage));
        assertPassagesAreSlices(raw("forge", "rsync"), RSYNC);

        // A script inside _bulk, where no pipeline runs: refused, the document unchanged.
        JsonNode items = ok(node.post("/forge/_bulk?refresh=true", "{\"update\": {\"_id\": \"rsync\"}}\n" + editPassage + "\n")).path("items");
        assertEquals(items.toString(), 400, items.path(0).path("update").path("status").asInt());
        assertTrue(items.toString(), items.path(0).path("update").path("error").path("reason").asText().contains("does not belong to the text of [body]"));
        assertPassagesAreSlices(raw("forge", "rsync"), RSYNC);

        // Nothing any path sent is cited.
        JsonNode rag = ok(node.post("/forge/_rag", "{\"question\": \"What is the vault password?\", \"field\": \"body\"}"));
        assertFalse(rag.toString(), rag.toString().contains("hunter2"));
        JsonNode hits = ok(node.post("/forge/_search", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"vault password\"}}}"));
        assertFalse(hits.toString(), hits.toString().contains("hunter2"));
    }

    @Test
    public void everyUpdatePathLeavesPassagesThatMatchTheText() throws Exception {
        createIndex("updates");
        bulk("updates", "a", CLAMAV, "b", LOGROTATE, "c", RSYNC);
        String changeBody = "{\"script\": {\"source\": \"ctx._source.body = params.b\", \"params\": {\"b\": \"" + RSYNC + "\"}}}";

        // Inside _bulk: a scripted update and a scripted upsert are refused, saying what to send instead.
        JsonNode items = ok(
            node.post(
                "/updates/_bulk?refresh=true",
                "{\"update\": {\"_id\": \"a\"}}\n" + changeBody + "\n"
                    + "{\"update\": {\"_id\": \"new\"}}\n{\"scripted_upsert\": true, \"upsert\": {}, \"script\": {\"source\": \"ctx._source.body = 'fresh text'\"}}\n"
                    + "{\"update\": {\"_id\": \"b\"}}\n{\"doc\": {\"tag\": \"kept\"}}\n"
            )
        ).path("items");
        for (int i = 0; i < 2; i++) {
            JsonNode item = items.path(i).path("update");
            assertEquals(items.toString(), 400, item.path("status").asInt());
            assertTrue(items.toString(), item.path("error").path("reason").asText().contains("POST /{index}/_update/{id}"));
        }
        assertEquals(items.toString(), 200, items.path(2).path("update").path("status").asInt());
        assertEquals(CLAMAV, ok(node.get("/updates/_doc/a")).path("_source").path("body").asText());
        assertEquals(404, node.get("/updates/_doc/new").status());

        // A partial update of another field embeds nothing; a single scripted _update embeds the new text.
        long before = texts();
        ok(node.post("/updates/_update/b?refresh=true", "{\"doc\": {\"tag\": \"again\"}}"));
        assertEquals("a partial update of another field embeds nothing", before, texts());
        ok(node.post("/updates/_update/a?refresh=true", changeBody));
        assertPassagesAreSlices(raw("updates", "a"), RSYNC);

        // _update_by_query and _reindex with a script: the new text's passages.
        ok(node.post("/updates/_update_by_query?refresh=true&q=_id:b", "{\"script\": {\"source\": \"ctx._source.body = params.b\", \"params\": {\"b\": \"" + CLAMAV + "\"}}}"));
        assertPassagesAreSlices(raw("updates", "b"), CLAMAV);
        createIndex("updates-copy");
        ok(node.post("/_reindex?refresh=true", "{\"source\": {\"index\": \"updates\", \"query\": {\"ids\": {\"values\": [\"c\"]}}}, \"dest\": {\"index\": \"updates-copy\"}, \"script\": {\"source\": \"ctx._source.body = ctx._source.body + ' Also over rsh.'\"}}"));
        assertPassagesAreSlices(raw("updates-copy", "c"), RSYNC + " Also over rsh.");

        // _reindex without a script, and the same documents indexed again: nothing embedded, passages still the text's.
        createIndex("updates-plain");
        before = texts();
        JsonNode copied = ok(node.post("/_reindex?refresh=true", "{\"source\": {\"index\": \"updates\"}, \"dest\": {\"index\": \"updates-plain\"}}"));
        assertEquals(copied.toString(), 3, copied.path("created").asInt());
        bulk("updates-plain", "c", RSYNC);
        assertEquals("_reindex and an identical re-index embed nothing", before, texts());
        assertPassagesAreSlices(raw("updates-plain", "a"), RSYNC);
        assertPassagesAreSlices(raw("updates-plain", "b"), CLAMAV);

        // A partial update inside _bulk that sets the text to null takes its passages with it.
        JsonNode nulled = ok(node.post("/updates-plain/_bulk?refresh=true", "{\"update\": {\"_id\": \"b\"}}\n{\"doc\": {\"body\": null}}\n"));
        assertEquals(nulled.toString(), 200, nulled.path("items").path(0).path("update").path("status").asInt());
        JsonNode left = ok(node.get("/updates-plain/_doc/b?_source_includes=body_semantic")).path("_source");
        assertTrue(left.toString(), left.path("body_semantic").isMissingNode() || left.path("body_semantic").isNull());
    }

    @Test
    public void mappingsThatCouldNotBeEmbeddedAreRefusedNamingTheFields() {
        LocalNode.Response refused = node.put(
            "/collide",
            "{\"mappings\": {\"properties\": {\"x\": {\"type\": \"semantic_text\"}, \"x_semantic\": {\"type\": \"keyword\"}}}}"
        );
        assertEquals(refused.toString(), 400, refused.status());
        assertTrue(refused.toString(), refused.body().contains("[x]") && refused.body().contains("[x_semantic]"));

        // Text that would never reach the pipeline that embeds: a dynamic template producing the field.
        LocalNode.Response dynamic = node.put(
            "/dynamic",
            "{\"mappings\": {\"dynamic_templates\": [{\"strings\": {\"match_mapping_type\": \"string\", \"mapping\": {\"type\": \"semantic_text\"}}}]}}"
        );
        assertEquals(dynamic.toString(), 400, dynamic.status());
        assertTrue(dynamic.toString(), dynamic.body().contains("dynamic template [strings] maps fields to [semantic_text]"));
        // A user's mistake is a 400, not a node error in the log.
        assertFalse(node.serverLog(), node.serverLog().contains("Transformer io.semanticsearch"));
    }

    @Test
    public void dottedNamesObjectsAndSeveralFieldsInOneIndex() throws Exception {
        ok(node.put("/dotted", "{\"mappings\": {\"properties\": {\"meta.summary\": {\"type\": \"semantic_text\"}, "
            + "\"title\": {\"type\": \"semantic_text\", \"chunking\": false}, \"summary\": {\"type\": \"keyword\"}}}}"));
        String bulk = "{\"index\": {\"_id\": \"objects\"}}\n" + JSON.createObjectNode().put("title", "ClamAV").put("summary", "root field")
            .set("meta", JSON.createObjectNode().put("summary", CLAMAV)) + "\n"
            + "{\"index\": {\"_id\": \"dots\"}}\n" + JSON.createObjectNode().put("title", "rsync").put("meta.summary", RSYNC) + "\n";
        JsonNode indexed = ok(node.post("/dotted/_bulk?refresh=true", bulk));
        assertFalse(indexed.toString(), indexed.path("errors").asBoolean());
        // The root keyword field [summary] is untouched by the generated object under [meta].
        assertEquals(Set.of("meta", "summary", "title"), keys(ok(node.get("/dotted/_doc/objects")).path("_source")));
        JsonNode dots = ok(node.get("/dotted/_doc/dots")).path("_source");
        assertEquals(dots.toString(), RSYNC, dots.path("meta.summary").asText());
        // A literal dotted key gets its passages beside it, as a dotted key too: the document reads back as sent.
        assertEquals(dots.toString(), Set.of("meta.summary", "title"), keys(dots));
        JsonNode dotsPassages = ok(node.get("/dotted/_doc/dots?_source_includes=meta.summary_semantic")).path("_source");
        assertEquals(dotsPassages.toString(), Set.of("meta.summary_semantic"), keys(dotsPassages));
        assertPassagesAreSlices(dotsPassages.path("meta.summary_semantic"), RSYNC);
        assertPassagesAreSlices(ok(node.get("/dotted/_doc/objects?_source_includes=meta.summary_semantic")).path("_source").path("meta").path("summary_semantic"), CLAMAV);
        JsonNode hits = ok(node.post("/dotted/_search", "{\"query\": {\"semantic\": {\"field\": \"meta.summary\", \"query\": \"copy files over ssh\"}}}"))
            .path("hits").path("hits");
        assertEquals(hits.toString(), "dots", hits.path(0).path("_id").asText());
        JsonNode titles = ok(node.post("/dotted/_search", "{\"query\": {\"semantic\": {\"field\": \"title\", \"query\": \"anti-virus\"}}}"))
            .path("hits").path("hits");
        assertEquals(titles.toString(), "objects", titles.path(0).path("_id").asText());
        JsonNode rag = ok(node.post("/dotted/_rag", "{\"question\": \"Which tool copies files to remote machines?\", \"field\": \"meta.summary\"}"));
        assertEquals(rag.toString(), "dots", rag.path("citations").path(0).path("_id").asText());
    }

    @Test
    public void aComponentTemplateMakesSemanticTextFieldsOfTheIndicesItComposes() throws Exception {
        ok(node.put("/_component_template/semantic-body", "{\"template\": {\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}}}}}"));
        ok(node.put("/_index_template/composed", "{\"index_patterns\": [\"composed-*\"], \"composed_of\": [\"semantic-body\"], "
            + "\"template\": {\"settings\": {\"number_of_replicas\": 0}, \"mappings\": {\"properties\": {\"tag\": {\"type\": \"keyword\"}}}}}"));
        bulk("composed-1", "clamav", CLAMAV, "logrotate", LOGROTATE, "rsync", RSYNC); // the bulk creates the index
        JsonNode mapping = ok(node.get("/composed-1/_mapping")).path("composed-1").path("mappings").path("properties");
        assertEquals(mapping.toString(), "semantic_text", mapping.path("body").path("type").asText());
        assertEquals(mapping.toString(), MINILM, mapping.path("body").path("model").asText());
        assertEquals(Set.of("body", "tag"), keys(ok(node.get("/composed-1/_doc/rsync")).path("_source")));
        JsonNode hits = ok(node.post("/composed-1/_search", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"copy files to another computer\"}}}"))
            .path("hits").path("hits");
        assertEquals(hits.toString(), "rsync", hits.path(0).path("_id").asText());
        assertPassagesAreSlices(ok(node.get("/composed-1/_doc/clamav?_source_includes=body_semantic")).path("_source").path("body_semantic"), CLAMAV);
    }

    @Test
    public void copyToIntoASemanticTextFieldIsEmbedded() throws Exception {
        ok(node.put("/copying", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}, "
            + "\"title\": {\"type\": \"text\", \"copy_to\": \"body\"}}}}"));
        String title = "ClamAV, the anti-virus scanner for mail gateways.";
        String onlyTitle = "Cron runs commands at scheduled times, every night if you like.";
        String bulk = "{\"index\": {\"_id\": \"both\"}}\n" + JSON.createObjectNode().put("body", RSYNC).put("title", title) + "\n"
            + "{\"index\": {\"_id\": \"plain\"}}\n" + JSON.createObjectNode().put("body", LOGROTATE) + "\n"
            + "{\"index\": {\"_id\": \"only-title\"}}\n" + JSON.createObjectNode().put("title", onlyTitle) + "\n";
        JsonNode indexed = ok(node.post("/copying/_bulk?refresh=true", bulk));
        assertFalse(indexed.toString(), indexed.path("errors").asBoolean());
        assertEquals(Set.of("body", "title"), keys(ok(node.get("/copying/_doc/both")).path("_source")));
        // The passages cover the field's own text (element 0) and the copied title (element 1).
        JsonNode passages = raw("copying", "both").path("passages");
        Set<Integer> elements = new TreeSet<>();
        for (JsonNode passage : passages) {
            int element = passage.path("element").asInt();
            elements.add(element);
            String source = element == 0 ? RSYNC : title;
            assertTrue(passage.toString(), source.startsWith(passage.path("text").asText(), passage.path("offset").asInt()));
        }
        assertEquals(passages.toString(), Set.of(0, 1), elements);
        assertEquals("both", firstHit("copying", "anti-virus scanner for e-mail"));
        assertEquals("only-title", firstHit("copying", "run a job every night"));

        // A new title is embedded again; the old one is no longer what the document is found by.
        long before = texts();
        ok(node.post("/copying/_update/both?refresh=true", "{\"doc\": {\"title\": \"Unison keeps two folders in step.\"}}"));
        assertTrue(texts() > before);
        assertEquals("both", firstHit("copying", "keep two folders in sync"));
        for (JsonNode passage : raw("copying", "both").path("passages")) {
            assertFalse(passage.toString(), passage.path("text").asText().contains("ClamAV"));
        }

        // A copy_to added later by a mapping update is embedded from then on.
        ok(node.put("/copying/_mapping", "{\"properties\": {\"note\": {\"type\": \"text\", \"copy_to\": \"body\"}}}"));
        ok(node.put("/copying/_doc/noted?refresh=true", JSON.createObjectNode().put("body", LOGROTATE)
            .put("note", "Fail2ban bans addresses after repeated failed logins.").toString()));
        assertEquals("noted", firstHit("copying", "block repeated failed logins"));
    }

    private static String firstHit(String index, String question) {
        return ok(node.post("/" + index + "/_search", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": "
            + JSON.valueToTree(question) + "}}}")).path("hits").path("hits").path(0).path("_id").asText();
    }

    private static void createIndex(String index) {
        ok(node.put("/" + index, "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}, \"tag\": {\"type\": \"keyword\"}}}}"));
    }

    private static void bulk(String index, String... idsAndBodies) {
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < idsAndBodies.length; i += 2) {
            ObjectNode doc = JSON.createObjectNode().put("body", idsAndBodies[i + 1]).put("tag", "t" + i);
            bulk.append("{\"index\": {\"_id\": \"").append(idsAndBodies[i]).append("\"}}\n").append(doc).append('\n');
        }
        JsonNode response = ok(node.post("/" + index + "/_bulk?refresh=true", bulk.toString()));
        assertFalse(response.toString(), response.path("errors").asBoolean());
    }

    /** The passages of a document, asked for by name. */
    private static JsonNode raw(String index, String id) {
        return ok(node.get("/" + index + "/_doc/" + id + "?_source_includes=body_semantic")).path("_source").path("body_semantic");
    }

    private static void assertPassagesAreSlices(JsonNode semantic, String text) {
        JsonNode passages = semantic.path("passages");
        assertTrue(semantic.toString(), passages.size() >= 1);
        for (JsonNode passage : passages) {
            int offset = passage.path("offset").asInt();
            String slice = passage.path("text").asText();
            assertTrue(passage + " is not a slice of " + text, text.startsWith(slice, offset) && slice.isEmpty() == false);
        }
    }

    private static long texts() {
        JsonNode stats = ok(node.get("/_plugins/_semantic/stats"));
        return stats.path("nodes").elements().next().path("models").path(MINILM).path("texts").asLong();
    }

    private static Set<String> keys(JsonNode object) {
        Set<String> keys = new TreeSet<>();
        for (Iterator<String> names = object.fieldNames(); names.hasNext();) {
            keys.add(names.next());
        }
        return keys;
    }

    /** The response without its {@code took}, the one part that differs between two runs of the same search. */
    private static String stripTook(String body) {
        return body.replaceFirst("\"took\":\\d+,", "");
    }

    private static JsonNode ok(LocalNode.Response response) {
        assertTrue(response.toString(), response.status() == 200 || response.status() == 201);
        return response.json();
    }
}
