package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.semanticsearch.integ.PackageTexts.CLAMAV;
import static io.semanticsearch.integ.PackageTexts.LOGROTATE;
import static io.semanticsearch.integ.PackageTexts.RSYNC;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

/**
 * The {@code semantic_text} field on a real node: the three calls from an empty cluster to a cited answer, what the
 * mapping records, searches by text, vector and document with their passages, arrays, objects, two models, index
 * templates, aliases, updates and {@code _reindex} that embed nothing again (proved by the inference counters), bad
 * documents that fail alone, bad mappings refused naming the parameter, and a model whose files differ from the
 * recorded ones. Each test uses its own indices.
 */
public class SemanticTextIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MINILM = "all-minilm-l6-v2";
    private static final String BGE_ZH = "bge-small-zh-v1.5";
    private static final int MAX_PASSAGES = 20;

    private static LocalNode node;

    @BeforeClass
    public static void startNode() throws Exception {
        node = LocalNode.builder("semantic-text")
            .plugin(LocalNode.pluginZip())
            .setting("plugins.semantic.ingest.max_passages_per_document", Integer.toString(MAX_PASSAGES))
            .start();
    }

    @AfterClass
    public static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    public void threeCallsFromAnEmptyIndexToACitedAnswer() throws Exception {
        // 1. One mapping line.
        LocalNode.Response created = node.put("/three", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}}}}");
        assertEquals(created.toString(), 200, created.status());
        // 2. A bulk: no pipeline.
        LocalNode.Response bulk = node.post("/three/_bulk?refresh=true", bulkOf("clamav", CLAMAV, "logrotate", LOGROTATE, "rsync", RSYNC));
        assertFalse(bulk.toString(), bulk.json().path("errors").asBoolean());
        // 3. The question, with the field alone: hybrid retrieval, extractive answer with citations carrying offsets.
        LocalNode.Response rag = node.post("/three/_rag", "{\"question\": \"Which program scans e-mail for viruses?\", \"field\": \"body\"}");
        assertEquals(rag.toString(), 200, rag.status());
        JsonNode answer = rag.json();
        assertTrue(answer.toString(), answer.path("answer").asText().contains("[1]"));
        JsonNode first = answer.path("citations").path(0);
        assertEquals(answer.toString(), "clamav", first.path("_id").asText());
        int offset = first.path("offset").asInt();
        String passage = first.path("passage").asText();
        assertEquals(passage, CLAMAV.substring(offset, offset + passage.length()));

        // And semantic search on the same field gives documents with their matching passages, scored, with offsets.
        JsonNode hits = search("three", "{\"semantic\": {\"field\": \"body\", \"query\": \"copy files to another computer\"}}");
        assertEquals(hits.toString(), "rsync", hits.path(0).path("_id").asText());
        JsonNode passages = hits.path(0).path("inner_hits").path("body").path("hits").path("hits");
        assertTrue(hits.toString(), passages.size() >= 1);
        JsonNode best = passages.path(0);
        assertEquals(hits.path(0).path("_score").asDouble(), best.path("_score").asDouble(), 1e-6);
        String text = best.path("_source").path("text").asText();
        int at = best.path("_source").path("offset").asInt();
        assertEquals(text, RSYNC.substring(at, at + text.length()));
        assertFalse("no vectors in the passages shown: " + best, best.path("_source").has("vector"));
        assertTrue(hits.path(0).path("_score").asDouble() > hits.path(1).path("_score").asDouble());
    }

    @Test
    public void theMappingRecordsTheModelIdentityAndShowsTheFieldOnce() {
        node.putOk("/identity", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\", \"model\": \"" + BGE_ZH + "\"}}}}");
        JsonNode properties = node.get("/identity/_mapping").json().path("identity").path("mappings").path("properties");
        JsonNode body = properties.path("body");
        assertEquals(body.toString(), "semantic_text", body.path("type").asText());
        assertEquals(BGE_ZH, body.path("model").asText());
        assertEquals(512, body.path("dims").asInt());
        assertEquals(200, body.path("chunking").path("max_tokens").asInt());
        JsonNode models = node.get("/_plugins/_semantic/models").json().path("models");
        String fingerprint = null;
        for (JsonNode model : models) {
            if (model.path("name").asText().equals(BGE_ZH)) {
                fingerprint = model.path("fingerprint").asText();
            }
        }
        assertTrue(models.toString(), fingerprint != null && fingerprint.startsWith("sha256:"));
        assertEquals(fingerprint, body.path("model_fingerprint").asText());
        // The generated passages object is not presented as a field of the user's: not in _mapping, not in _field_caps.
        assertEquals(properties.toString(), List.of("body"), fieldNames(properties));
        JsonNode caps = node.get("/identity/_field_caps?fields=*").json().path("fields");
        for (java.util.Iterator<String> names = caps.fieldNames(); names.hasNext();) {
            String name = names.next();
            assertFalse(caps.toString(), name.startsWith("body_semantic"));
        }
        assertTrue(caps.toString(), caps.has("body"));
        // It is there all the same, as the semantic query proves.
        assertEquals(200, node.post("/identity/_search", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"字体\"}}}").status());
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> names = new java.util.ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    public void badMappingsAreRefusedNamingTheParameter() {
        assertMappingRefused("{\"type\": \"semantic_text\", \"model\": \"gpt\"}", "[semantic_text] field [body] [model]: unknown model [gpt]");
        assertMappingRefused(
            "{\"type\": \"semantic_text\", \"chunking\": {\"max_tokens\": 300}}",
            "[semantic_text] field [body] [chunking.max_tokens] must be at most [254] for model [" + MINILM + "], got [300]"
        );
        assertMappingRefused(
            "{\"type\": \"semantic_text\", \"chunking\": {\"max_tokens\": 50, \"overlap_tokens\": 50}}",
            "[chunking.overlap_tokens] must be at least 0 and less than [chunking.max_tokens] [50], got [50]"
        );
        assertMappingRefused("{\"type\": \"semantic_text\", \"chunking\": {\"size\": 3}}", "[chunking] does not support [size]");
        assertMappingRefused("{\"type\": \"semantic_text\", \"chunking\": \"yes\"}", "[chunking] must be an object");
        assertMappingRefused(
            "{\"type\": \"semantic_text\", \"index_options\": {\"type\": \"lsh\"}}",
            "[index_options.type] must be one of"
        );
        assertMappingRefused("{\"type\": \"semantic_text\", \"dims\": 7}", "has [dims] [7] but [model] [" + MINILM + "] makes vectors of [384] dims");
        assertMappingRefused("{\"type\": \"semantic_text\", \"analyzer\": \"no_such_analyzer\"}", "no_such_analyzer");
        LocalNode.Response nested = node.put(
            "/bad-mapping",
            "{\"mappings\": {\"properties\": {\"items\": {\"type\": \"nested\", \"properties\": {\"body\": {\"type\": \"semantic_text\"}}}}}}"
        );
        assertEquals(nested.toString(), 400, nested.status());
        assertTrue(nested.toString(), nested.body().contains("[semantic_text] field [items.body] cannot be inside the [nested] field [items]"));
    }

    @Test
    public void textIsFullTextSearchableAndHighlighted() {
        node.putOk("/fulltext", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\", \"analyzer\": \"english\"}}}}");
        node.postOk("/fulltext/_bulk?refresh=true", bulkOf("logrotate", LOGROTATE, "rsync", RSYNC));
        JsonNode response = node.post("/fulltext/_search", """
            {"query": {"match": {"body": "rotating logs"}}, "highlight": {"fields": {"body": {}}}}""").json();
        JsonNode hits = response.path("hits").path("hits");
        assertEquals(response.toString(), 1, hits.size());
        assertEquals("logrotate", hits.path(0).path("_id").asText());
        assertTrue(hits.toString(), hits.path(0).path("highlight").path("body").toString().contains("<em>rotation</em>"));
        JsonNode multi = search("fulltext", "{\"multi_match\": {\"query\": \"remote machines\", \"fields\": [\"body\"]}}");
        assertEquals(multi.toString(), "rsync", multi.path(0).path("_id").asText());
    }

    @Test
    public void filtersVectorsLikeMinScoreAndK() {
        node.putOk("/options", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}, \"kind\": {\"type\": \"keyword\"}}}}");
        String bulk = """
            {"index": {"_id": "clamav"}}
            {"body": %s, "kind": "security"}
            {"index": {"_id": "logrotate"}}
            {"body": %s, "kind": "admin"}
            {"index": {"_id": "rsync"}}
            {"body": %s, "kind": "admin"}
            """.formatted(quoted(CLAMAV), quoted(LOGROTATE), quoted(RSYNC));
        assertFalse(node.post("/options/_bulk?refresh=true", bulk).json().path("errors").asBoolean());

        // The filter applies to documents (their own fields), before the kNN search picks k of them.
        JsonNode filtered = search("options", """
            {"semantic": {"field": "body", "query": "virus scanner for mail", "k": 1, "filter": {"term": {"kind": "admin"}}}}""");
        assertEquals(filtered.toString(), 1, filtered.size());
        assertNotEquals("clamav", filtered.path(0).path("_id").asText());

        JsonNode one = search("options", "{\"semantic\": {\"field\": \"body\", \"query\": \"virus scanner for mail\", \"k\": 1}}");
        assertEquals(one.toString(), 1, one.size());
        assertEquals("clamav", one.path(0).path("_id").asText());
        double best = one.path(0).path("_score").asDouble();

        JsonNode above = search("options", "{\"semantic\": {\"field\": \"body\", \"query\": \"virus scanner for mail\", \"min_score\": "
            + (best - 1e-4) + "}}");
        assertEquals(above.toString(), 1, above.size());

        // Two semantic queries on the field in one request, each with its _name: each names its passages.
        JsonNode both = search("options", """
            {"bool": {"should": [
              {"semantic": {"field": "body", "query": "virus scanner", "_name": "virus"}},
              {"semantic": {"field": "body", "query": "copy files", "_name": "copy"}}]}}""");
        assertEquals(both.toString(), 3, both.size());
        assertTrue(both.toString(), both.path(0).path("inner_hits").has("virus") && both.path(0).path("inner_hits").has("copy"));

        // like: the document's passages stand for it; it finds itself first.
        JsonNode like = search("options", "{\"semantic\": {\"field\": \"body\", \"like\": {\"_id\": \"rsync\"}}}");
        assertEquals(like.toString(), "rsync", like.path(0).path("_id").asText());

        // vector: the embedding of the query text, from _embed, gives the same ranking and scores as the text.
        JsonNode embedded = node.post("/_plugins/_semantic/_embed", "{\"texts\": [\"virus scanner for mail\"], \"input_type\": \"query\"}")
            .json();
        JsonNode vector = embedded.path("embeddings").path(0);
        assertEquals(embedded.toString(), 384, vector.size());
        JsonNode byVector = search("options", "{\"semantic\": {\"field\": \"body\", \"vector\": " + vector + ", \"k\": 1}}");
        assertEquals(byVector.toString(), "clamav", byVector.path(0).path("_id").asText());
        assertEquals(best, byVector.path(0).path("_score").asDouble(), 1e-4);
    }

    @Test
    public void arraysObjectsTwoModelsAndATemplateAutoCreatedByBulk() {
        LocalNode.Response template = node.put("/_index_template/notes", """
            {"index_patterns": ["notes-*"], "template": {"mappings": {"properties": {
              "lines": {"type": "semantic_text", "chunking": false},
              "meta": {"properties": {"summary_zh": {"type": "semantic_text", "model": "%s"}}}}}}}""".formatted(BGE_ZH));
        assertEquals(template.toString(), 200, template.status());
        LocalNode.Response bulk = node.post("/notes-2026/_bulk?refresh=true", """
            {"index": {"_id": "1"}}
            {"lines": ["The disk of host a is full.", "Backups stopped at midnight."], "meta": {"summary_zh": "磁盘已满，备份停止"}}
            {"index": {"_id": "2"}}
            {"lines": ["The web server answers slowly."], "meta": {"summary_zh": "网站响应缓慢"}}
            """);
        assertFalse(bulk.toString(), bulk.json().path("errors").asBoolean());
        assertEquals("semantic_text", node.get("/notes-2026/_mapping").json().path("notes-2026").path("mappings").path("properties")
            .path("meta").path("properties").path("summary_zh").path("type").asText());

        JsonNode stored = node.get("/notes-2026/_doc/1?_source_includes=lines,lines_semantic,meta").json().path("_source");
        JsonNode lines = stored.path("lines_semantic").path("passages");
        assertEquals(stored.toString(), 2, lines.size());
        assertEquals("Backups stopped at midnight.", lines.path(1).path("text").asText());
        assertEquals(1, lines.path(1).path("element").asInt());
        assertEquals(384, lines.path(1).path("vector").size());
        assertEquals(512, stored.path("meta").path("summary_zh_semantic").path("passages").path(0).path("vector").size());

        JsonNode english = search("notes-2026", "{\"semantic\": {\"field\": \"lines\", \"query\": \"no more backups\", \"k\": 1}}");
        assertEquals(english.toString(), "1", english.path(0).path("_id").asText());
        JsonNode passage = english.path(0).path("inner_hits").path("lines").path("hits").path("hits").path(0).path("_source");
        assertEquals(passage.toString(), 1, passage.path("element").asInt());
        JsonNode chinese = search("notes-2026", "{\"semantic\": {\"field\": \"meta.summary_zh\", \"query\": \"网页很慢\", \"k\": 1}}");
        assertEquals(chinese.toString(), "2", chinese.path(0).path("_id").asText());

        // Through an alias, and _rag with the field alone.
        node.postOk("/_aliases", "{\"actions\": [{\"add\": {\"index\": \"notes-2026\", \"alias\": \"notes\"}}]}");
        JsonNode viaAlias = search("notes", "{\"semantic\": {\"field\": \"lines\", \"query\": \"slow web site\", \"k\": 1}}");
        assertEquals(viaAlias.toString(), "2", viaAlias.path(0).path("_id").asText());
        JsonNode rag = node.post("/notes/_rag", "{\"question\": \"Why did the backups stop?\", \"field\": \"lines\"}").json();
        assertEquals(rag.toString(), "1", rag.path("citations").path(0).path("_id").asText());
    }

    @Test
    public void updatesAndReindexEmbedOnlyWhatChanged() {
        node.putOk("/source-idx", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}, \"title\": {\"type\": "
            + "\"semantic_text\"}, \"version\": {\"type\": \"integer\"}}}}");
        long start = texts(MINILM);
        assertEquals(201, node.put("/source-idx/_doc/1?refresh=true", "{\"title\": \"rsync\", \"body\": " + quoted(RSYNC) + ", \"version\": 1}")
            .status());
        long afterIndex = texts(MINILM);
        assertTrue("the title and the body were embedded", afterIndex >= start + 2);
        JsonNode original = node.get("/source-idx/_doc/1?_source_includes=title,body,version,title_semantic,body_semantic").json().path("_source");

        // A partial update that leaves the texts alone embeds nothing and keeps the passages.
        assertEquals(200, node.post("/source-idx/_update/1?refresh=true", "{\"doc\": {\"version\": 2}}").status());
        assertEquals(afterIndex, texts(MINILM));
        JsonNode updated = node.get("/source-idx/_doc/1?_source_includes=title,body,version,title_semantic,body_semantic").json().path("_source");
        assertEquals(original.path("body_semantic"), updated.path("body_semantic"));
        // (A text query embeds its text too: the counters are read again after it.)
        assertEquals(1, search("source-idx", "{\"semantic\": {\"field\": \"body\", \"query\": \"copy files over ssh\"}}").size());
        long afterQuery = texts(MINILM);

        // The same document indexed again: its stored passages are reused.
        assertEquals(200, node.put("/source-idx/_doc/1?refresh=true", "{\"title\": \"rsync\", \"body\": " + quoted(RSYNC) + ", \"version\": 3}")
            .status());
        assertEquals(afterQuery, texts(MINILM));

        // A partial update of one field embeds that field only.
        assertEquals(200, node.post("/source-idx/_update/1?refresh=true", "{\"doc\": {\"title\": \"rsync, the file copier\"}}").status());
        assertEquals(afterQuery + 1, texts(MINILM));
        JsonNode retitled = node.get("/source-idx/_doc/1?_source_includes=title,body,version,title_semantic,body_semantic").json().path("_source");
        assertEquals("rsync, the file copier", retitled.path("title_semantic").path("passages").path(0).path("text").asText());
        assertEquals(original.path("body_semantic"), retitled.path("body_semantic"));

        // _reindex into another semantic_text index of the same model: the passages travel, nothing is embedded.
        node.putOk("/dest-idx", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}, \"title\": {\"type\": "
            + "\"semantic_text\"}, \"version\": {\"type\": \"integer\"}}}}");
        long beforeReindex = texts(MINILM);
        JsonNode reindex = node.post("/_reindex?refresh=true", "{\"source\": {\"index\": \"source-idx\"}, \"dest\": {\"index\": \"dest-idx\"}}")
            .json();
        assertEquals(reindex.toString(), 1, reindex.path("created").asInt());
        assertEquals(beforeReindex, texts(MINILM));
        JsonNode hits = search("dest-idx", "{\"semantic\": {\"field\": \"body\", \"query\": \"copy files over ssh\"}}");
        assertEquals(hits.toString(), "1", hits.path(0).path("_id").asText());
        beforeReindex = texts(MINILM);

        // Into an index of another chunking, the hash differs: embedded again, as it must be.
        node.putOk("/dest-other", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\", \"chunking\": {\"max_tokens\": 16}}}}}");
        node.postOk("/_reindex?refresh=true", "{\"source\": {\"index\": \"source-idx\", \"_source\": [\"body\", \"body_semantic\"]}, "
            + "\"dest\": {\"index\": \"dest-other\"}}");
        assertTrue(texts(MINILM) > beforeReindex);
        assertTrue(node.get("/dest-other/_doc/1?_source_includes=body_semantic").json().path("_source").path("body_semantic").path("passages").size() > 1);
    }

    @Test
    public void passageVectorsLeaveTheStoredSourceAndComeBackExactly() {
        node.putOk("/stored", "{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0}, \"mappings\": {\"properties\": {"
            + "\"body\": {\"type\": \"semantic_text\", \"chunking\": {\"max_tokens\": 12, \"overlap_tokens\": 2}}, "
            + "\"title\": {\"type\": \"semantic_text\", \"chunking\": false}}}}");
        String[] texts = { CLAMAV, LOGROTATE, RSYNC, CLAMAV + " " + RSYNC, "Short." };
        java.util.Map<String, JsonNode> asIndexed = new java.util.HashMap<>();
        for (int i = 0; i < texts.length; i++) {
            String id = "d" + i;
            String document = "{\"title\": \"title " + i + "\", \"body\": " + quoted(texts[i]) + "}";
            assertEquals(201, node.put("/stored/_doc/" + id, document).status());
            // Before a refresh, a GET reads the translog: the source as it was indexed, vectors and all.
            asIndexed.put(id, node.get("/stored/_doc/" + id + "?_source_includes=title,body,title_semantic,body_semantic").json().path("_source"));
            node.postOk("/stored/_refresh", ""); // one segment per document, for the merge below
        }
        // Deleted and updated documents leave holes in their segments.
        assertEquals(200, node.delete("/stored/_doc/d1?refresh=true").status());
        assertEquals(200, node.post("/stored/_update/d2?refresh=true", "{\"doc\": {\"title\": \"title two\"}}").status());
        JsonNode updated = node.get("/stored/_doc/d2?_source_includes=title,body,title_semantic,body_semantic").json().path("_source");
        assertEquals(asIndexed.get("d2").path("body_semantic"), updated.path("body_semantic"));
        asIndexed.put("d2", node.get("/stored/_doc/d2?realtime=false&_source_includes=title,body,title_semantic,body_semantic").json().path("_source"));
        assertEquals("title two", asIndexed.get("d2").path("title_semantic").path("passages").path(0).path("text").asText());

        for (String stage : new String[] { "segments", "force-merged" }) {
            if (stage.equals("force-merged")) {
                assertEquals(200, node.post("/stored/_forcemerge?max_num_segments=1", "").status());
                node.postOk("/stored/_refresh", "");
            }
            long sourceBytes = 0;
            for (String id : new String[] { "d0", "d2", "d3", "d4" }) {
                JsonNode stored = node.get("/stored/_doc/" + id + "?realtime=false&_source_includes=title,body,title_semantic,body_semantic").json().path("_source");
                assertEquals(stage + " " + id, asIndexed.get(id), stored);
                assertTrue(stored.path("body_semantic").path("passages").size() >= 1);
                sourceBytes += stored.toString().length();
            }
            if (stage.equals("force-merged")) {
                // What the store holds is well under the sources it gives back: their vectors are not in it twice.
                long store = node.get("/stored/_stats/store").json().path("_all").path("primaries").path("store").path("size_in_bytes").asLong();
                assertTrue("store " + store + " bytes for " + sourceBytes + " bytes of source", store < 0.6 * sourceBytes);
            }
        }
        JsonNode hits = search("stored", "{\"semantic\": {\"field\": \"body\", \"query\": \"copy files over ssh\"}}");
        assertEquals(hits.toString(), 4, hits.size());
    }

    @Test
    public void searchesThatShowNoVectorsGetTheSamePassagesAndThoseThatShowThemGetThem() {
        node.putOk("/fetched", "{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0}, \"mappings\": {\"properties\": {"
            + "\"body\": {\"type\": \"semantic_text\", \"chunking\": {\"max_tokens\": 12, \"overlap_tokens\": 2}}}}}");
        String[] texts = { CLAMAV, LOGROTATE, RSYNC };
        for (int i = 0; i < texts.length; i++) {
            assertEquals(201, node.put("/fetched/_doc/d" + i, "{\"body\": " + quoted(texts[i]) + "}").status());
        }
        node.postOk("/fetched/_refresh", "");
        String semantic = "{\"semantic\": {\"field\": \"body\", \"query\": \"copy files over ssh\"}}";

        // The fetch of these does not put the vectors back (PassageVectorsFetchListener): the passages are the same.
        JsonNode withSource = fetched("{\"query\": " + semantic + "}");
        JsonNode noSource = fetched("{\"_source\": false, \"query\": " + semantic + "}");
        JsonNode excluded = fetched("{\"_source\": {\"excludes\": [\"*_semantic\"]}, \"query\": " + semantic + "}");
        JsonNode shown = fetched("{\"_source\": [\"body\", \"body_semantic\"], \"query\": " + semantic + "}");
        assertEquals(3, withSource.size());
        for (int i = 0; i < withSource.size(); i++) {
            JsonNode passages = withSource.path(i).path("inner_hits").path("body").path("hits").path("hits");
            assertTrue(passages.toString(), passages.size() >= 1 && passages.path(0).path("_source").path("text").asText().length() > 0);
            assertFalse("inner hits never show vectors", passages.path(0).path("_source").has("vector"));
            assertEquals(passages, noSource.path(i).path("inner_hits").path("body").path("hits").path("hits"));
            assertEquals(passages, excluded.path(i).path("inner_hits").path("body").path("hits").path("hits"));
            assertFalse(excluded.path(i).path("_source").has("body_semantic"));
            assertEquals(withSource.path(i).path("_source").path("body"), excluded.path(i).path("_source").path("body"));
            assertFalse("the passages are shown only when asked for by name", withSource.path(i).path("_source").has("body_semantic"));
            // A source that names them has them, with their vectors, and the same inner hits.
            assertEquals(384, shown.path(i).path("_source").path("body_semantic").path("passages").path(0).path("vector").size());
            assertEquals(passages, shown.path(i).path("inner_hits").path("body").path("hits").path("hits"));
        }

        // Searches that show vectors get them back: asked for by name, or in inner hits of the user's own nested query.
        JsonNode asked = fetched("{\"_source\": [\"body_semantic.passages.vector\"], \"query\": " + semantic + "}");
        assertEquals(384, asked.path(0).path("_source").path("body_semantic").path("passages").path(0).path("vector").size());
        JsonNode nested = fetched("{\"_source\": false, \"query\": {\"nested\": {\"path\": \"body_semantic.passages\", "
            + "\"query\": {\"match_all\": {}}, \"inner_hits\": {\"size\": 1}}}}");
        JsonNode innerSource = nested.path(0).path("inner_hits").path("body_semantic.passages").path("hits").path("hits").path(0).path("_source");
        assertEquals(innerSource.toString(), 384, innerSource.path("vector").size());
        // And what reads the source outside a search is not affected by the searches before it.
        assertEquals(384, node.get("/fetched/_doc/d2?realtime=false&_source_includes=body_semantic").json().path("_source").path("body_semantic").path("passages").path(0)
            .path("vector").size());
    }

    private static JsonNode fetched(String body) {
        LocalNode.Response response = node.post("/fetched/_search", body);
        assertEquals(response.toString(), 200, response.status());
        return response.json().path("hits").path("hits");
    }

    @Test
    public void likeTakesTheRoutingOfADocumentInACustomRoutedIndex() {
        node.putOk("/routed", "{\"mappings\": {\"_routing\": {\"required\": true}, \"properties\": {\"body\": {\"type\": \"semantic_text\"}}}}");
        assertEquals(201, node.put("/routed/_doc/rsync?routing=tools&refresh=true", "{\"body\": " + quoted(RSYNC) + "}").status());
        assertEquals(201, node.put("/routed/_doc/clamav?routing=security&refresh=true", "{\"body\": " + quoted(CLAMAV) + "}").status());
        JsonNode hits = search("routed", "{\"semantic\": {\"field\": \"body\", \"like\": {\"_id\": \"rsync\", \"routing\": \"tools\"}}}");
        assertEquals(hits.toString(), "rsync", hits.path(0).path("_id").asText());
        LocalNode.Response unrouted = node.post("/routed/_search", "{\"query\": {\"semantic\": {\"field\": \"body\", \"like\": {\"_id\": \"rsync\"}}}}");
        assertEquals(unrouted.toString(), 400, unrouted.status());
        assertTrue(unrouted.body(), unrouted.body().contains("routing"));
    }

    @Test
    public void badDocumentsFailAloneNamingTheField() {
        node.putOk("/bad-docs", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\", \"chunking\": {\"max_tokens\": 8, "
            + "\"overlap_tokens\": 0}}}}}");
        String tooLong = (LOGROTATE + " ").repeat(8);
        String bulk = """
            {"index": {"_id": "good"}}
            {"body": %s}
            {"index": {"_id": "number"}}
            {"body": 42}
            {"index": {"_id": "object"}}
            {"body": {"text": "an object"}}
            {"index": {"_id": "mixed"}}
            {"body": ["fine", true]}
            {"index": {"_id": "long"}}
            {"body": %s}
            {"index": {"_id": "empty"}}
            {"body": ""}
            {"index": {"_id": "none"}}
            {"other": "no body"}
            """.formatted(quoted(RSYNC), quoted(tooLong));
        long before = texts(MINILM);
        JsonNode items = node.post("/bad-docs/_bulk?refresh=true", bulk).json().path("items");
        assertEquals(items.toString(), 201, status(items, "good"));
        assertEquals(201, status(items, "empty"));
        assertEquals(201, status(items, "none"));
        assertEquals(400, status(items, "number"));
        assertEquals("field [body] must be a string or an array of strings, got a number [42]", reason(items, "number"));
        assertEquals(400, status(items, "object"));
        assertEquals(400, status(items, "mixed"));
        assertTrue(reason(items, "mixed"), reason(items, "mixed").contains("its element [1] is a boolean [true]"));
        assertEquals(400, status(items, "long"));
        assertTrue(
            reason(items, "long"),
            reason(items, "long").contains("more than the [" + MAX_PASSAGES + "] of [plugins.semantic.ingest.max_passages_per_document]")
        );
        // Only the good document's passages were embedded: the long one failed before any of its text was.
        JsonNode good = node.get("/bad-docs/_doc/good?_source_includes=body_semantic").json().path("_source").path("body_semantic").path("passages");
        assertEquals(before + good.size(), texts(MINILM));
        assertEquals(0, node.get("/bad-docs/_doc/empty?_source_includes=body_semantic").json().path("_source").path("body_semantic").path("passages").size());
    }

    @Test
    public void userPipelinesRunFirstAndCannotForgePassages() {
        node.putOk("/_ingest/pipeline/tagger", """
            {"processors": [
              {"set": {"field": "tag", "value": "from-default"}},
              {"set": {"field": "body_semantic", "value": {"hash": "forged", "passages": [{"text": "forged", "offset": 0}]}}}]}""");
        node.putOk("/_ingest/pipeline/finisher", "{\"processors\": [{\"uppercase\": {\"field\": \"body\"}}]}");
        node.putOk("/piped", "{\"settings\": {\"index.default_pipeline\": \"tagger\", \"index.final_pipeline\": \"finisher\"}, "
            + "\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}, \"tag\": {\"type\": \"keyword\"}}}}");
        LocalNode.Response indexed = node.put("/piped/_doc/1?refresh=true", "{\"body\": \"rsync copies files\"}");
        assertEquals(indexed.toString(), 201, indexed.status());
        JsonNode source = node.get("/piped/_doc/1?_source_includes=body,tag,body_semantic").json().path("_source");
        assertEquals("from-default", source.path("tag").asText());
        assertEquals("RSYNC COPIES FILES", source.path("body").asText());
        JsonNode passages = source.path("body_semantic").path("passages");
        // The system pipeline runs last, on what the user's pipelines made: it embeds the final text, over the forgery.
        assertEquals(source.toString(), "RSYNC COPIES FILES", passages.path(0).path("text").asText());
        assertEquals(384, passages.path(0).path("vector").size());
        assertNotEquals("forged", source.path("body_semantic").path("hash").asText());
    }

    @Test
    public void aModelWhoseFilesDifferFromTheMappingsIsRefusedWithAClearError() {
        // A mapping that records another fingerprint, as if created on a node with other files for this model.
        node.putOk("/foreign", "{\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\", \"model\": \"" + MINILM
            + "\", \"dims\": 384, \"model_fingerprint\": \"sha256:00000000000000000000000000000000\"}}}}");
        LocalNode.Response indexed = node.put("/foreign/_doc/1", "{\"body\": \"rsync copies files\"}");
        assertEquals(indexed.toString(), 400, indexed.status());
        assertTrue(
            indexed.toString(),
            indexed.body().contains("cannot embed [semantic_text] field [body]: model [" + MINILM + "] has fingerprint [sha256:")
        );
        assertTrue(indexed.body(), indexed.body().contains("but the mapping records [sha256:00000000000000000000000000000000]"));
        LocalNode.Response query = node.post("/foreign/_search", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"copy\"}}}");
        assertEquals(query.toString(), 400, query.status());
        assertTrue(query.body(), query.body().contains("but the mapping records [sha256:00000000000000000000000000000000]"));
        LocalNode.Response rag = node.post("/foreign/_rag", "{\"question\": \"what copies files?\", \"field\": \"body\"}");
        assertEquals(rag.toString(), 400, rag.status());
        assertTrue(rag.body(), rag.body().contains("[field] [body]: model [" + MINILM + "] has fingerprint [sha256:"));
        assertTrue(rag.body(), rag.body().contains("but the mapping records [sha256:00000000000000000000000000000000]"));
    }

    @Test
    public void loadSampleScriptLoadsTheSampleAndReloadsItWithoutEmbedding() throws Exception {
        String first = loadSample();
        assertTrue(first, first.contains("created index debian-packages-en (semantic_text fields title and body, model all-minilm-l6-v2)"));
        assertTrue(first, first.contains("debian-packages-en: 300 documents sent:"));
        assertTrue(first, first.contains("debian-packages-zh: 200 documents sent:"));
        assertFalse(first, first.matches("(?s).*[1-9][0-9]* failed.*"));
        assertTrue(first, first.contains("debian-packages-en: 300 documents,"));
        assertTrue(first, first.contains("debian-packages-zh: 200 documents,"));
        assertEquals(500, node.get("/debian-packages/_count").json().path("count").asInt());
        JsonNode zh = node.get("/debian-packages-zh/_search?q=lang:zh&size=1&_source_includes=title_semantic,body_semantic").json().path("hits").path("hits").path(0).path("_source");
        assertEquals(zh.toString(), 512, zh.path("title_semantic").path("passages").path(0).path("vector").size());
        assertEquals(512, zh.path("body_semantic").path("passages").path(0).path("vector").size());

        String again = loadSample();
        assertTrue(again, again.contains("texts embedded by this load: 0"));
    }

    private static String loadSample() throws Exception {
        Process process = new ProcessBuilder("bash", "scripts/load-sample.sh", "http://127.0.0.1:" + node.httpPort()).redirectErrorStream(true)
            .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("load-sample.sh did not finish", process.waitFor(5, TimeUnit.MINUTES));
        assertEquals(output, 0, process.exitValue());
        return output;
    }

    private static void assertMappingRefused(String field, String message) {
        LocalNode.Response response = node.put("/bad-mapping", "{\"mappings\": {\"properties\": {\"body\": " + field + "}}}");
        assertEquals(response.toString(), 400, response.status());
        assertTrue(response.toString(), response.body().contains(message));
    }

    private static JsonNode search(String index, String query) {
        LocalNode.Response response = node.post("/" + index + "/_search", "{\"query\": " + query + "}");
        assertEquals(response.toString(), 200, response.status());
        return response.json().path("hits").path("hits");
    }

    private static String bulkOf(String... idsAndBodies) {
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < idsAndBodies.length; i += 2) {
            bulk.append("{\"index\": {\"_id\": \"").append(idsAndBodies[i]).append("\"}}\n");
            bulk.append("{\"body\": ").append(quoted(idsAndBodies[i + 1])).append("}\n");
        }
        return bulk.toString();
    }

    private static String quoted(String text) {
        return JSON.valueToTree(text).toString();
    }

    private static int status(JsonNode items, String id) {
        for (JsonNode item : items) {
            if (item.path("index").path("_id").asText().equals(id)) {
                return item.path("index").path("status").asInt();
            }
        }
        throw new AssertionError("no item [" + id + "] in " + items);
    }

    private static String reason(JsonNode items, String id) {
        for (JsonNode item : items) {
            if (item.path("index").path("_id").asText().equals(id)) {
                return item.path("index").path("error").path("reason").asText();
            }
        }
        throw new AssertionError("no item [" + id + "] in " + items);
    }

    /** Texts the model has embedded on the node so far. */
    private static long texts(String model) {
        JsonNode stats = node.get("/_plugins/_semantic/stats").json();
        return stats.path("nodes").elements().next().path("models").path(model).path("texts").asLong();
    }
}
