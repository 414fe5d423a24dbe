package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * The {@code semantic_embed} processor on a real node: {@code _simulate}, validation at {@code PUT _ingest/pipeline},
 * a bulk of good and bad documents through {@code index.default_pipeline}, batching across documents,
 * {@code skip_existing} proven by the inference counters, {@code on_failure} and {@code ignore_failure}, and passages
 * indexed as nested documents. Each test uses its own pipelines and indices.
 */
public class IngestIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MINILM = "all-minilm-l6-v2";
    private static final String VECTOR_MAPPING = "{\"type\": \"semantic_vector\", \"model\": \"" + MINILM + "\"}";
    private static final String HASH_MAPPING = "{\"type\": \"keyword\", \"index\": false, \"doc_values\": false}";

    private static final String LOGROTATE = "Logrotate is designed to ease administration of systems that generate large numbers "
        + "of log files. It allows automatic rotation, compression, removal and mailing of log files. Each log file may be "
        + "handled daily, weekly, monthly, or when it grows too large. This package also contains a cron job that rotates "
        + "the logs of the system every day. It can keep a number of old logs, compress them with gzip or xz, and run "
        + "commands before and after each rotation, for example to make a daemon reopen its log file.";

    private static LocalNode node;

    @BeforeClass
    public static void startNode() throws Exception {
        node = LocalNode.builder("ingest").plugin(LocalNode.pluginZip()).start();
    }

    @AfterClass
    public static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    public void simulateShowsVectorsPassagesAndPerDocumentErrors() {
        LocalNode.Response response = node.post("/_ingest/pipeline/_simulate", """
            {"pipeline": {"processors": [
               {"semantic_embed": {"field_map": {"title": "title_vec", "meta.summary": "summary_vec"}, "ignore_missing": true}},
               {"semantic_embed": {"field_map": {"body": "body_passages"}, "chunking": {"max_tokens": 32, "overlap_tokens": 8}}}]},
             "docs": [
               {"_source": {"title": "logrotate", "meta": {"summary": "rotates logs"}, "body": %s}},
               {"_source": {"title": "broken", "body": 42}},
               {"_source": {"title": "flat", "meta.summary": "a dotted key", "body": ["first string.", "second string."]}}]}
            """.formatted(JSON.valueToTree(LOGROTATE)));
        assertEquals(response.toString(), 200, response.status());
        JsonNode docs = response.json().path("docs");

        JsonNode first = docs.path(0).path("doc").path("_source");
        assertEquals(first.toString(), 384, first.path("title_vec").size());
        assertEquals(384, first.path("summary_vec").size());
        JsonNode passages = first.path("body_passages");
        assertTrue(passages.toString(), passages.size() >= 3);
        for (JsonNode passage : passages) {
            String text = passage.path("text").asText();
            int offset = passage.path("offset").asInt();
            assertEquals(text, LOGROTATE.substring(offset, offset + text.length()));
            assertEquals(384, passage.path("vector").size());
        }

        JsonNode error = docs.path(1).path("error");
        assertEquals(docs.path(1).toString(), "illegal_argument_exception", error.path("type").asText());
        assertEquals("field [body] must be a string or an array of strings, got a number [42]", error.path("reason").asText());

        JsonNode flat = docs.path(2).path("doc").path("_source");
        assertEquals(flat.toString(), 384, flat.path("summary_vec").size());
        assertEquals(2, flat.path("body_passages").size());
        assertEquals(1, flat.path("body_passages").path(1).path("element").asInt());
    }

    @Test
    public void invalidPipelinesAreRefusedNamingTheParameter() {
        assertRefused("{\"field_map\": {\"body\": \"v\"}, \"model\": \"nope\"}", "[model] unknown model [nope]; loaded models are [");
        assertRefused("{\"field_map\": {}}", "[field_map] must map at least one source field to a target field, got [{}]");
        assertRefused("{\"model\": \"" + MINILM + "\"}", "[field_map] required property is missing");
        assertRefused(
            "{\"field_map\": {\"body\": \"v\"}, \"chunking\": {\"max_tokens\": 100, \"overlap_tokens\": 100}}",
            "[chunking.overlap_tokens] must be at least 0 and less than [chunking.max_tokens] [100], got [100]"
        );
        assertRefused(
            "{\"field_map\": {\"body\": \"v\"}, \"chunking\": {\"max_tokens\": 1000}}",
            "[chunking.max_tokens] must be at most [254] for model [" + MINILM + "]"
        );
        assertRefused("{\"field_map\": {\"body\": \"v\"}, \"chunking\": {\"size\": 3}}", "[chunking] does not support [size]");
        assertRefused("{\"field_map\": {\"body\": \"v\"}, \"batch_size\": 0}", "[batch_size] must be at least 1, got [0]");
        assertRefused(
            "{\"field_map\": {\"body\": \"v\"}, \"colour\": \"red\"}",
            "processor [semantic_embed] doesn't support one or more provided configuration parameters [colour]"
        );
    }

    @Test
    public void bulkThroughTheDefaultPipelineFailsBadDocumentsAloneAndBatchesTheRest() throws Exception {
        putPipeline("bulk-pipeline", """
            {"processors": [{"semantic_embed": {"field_map": {"title": "title_vec"}, "batch_size": 16}}]}""");
        createIndex("bulk-docs", "bulk-pipeline", "\"title\": {\"type\": \"text\"}, \"title_vec\": " + VECTOR_MAPPING);
        Map<Integer, String> bad = Map.of(
            5, "\"title\": 42",
            10, "\"other\": \"no title\"",
            20, "\"title\": {\"text\": \"an object\"}",
            30, "\"title\": [\"fine\", true]"
        );
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            bulk.append("{\"index\": {\"_index\": \"bulk-docs\", \"_id\": \"").append(i).append("\"}}\n");
            bulk.append('{').append(bad.getOrDefault(i, "\"title\": \"package number " + i + " rotates logs\"")).append("}\n");
        }
        JsonNode before = stats(MINILM);
        LocalNode.Response response = node.post("/_bulk?refresh=true", bulk.toString());
        assertEquals(response.toString(), 200, response.status());
        JsonNode items = response.json().path("items");
        assertEquals(40, items.size());
        for (int i = 0; i < 40; i++) {
            JsonNode item = items.path(i).path("index");
            if (bad.containsKey(i)) {
                assertEquals(item.toString(), 400, item.path("status").asInt());
                assertTrue(item.toString(), item.path("error").path("reason").asText().contains("field [title]"));
            } else {
                assertEquals(item.toString(), 201, item.path("status").asInt());
            }
        }
        assertTrue(items.path(5).toString(), items.path(5).toString().contains("got a number [42]"));
        assertTrue(items.path(10).toString(), items.path(10).toString().contains("field [title] is missing or null"));
        assertTrue(items.path(20).toString(), items.path(20).toString().contains("got an object"));
        assertTrue(items.path(30).toString(), items.path(30).toString().contains("its element [1] is a boolean [true]"));

        JsonNode after = stats(MINILM);
        // 40 documents in batches of 16: three model calls, not one per document.
        assertEquals(after.toString(), before.path("requests").asLong() + 3, after.path("requests").asLong());
        assertEquals(before.path("texts").asLong() + 36, after.path("texts").asLong());

        assertEquals(36, node.get("/bulk-docs/_count").json().path("count").asInt());
        JsonNode stored = node.get("/bulk-docs/_doc/7").json().path("_source");
        assertEquals(stored.toString(), 384, stored.path("title_vec").size());
    }

    @Test
    public void skipExistingReusesTheStoredVectorsOfUnchangedText() throws Exception {
        putPipeline("skip-pipeline", """
            {"processors": [
              {"semantic_embed": {"field_map": {"title": "title_vec"}, "skip_existing": true}},
              {"semantic_embed": {"field_map": {"body": "body_passages"}, "skip_existing": true,
                                  "chunking": {"max_tokens": 40, "overlap_tokens": 10}}}]}""");
        createIndex("skip-docs", "skip-pipeline", mappings());
        String document = "{\"title\": \"logrotate\", \"body\": " + JSON.valueToTree(LOGROTATE) + ", \"version\": %d}";

        JsonNode start = stats(MINILM);
        assertEquals(201, node.put("/skip-docs/_doc/1?refresh=true", document.formatted(1)).status());
        JsonNode first = node.get("/skip-docs/_doc/1").json().path("_source");
        int passages = first.path("body_passages").size();
        assertTrue(first.toString(), passages >= 3);
        assertEquals(64, first.path("title_vec_hash").asText().length());
        assertEquals(64, first.path("body_passages_hash").asText().length());
        JsonNode afterFirst = stats(MINILM);
        assertEquals(start.path("texts").asLong() + 1 + passages, afterFirst.path("texts").asLong());

        // The same texts again, another field changed: nothing is embedded and the stored vectors are kept.
        assertEquals(200, node.put("/skip-docs/_doc/1?refresh=true", document.formatted(2)).status());
        JsonNode second = node.get("/skip-docs/_doc/1").json().path("_source");
        assertEquals(2, second.path("version").asInt());
        assertEquals(first.path("title_vec"), second.path("title_vec"));
        assertEquals(first.path("body_passages"), second.path("body_passages"));
        JsonNode afterSecond = stats(MINILM);
        assertEquals("no text was embedded again: " + afterSecond, afterFirst.path("texts").asLong(), afterSecond.path("texts").asLong());
        assertEquals(afterFirst.path("requests").asLong(), afterSecond.path("requests").asLong());

        // Through _bulk too, next to a new document, which alone is embedded.
        String bulk = "{\"index\": {\"_index\": \"skip-docs\", \"_id\": \"1\"}}\n" + document.formatted(3) + "\n"
            + "{\"index\": {\"_index\": \"skip-docs\", \"_id\": \"2\"}}\n{\"title\": \"a new title\", \"body\": \"A new body.\"}\n";
        JsonNode bulkResponse = node.post("/_bulk?refresh=true", bulk).json();
        assertFalse(bulkResponse.toString(), bulkResponse.path("errors").asBoolean());
        assertEquals(afterSecond.path("texts").asLong() + 2, stats(MINILM).path("texts").asLong());

        // A partial update runs the default pipeline on the merged document: other fields changed, nothing embedded.
        JsonNode beforeUpdate = stats(MINILM);
        LocalNode.Response update = node.post("/skip-docs/_update/1?refresh=true", "{\"doc\": {\"version\": 4}}");
        assertEquals(update.toString(), 200, update.status());
        assertEquals(beforeUpdate.path("texts").asLong(), stats(MINILM).path("texts").asLong());
        JsonNode updated = node.get("/skip-docs/_doc/1").json().path("_source");
        assertEquals(4, updated.path("version").asInt());
        assertEquals(first.path("body_passages"), updated.path("body_passages"));

        // A changed title is embedded again; the unchanged body is not.
        JsonNode beforeChange = stats(MINILM);
        String changed = "{\"title\": \"logrotate, the log rotator\", \"body\": " + JSON.valueToTree(LOGROTATE) + "}";
        assertEquals(200, node.put("/skip-docs/_doc/1?refresh=true", changed).status());
        assertEquals(beforeChange.path("texts").asLong() + 1, stats(MINILM).path("texts").asLong());
        JsonNode third = node.get("/skip-docs/_doc/1").json().path("_source");
        assertFalse(first.path("title_vec").equals(third.path("title_vec")));
        assertEquals(first.path("body_passages"), third.path("body_passages"));
    }

    @Test
    public void onFailureAndIgnoreFailureWorkInBulk() {
        putPipeline("on-failure-pipeline", """
            {"processors": [{"semantic_embed": {"field_map": {"title": "title_vec"},
               "on_failure": [{"set": {"field": "embed_error", "value": "{{ _ingest.on_failure_message }}"}}]}}]}""");
        putPipeline("ignore-failure-pipeline", """
            {"processors": [{"semantic_embed": {"field_map": {"title": "title_vec"}, "ignore_failure": true}}]}""");
        // "_none": the pipelines are named per request; title is text, so that 12 and false index as text.
        createIndex("failures", "_none", "\"title\": {\"type\": \"text\"}, \"title_vec\": " + VECTOR_MAPPING);
        String bulk = """
            {"index": {"_index": "failures", "_id": "a", "pipeline": "on-failure-pipeline"}}
            {"title": 12}
            {"index": {"_index": "failures", "_id": "b", "pipeline": "on-failure-pipeline"}}
            {"title": "fine"}
            {"index": {"_index": "failures", "_id": "c", "pipeline": "ignore-failure-pipeline"}}
            {"title": false}
            """;
        LocalNode.Response response = node.post("/_bulk?refresh=true", bulk);
        assertEquals(response.toString(), 200, response.status());
        assertFalse(response.body(), response.json().path("errors").asBoolean());
        JsonNode a = node.get("/failures/_doc/a").json().path("_source");
        assertEquals(a.toString(), "field [title] must be a string or an array of strings, got a number [12]", a.path("embed_error").asText());
        assertTrue(a.path("title_vec").isMissingNode());
        assertEquals(384, node.get("/failures/_doc/b").json().path("_source").path("title_vec").size());
        JsonNode c = node.get("/failures/_doc/c").json().path("_source");
        assertFalse(c.toString(), c.path("title").asBoolean(true));
        assertTrue(c.path("title_vec").isMissingNode());
    }

    @Test
    public void passagesAreSearchedByMeaningInEnglishAndChinese() {
        // One index, a model per language: English passages in body_passages, Chinese ones in body_passages_zh.
        // (An "if" makes OpenSearch run the processor one document at a time: this checks that path too.)
        putPipeline("passages-pipeline", """
            {"processors": [
              {"semantic_embed": {"field_map": {"body": "body_passages"}, "chunking": {"max_tokens": 40, "overlap_tokens": 10},
                                  "if": "ctx.lang == 'en'"}},
              {"semantic_embed": {"field_map": {"body": "body_passages_zh"}, "model": "bge-small-zh-v1.5",
                                  "chunking": {"max_tokens": 40}, "if": "ctx.lang == 'zh'"}}]}""");
        createIndex("passages", "passages-pipeline", mappings() + ", \"lang\": {\"type\": \"keyword\"}, "
            + "\"body_passages_zh\": {\"type\": \"nested\", \"properties\": {\"text\": {\"type\": \"text\"}, "
            + "\"offset\": {\"type\": \"integer\"}, \"vector\": {\"type\": \"semantic_vector\", \"model\": \"bge-small-zh-v1.5\"}}}");
        String chinese = "日志轮转工具可以压缩和发送系统日志。它适合产生大量日志文件的系统！每个日志文件可以每天、每周或每月处理一次。"
            + "它是从定时任务运行的吗？通常它作为每日定时任务运行。除非按大小轮转，否则一天内不会修改同一个日志两次。";
        StringBuilder bulk = new StringBuilder();
        bulk.append("{\"index\": {\"_index\": \"passages\", \"_id\": \"en\"}}\n{\"lang\": \"en\", \"body\": ").append(quoted(LOGROTATE)).append("}\n");
        bulk.append("{\"index\": {\"_index\": \"passages\", \"_id\": \"zh\"}}\n{\"lang\": \"zh\", \"body\": ").append(quoted(chinese)).append("}\n");
        String[] others = {
            "Rsync copies files between hosts. It sends only the differences between the source files and the existing files.",
            "GIMP is an image editor for photo retouching, image composition and image authoring." };
        for (int i = 0; i < others.length; i++) {
            bulk.append("{\"index\": {\"_index\": \"passages\", \"_id\": \"other-").append(i).append("\"}}\n");
            bulk.append("{\"lang\": \"en\", \"body\": ").append(quoted(others[i])).append("}\n");
        }
        JsonNode bulkResponse = node.post("/_bulk?refresh=true", bulk.toString()).json();
        assertFalse(bulkResponse.toString(), bulkResponse.path("errors").asBoolean());

        JsonNode zh = node.get("/passages/_doc/zh").json().path("_source").path("body_passages_zh");
        assertTrue(zh.toString(), zh.size() >= 2);
        for (JsonNode passage : zh) {
            assertEquals(512, passage.path("vector").size());
            assertTrue(passage.path("text").asText(), passage.path("text").asText().matches("(?s).*[。！？]"));
        }

        // The semantic query inside a nested query: documents by their best passage, inner_hits shows that passage.
        JsonNode hit = searchPassages("body_passages", "which program runs every day from cron to rotate old logs?");
        assertEquals(hit.toString(), "en", hit.path("_id").asText());
        JsonNode passage = hit.path("inner_hits").path("body_passages").path("hits").path("hits").path(0).path("_source");
        String text = passage.path("text").asText();
        assertTrue(passage.toString(), text.matches("(?s).*(cron|daily|every day).*"));
        int offset = passage.path("offset").asInt();
        assertEquals(text, LOGROTATE.substring(offset, offset + text.length()));

        assertEquals("other-0", searchPassages("body_passages", "synchronise directories over the network").path("_id").asText());
        JsonNode zhHit = searchPassages("body_passages_zh", "日志多久处理一次");
        assertEquals(zhHit.toString(), "zh", zhHit.path("_id").asText());
        String zhText = zhHit.path("inner_hits").path("body_passages_zh").path("hits").path("hits").path(0).path("_source").path("text").asText();
        assertTrue(zhText, zhText.contains("每天、每周或每月"));
    }

    /** A string as a JSON string literal. */
    private static String quoted(String text) {
        return JSON.getNodeFactory().textNode(text).toString();
    }

    /** The best document of a semantic search over passages, with its best passage in inner_hits. */
    private static JsonNode searchPassages(String path, String query) {
        LocalNode.Response search = node.post("/passages/_search", """
            {"_source": false, "size": 1,
             "query": {"nested": {"path": "%s", "score_mode": "max",
               "query": {"semantic": {"field": "%s.vector", "query": %s, "k": 3}},
               "inner_hits": {"size": 1, "_source": ["%s.text", "%s.offset"]}}}}""".formatted(path, path, JSON.valueToTree(query), path, path));
        assertEquals(search.toString(), 200, search.status());
        return search.json().path("hits").path("hits").path(0);
    }

    /** The mapping of the sample and the docs: one vector for the title, nested passages with vectors for the body. */
    private static String mappings() {
        return "\"title\": {\"type\": \"text\"}, \"title_vec\": " + VECTOR_MAPPING + ", \"title_vec_hash\": " + HASH_MAPPING + ", "
            + "\"body\": {\"type\": \"text\"}, \"body_passages\": {\"type\": \"nested\", \"properties\": {"
            + "\"text\": {\"type\": \"text\"}, \"offset\": {\"type\": \"integer\"}, \"element\": {\"type\": \"integer\"}, "
            + "\"vector\": " + VECTOR_MAPPING + "}}, \"body_passages_hash\": " + HASH_MAPPING;
    }

    @Test
    public void vectorsOfAnotherModelAreRefusedByTheTargetField() {
        // The int8 model makes vectors of the same 384 dims: only the mapping's model tells them apart.
        putPipeline("int8-pipeline", "{\"processors\": [{\"semantic_embed\": {\"field_map\": {\"title\": \"title_vec\"}, "
            + "\"model\": \"all-minilm-l6-v2-int8\"}}, {\"semantic_embed\": {\"field_map\": {\"body\": \"body_passages\"}, "
            + "\"model\": \"all-minilm-l6-v2-int8\", \"chunking\": {}}}]}");
        createIndex("other-model", "int8-pipeline", mappings());
        LocalNode.Response indexed = node.put("/other-model/_doc/1", "{\"title\": \"logrotate\", \"body\": \"rotates logs\"}");
        assertEquals(indexed.toString(), 400, indexed.status());
        assertTrue(indexed.body(), indexed.body().contains(
            "[semantic_embed] embeds with [model] [all-minilm-l6-v2-int8]: the vector is from [model] [all-minilm-l6-v2-int8], but "
                + "field [title_vec] of index [other-model] holds vectors of [model] [all-minilm-l6-v2]"
        ));
        // The same pipeline into a field of its own model is fine.
        createIndex("same-model", "int8-pipeline", "\"title_vec\": {\"type\": \"semantic_vector\", \"model\": \"all-minilm-l6-v2-int8\"}, "
            + "\"body_passages\": {\"type\": \"nested\", \"properties\": {\"vector\": {\"type\": \"semantic_vector\", "
            + "\"model\": \"all-minilm-l6-v2-int8\"}}}");
        assertEquals(201, node.put("/same-model/_doc/1", "{\"title\": \"logrotate\", \"body\": \"rotates logs\"}").status());
    }

    private static void putPipeline(String id, String body) {
        LocalNode.Response response = node.put("/_ingest/pipeline/" + id, body);
        assertEquals(response.toString(), 200, response.status());
    }

    private static void createIndex(String name, String defaultPipeline, String properties) {
        LocalNode.Response response = node.put("/" + name, """
            {"settings": {"number_of_shards": 1, "number_of_replicas": 0, "index.default_pipeline": "%s"},
             "mappings": {"properties": {%s}}}""".formatted(defaultPipeline, properties));
        assertEquals(response.toString(), 200, response.status());
    }

    private static void assertRefused(String processor, String expected) {
        LocalNode.Response response = node.put("/_ingest/pipeline/refused", "{\"processors\": [{\"semantic_embed\": " + processor + "}]}");
        assertEquals(response.toString(), 400, response.status());
        assertTrue(response.body(), response.body().contains(expected));
    }

    /** The model's counters on the (only) node. */
    private static JsonNode stats(String model) {
        JsonNode stats = node.get("/_plugins/_semantic/stats").json();
        assertEquals(stats.toString(), 1, stats.path("_nodes").path("successful").asInt());
        return stats.path("nodes").elements().next().path("models").path(model);
    }
}
