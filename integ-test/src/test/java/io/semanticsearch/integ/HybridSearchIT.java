package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * Hybrid search inside an ordinary {@code _search} on a real node: the {@code semantic} query's {@code hybrid} option
 * ranks as {@code _rag} retrieves, the same on 1 and 3 shards, and composes with paging, filters, aggregations,
 * highlighting and explain; a {@code semantic_vector} field fuses with a named {@code text_field}; misuse gets a
 * 400 that names the parameter.
 */
public class HybridSearchIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static LocalNode node;

    private static final String[][] DOCS = {
        { "logrotate", "logs", "Logrotate rotates, compresses and removes old log files so that they do not fill the disk. It normally runs once a day from cron. The main configuration file is /etc/logrotate.conf." },
        { "sshd", "ssh", "The OpenSSH server reads its settings from /etc/ssh/sshd_config. Restart the ssh service after changing that file. Set PasswordAuthentication to no to allow only key-based logins." },
        { "nginx", "web", "Nginx is a web server that can also act as a reverse proxy. The proxy_pass directive forwards requests to a backend server." },
        { "cron", "scheduling", "Cron runs commands at scheduled times. Each user edits their own crontab with the command crontab -e." },
        { "apt", "packages", "Install a package with apt install followed by its name. Run apt update first to refresh the package lists." },
        { "ufw", "security", "UFW is a simple front end for the Linux firewall. Allow incoming SSH connections with ufw allow ssh, then turn the firewall on with ufw enable." },
        { "disk", "storage", "The df command shows how much space is free on each file system. Use du -sh on a folder to see how much space it takes." },
        { "timezone", "time", "Set the system time zone with timedatectl set-timezone, for example Europe/Paris. The timedatectl command alone shows the current settings." },
        { "journald", "logs", "The systemd journal collects log messages from services. Read it with journalctl, and follow new messages with journalctl -f." },
        { "rsync", "storage", "Rsync copies files to and from remote machines over ssh, sending only the parts that changed." },
        { "fail2ban", "security", "Fail2ban watches log files for repeated failed logins and bans the addresses they come from with firewall rules." },
        { "systemd-timers", "scheduling", "Systemd timers start services at set times, a modern alternative to cron jobs." }
    };

    @BeforeClass
    public static void startNode() throws Exception {
        node = LocalNode.builder("hybrid").plugin(LocalNode.pluginZip()).start();
        for (String index : List.of("hybrid-1", "hybrid-3")) {
            int shards = index.endsWith("3") ? 3 : 1;
            assertEquals(200, node.put("/" + index, "{\"settings\": {\"number_of_shards\": " + shards + ", \"number_of_replicas\": 0}, "
                + "\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}, \"topic\": {\"type\": \"keyword\"}}}}").status());
            index(index, "body");
        }
        // The low-level route: a text field, its vector from a pipeline, and hybrid naming the text field.
        assertEquals(200, node.put("/_ingest/pipeline/hybrid-embed", "{\"processors\": [{\"semantic_embed\": {\"field_map\": {\"text\": \"text_vec\"}}}]}").status());
        assertEquals(200, node.put("/hybrid-vec", "{\"settings\": {\"default_pipeline\": \"hybrid-embed\", \"number_of_replicas\": 0}, "
            + "\"mappings\": {\"properties\": {\"text\": {\"type\": \"text\"}, \"text_vec\": {\"type\": \"semantic_vector\"}, \"topic\": {\"type\": \"keyword\"}}}}").status());
        index("hybrid-vec", "text");
    }

    private static void index(String index, String field) {
        StringBuilder bulk = new StringBuilder();
        for (String[] doc : DOCS) {
            bulk.append("{\"index\": {\"_id\": \"").append(doc[0]).append("\"}}\n");
            bulk.append("{\"topic\": \"").append(doc[1]).append("\", \"").append(field).append("\": ").append(JSON.valueToTree(doc[2]).toString()).append("}\n");
        }
        JsonNode response = node.post("/" + index + "/_bulk?refresh=true", bulk.toString()).json();
        assertFalse(response.toString(), response.path("errors").asBoolean());
    }

    @AfterClass
    public static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    private static final List<String> QUESTIONS = List.of(
        "how do I stop log files from filling the disk",
        "block repeated failed ssh logins",
        "run a command every night",
        "copy files to another computer",
        "change the time zone"
    );

    private static String hybridSearch(String question, String extra) {
        return "{\"size\": 5" + extra + ", \"query\": {\"semantic\": {\"field\": \"body\", \"query\": " + JSON.valueToTree(question) + ", \"hybrid\": {}}}}";
    }

    private static List<String> ids(JsonNode response) {
        List<String> ids = new ArrayList<>();
        response.path("hits").path("hits").forEach(hit -> ids.add(hit.path("_id").asText()));
        return ids;
    }

    private static JsonNode search(String index, String body) {
        LocalNode.Response response = node.post("/" + index + "/_search", body);
        assertEquals(response.toString(), 200, response.status());
        return response.json();
    }

    @Test
    public void hybridSearchRanksAsRagRetrievesOnOneAndThreeShards() {
        for (String question : QUESTIONS) {
            long queriesBefore = queryPhases("hybrid-1");
            JsonNode oneShard = search("hybrid-1", hybridSearch(question, ""));
            // One shard ranks the whole result itself: one query phase, not one per side plus one for the fused hits.
            assertEquals(question, 1, queryPhases("hybrid-1") - queriesBefore);
            JsonNode threeShards = search("hybrid-3", hybridSearch(question, ""));
            List<String> one = ids(oneShard);
            List<String> three = ids(threeShards);
            assertEquals(question, 5, one.size());
            assertEquals("scores are fused over the whole result, not per shard: " + question, one, three);
            for (int i = 0; i < one.size(); i++) {
                assertEquals(question + " " + one.get(i), oneShard.path("hits").path("hits").get(i).path("_score").doubleValue(),
                    threeShards.path("hits").path("hits").get(i).path("_score").doubleValue(), 1e-5);
            }
            // Each fused hit brings its best passages, whichever side found it, as the semantic query's hits do.
            for (JsonNode hit : oneShard.path("hits").path("hits")) {
                JsonNode passages = hit.path("inner_hits").path("body").path("hits").path("hits");
                assertTrue(hit.toString(), passages.size() > 0);
                String body = hit.path("_source").path("body").asText();
                for (JsonNode passage : passages) {
                    int offset = passage.path("_source").path("offset").asInt();
                    String text = passage.path("_source").path("text").asText();
                    assertEquals(hit.toString(), text, body.substring(offset, offset + text.length()));
                }
            }

            JsonNode rag = node.post("/hybrid-1/_rag", "{\"question\": " + JSON.valueToTree(question) + ", \"field\": \"body\", \"k\": 5}").json();
            Set<String> cited = new LinkedHashSet<>();
            rag.path("citations").forEach(c -> cited.add(c.path("_id").asText()));
            assertEquals("_search hybrid ranks as _rag retrieves: " + question + " " + rag, new ArrayList<>(cited), one);
        }
        JsonNode hit = search("hybrid-1", hybridSearch(QUESTIONS.get(0), "")).path("hits").path("hits").get(0);
        assertEquals("logrotate", hit.path("_id").asText());
    }

    /** One shard, which ranks a hybrid search alone, and three, whose ranking the coordinating node fuses. */
    private static final List<String> BOTH = List.of("hybrid-1", "hybrid-3");

    private static long queryPhases(String index) {
        return node.get("/" + index + "/_stats/search").json().path("_all").path("primaries").path("search").path("query_total").asLong();
    }

    @Test
    public void pagesAreSlicesOfOneRanking() {
        String question = QUESTIONS.get(1);
        for (String index : List.of("hybrid-1", "hybrid-3")) {
            List<String> all = ids(search(index, hybridSearch(question, "")));
            List<String> page = ids(search(index, "{\"from\": 2, \"size\": 2, \"query\": {\"semantic\": {\"field\": \"body\", \"query\": "
                + JSON.valueToTree(question) + ", \"hybrid\": {}}}}"));
            assertEquals(index, all.subList(2, 4), page);
        }
    }

    @Test
    public void theFilterAppliesToBothSidesAndAggregationsCountTheFusedDocuments() {
        for (String index : BOTH) {
            JsonNode response = search(index, "{\"size\": 5, \"track_total_hits\": true, \"aggs\": {\"topics\": {\"terms\": {\"field\": \"topic\"}}}, "
                + "\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"log files\", \"filter\": {\"terms\": {\"topic\": [\"logs\", \"security\"]}}, \"hybrid\": {}}}}");
            JsonNode hits = response.path("hits").path("hits");
            assertTrue(response.toString(), hits.size() > 0);
            long bucketed = 0;
            for (JsonNode bucket : response.path("aggregations").path("topics").path("buckets")) {
                assertTrue(bucket.toString(), List.of("logs", "security").contains(bucket.path("key").asText()));
                bucketed += bucket.path("doc_count").asLong();
            }
            assertEquals(response.path("hits").path("total").path("value").asLong(), bucketed);
            for (JsonNode hit : hits) {
                assertTrue(hit.toString(), List.of("logrotate", "journald", "ufw", "fail2ban", "sshd").contains(hit.path("_id").asText()));
            }
        }
    }

    @Test
    public void aSurroundingBoolNarrowsBothSidesAndFunctionScoreRescores() {
        for (String index : BOTH) {
            String semantic = "{\"semantic\": {\"field\": \"body\", \"query\": \"log files and logins\", \"hybrid\": {}}}";
            JsonNode bool = search(index, "{\"size\": 5, \"_source\": [\"topic\"], \"query\": {\"bool\": {\"must\": [" + semantic + "], "
                + "\"filter\": [{\"terms\": {\"topic\": [\"logs\", \"security\"]}}], \"must_not\": [{\"ids\": {\"values\": [\"logrotate\"]}}]}}}");
            List<String> ids = ids(bool);
            assertFalse(ids.toString(), ids.isEmpty() || ids.contains("logrotate"));
            bool.path("hits").path("hits").forEach(hit -> assertTrue(hit.toString(), List.of("logs", "security").contains(hit.path("_source").path("topic").asText())));
            // The same as the filter inside the semantic query, which applies to both sides.
            List<String> inside = ids(search(index, "{\"size\": 5, \"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"log files and logins\", \"hybrid\": {}, "
                + "\"filter\": {\"bool\": {\"filter\": [{\"terms\": {\"topic\": [\"logs\", \"security\"]}}], \"must_not\": [{\"ids\": {\"values\": [\"logrotate\"]}}]}}}}}"));
            assertEquals(inside, ids);

            JsonNode boosted = search(index, "{\"size\": 3, \"_source\": [\"topic\"], \"query\": {\"function_score\": {\"query\": " + semantic + ", "
                + "\"functions\": [{\"filter\": {\"term\": {\"topic\": \"security\"}}, \"weight\": 100}]}}}");
            assertEquals(boosted.toString(), "security", boosted.path("hits").path("hits").get(0).path("_source").path("topic").asText());
        }
    }

    @Test
    public void explainShowsBothSidesAndHighlightMarksTheBm25Words() {
        JsonNode response = search("hybrid-1", "{\"size\": 3, \"explain\": true, \"highlight\": {\"fields\": {\"body\": {}}}, "
            + "\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"rotate log files\", \"hybrid\": {\"fusion\": \"rrf\", \"rank_constant\": 20}}}}");
        JsonNode first = response.path("hits").path("hits").get(0);
        assertEquals("logrotate", first.path("_id").asText());
        String explanation = first.path("_explanation").toString();
        assertTrue(explanation, explanation.contains("ranked over the whole result: rrf, rank_constant 20") && explanation.contains("bm25: rank") && explanation.contains("semantic: rank"));
        assertEquals(first.path("_score").floatValue(), first.path("_explanation").path("value").floatValue(), 1e-6);
        String highlight = first.path("highlight").path("body").toString();
        assertTrue(highlight, highlight.contains("<em>log</em>"));
    }

    @Test
    public void sentenceHighlightsAreTheClosestSentencesWithScoresAndOffsets() {
        for (String hybrid : List.of("", ", \"hybrid\": {}")) {
            JsonNode response = search(hybrid.isEmpty() ? "hybrid-3" : "hybrid-1", "{\"size\": 3, \"highlight\": {\"fields\": {\"body\": {\"type\": \"semantic_sentences\", "
                + "\"number_of_fragments\": 2, \"pre_tags\": [\"[\"], \"post_tags\": [\"]\"]}}}, "
                + "\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"where is the configuration file of logrotate\"" + hybrid + "}}}");
            JsonNode first = response.path("hits").path("hits").get(0);
            assertEquals(response.toString(), "logrotate", first.path("_id").asText());
            String body = first.path("_source").path("body").asText();
            JsonNode fragments = first.path("highlight").path("body");
            assertEquals(first.toString(), 2, fragments.size());
            assertEquals("[The main configuration file is /etc/logrotate.conf.]", fragments.get(0).asText());
            JsonNode details = first.path("fields").path("_semantic_sentences.body");
            assertEquals(first.toString(), 2, details.size());
            double previous = Double.MAX_VALUE;
            for (int i = 0; i < details.size(); i++) {
                JsonNode detail = details.get(i);
                String text = detail.path("text").asText();
                assertEquals("offsets point into the source text", text, body.substring(detail.path("start").asInt(), detail.path("end").asInt()));
                assertEquals("[" + text + "]", fragments.get(i).asText());
                assertTrue(detail.toString(), detail.path("score").asDouble() <= previous);
                previous = detail.path("score").asDouble();
            }
        }
        LocalNode.Response lexical = node.post("/hybrid-1/_search", "{\"highlight\": {\"fields\": {\"body\": {\"type\": \"semantic_sentences\"}}}, "
            + "\"query\": {\"match\": {\"body\": \"logrotate\"}}}");
        assertEquals(lexical.toString(), 400, lexical.status());
        assertTrue(lexical.body(), lexical.body().contains("needs a [semantic] query"));
    }

    @Test
    public void sentenceHighlightsWorkInTheInnerHitsOfNestedPassages() {
        assertEquals(200, node.put("/_ingest/pipeline/hybrid-passages", "{\"processors\": [{\"semantic_embed\": {\"field_map\": {\"text\": \"passages\"}, "
            + "\"chunking\": {\"max_tokens\": 40, \"overlap_tokens\": 0}}}]}").status());
        assertEquals(200, node.put("/hybrid-passages", "{\"settings\": {\"default_pipeline\": \"hybrid-passages\", \"number_of_replicas\": 0}, "
            + "\"mappings\": {\"properties\": {\"text\": {\"type\": \"text\"}, \"passages\": {\"type\": \"nested\", \"properties\": {"
            + "\"text\": {\"type\": \"text\"}, \"offset\": {\"type\": \"integer\"}, \"element\": {\"type\": \"integer\"}, "
            + "\"vector\": {\"type\": \"semantic_vector\"}}}}}}").status());
        index("hybrid-passages", "text");
        JsonNode response = search("hybrid-passages", "{\"size\": 1, \"query\": {\"nested\": {\"path\": \"passages\", "
            + "\"query\": {\"semantic\": {\"field\": \"passages.vector\", \"query\": \"which file configures logrotate\"}}, "
            + "\"inner_hits\": {\"size\": 1, \"highlight\": {\"fields\": {\"passages.text\": {\"type\": \"semantic_sentences\", \"number_of_fragments\": 1}}}}}}}");
        JsonNode hit = response.path("hits").path("hits").get(0);
        assertEquals(response.toString(), "logrotate", hit.path("_id").asText());
        JsonNode passage = hit.path("inner_hits").path("passages").path("hits").path("hits").get(0);
        assertEquals(passage.toString(), "<em>The main configuration file is /etc/logrotate.conf.</em>", passage.path("highlight").path("passages.text").get(0).asText());
        JsonNode detail = passage.path("fields").path("_semantic_sentences.passages.text").get(0);
        String text = passage.path("_source").path("text").asText();
        assertEquals(detail.toString(), detail.path("text").asText(), text.substring(detail.path("start").asInt(), detail.path("end").asInt()));
    }

    @Test
    public void postFilterNarrowsThePageAfterTheFusion() {
        for (String index : BOTH) {
            JsonNode response = search(index, "{\"size\": 5, \"_source\": [\"topic\"], \"track_total_hits\": true, "
                + "\"aggs\": {\"topics\": {\"terms\": {\"field\": \"topic\"}}}, \"post_filter\": {\"term\": {\"topic\": \"logs\"}}, "
                + "\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"log files and logins\", \"hybrid\": {}}}}");
            JsonNode hits = response.path("hits").path("hits");
            assertTrue(response.toString(), hits.size() > 0);
            hits.forEach(hit -> assertEquals(hit.toString(), "logs", hit.path("_source").path("topic").asText()));
            // Aggregations see the fused documents before the post filter: more than one topic.
            assertTrue(response.toString(), response.path("aggregations").path("topics").path("buckets").size() > 1);
        }
    }

    @Test
    public void sentenceHighlightsOfATextFieldBesideItsVectorsAndOfChineseText() {
        JsonNode vec = search("hybrid-vec", "{\"size\": 1, \"highlight\": {\"fields\": {\"text\": {\"type\": \"semantic_sentences\", \"number_of_fragments\": 1}}}, "
            + "\"query\": {\"semantic\": {\"field\": \"text_vec\", \"query\": \"where is the configuration file of logrotate\"}}}");
        JsonNode first = vec.path("hits").path("hits").get(0);
        assertEquals(vec.toString(), "<em>The main configuration file is /etc/logrotate.conf.</em>", first.path("highlight").path("text").get(0).asText());

        assertEquals(200, node.put("/hybrid-zh", "{\"settings\": {\"number_of_replicas\": 0}, \"mappings\": {\"properties\": "
            + "{\"body\": {\"type\": \"semantic_text\", \"model\": \"bge-small-zh-v1.5\"}}}}").status());
        assertEquals(201, node.post("/hybrid-zh/_doc/logrotate?refresh=true", "{\"body\": \"日志轮转由 logrotate 负责，它每天由 cron 运行一次。"
            + "主配置文件是 /etc/logrotate.conf。每个软件包的配置放在 /etc/logrotate.d 目录下。\"}").status());
        JsonNode zh = search("hybrid-zh", "{\"highlight\": {\"fields\": {\"body\": {\"type\": \"semantic_sentences\", \"number_of_fragments\": 1}}}, "
            + "\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"logrotate 的主配置文件在哪里\", \"hybrid\": {}}}}");
        JsonNode hit = zh.path("hits").path("hits").get(0);
        assertEquals(zh.toString(), "<em>主配置文件是 /etc/logrotate.conf。</em>", hit.path("highlight").path("body").get(0).asText());
        JsonNode detail = hit.path("fields").path("_semantic_sentences.body").get(0);
        String body = hit.path("_source").path("body").asText();
        assertEquals(detail.path("text").asText(), body.substring(detail.path("start").asInt(), detail.path("end").asInt()));
    }

    @Test
    public void aSemanticVectorFieldFusesWithItsTextField() {
        JsonNode response = search("hybrid-vec", "{\"size\": 3, \"query\": {\"semantic\": {\"field\": \"text_vec\", \"query\": \"firewall rules for ssh\", "
            + "\"hybrid\": {\"text_field\": \"text\", \"fusion\": \"linear\", \"normalizer\": \"min_max\", \"semantic_weight\": 0.7}}}}");
        List<String> ids = ids(response);
        assertEquals(3, ids.size());
        assertTrue(ids.toString(), ids.contains("ufw"));
        double previous = Double.MAX_VALUE;
        for (JsonNode hit : response.path("hits").path("hits")) {
            assertTrue(hit.path("_score").asDouble() < previous);
            previous = hit.path("_score").asDouble();
        }
    }

    @Test
    public void diversityLetsNearDuplicatesGiveWay() {
        assertEquals(200, node.put("/diverse", "{\"settings\": {\"number_of_shards\": 2, \"number_of_replicas\": 0}, "
            + "\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}}}}").status());
        String[][] docs = {
            { "copy-1", "Logrotate rotates and compresses old log files so that they do not fill the disk." },
            { "copy-2", "Logrotate rotates and compresses old log files, so they do not fill up the disk." },
            { "copy-3", "Logrotate compresses and rotates old log files so that they never fill the disk." },
            { "journald", "The systemd journal collects log messages; limit its size on disk with SystemMaxUse." },
            { "tmpreaper", "Tmpreaper removes files that have not been used for a while from temporary folders." }
        };
        StringBuilder bulk = new StringBuilder();
        for (String[] doc : docs) {
            bulk.append("{\"index\": {\"_id\": \"").append(doc[0]).append("\"}}\n{\"body\": \"").append(doc[1]).append("\"}\n");
        }
        assertFalse(node.post("/diverse/_bulk?refresh=true", bulk.toString()).json().path("errors").asBoolean());
        String question = "keep old log files from filling the disk";
        List<String> plain = ids(search("diverse", "{\"size\": 3, \"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"" + question + "\"}}}"));
        assertTrue(plain.toString(), plain.stream().allMatch(id -> id.startsWith("copy-")));
        for (String option : List.of("\"diversity\": 0.3", "\"diversity\": {\"lambda\": 0.3}, \"hybrid\": {}")) {
            JsonNode response = search("diverse", "{\"size\": 3, \"explain\": true, \"query\": {\"semantic\": {\"field\": \"body\", \"query\": \""
                + question + "\", " + option + "}}}");
            List<String> diverse = ids(response);
            assertTrue(option + " " + diverse, diverse.get(0).startsWith("copy-"));
            assertTrue(option + " " + diverse, diverse.stream().filter(id -> id.startsWith("copy-")).count() < 3);
            String explanation = response.path("hits").path("hits").get(0).path("_explanation").toString();
            assertTrue(explanation, explanation.contains("diversity (MMR) lambda 0.3"));
            assertEquals("a BM25 side is explained only where one ran: " + explanation, option.contains("hybrid"), explanation.contains("bm25:"));
        }
    }

    @Test
    public void apisThatWouldGiveTheRankingAnotherMeaningRefuseIt() {
        assertEquals(200, node.put("/hybrid-acts", "{\"settings\": {\"number_of_replicas\": 0}, "
            + "\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}, \"topic\": {\"type\": \"keyword\"}, "
            + "\"seen\": {\"type\": \"boolean\"}}}}").status());
        index("hybrid-acts", "body");
        for (String option : List.of("\"hybrid\": {}", "\"diversity\": 0.5")) {
            String query = "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"old log files\", \"k\": 2, " + option + "}}}";
            // The fused ranking names a few documents; a by-query API reading by scroll would act on every one the
            // window holds, so each is refused before it touches a document.
            for (String api : List.of("_delete_by_query?refresh=true", "_update_by_query?refresh=true")) {
                String body = api.startsWith("_update")
                    ? query.substring(0, query.length() - 1) + ", \"script\": {\"source\": \"ctx._source.seen = true\"}}"
                    : query;
                LocalNode.Response response = node.post("/hybrid-acts/" + api, body);
                assertEquals(api + " " + option + ": " + response, 400, response.status());
                assertTrue(response.toString(), response.body().contains("does not run in a scroll"));
            }
            LocalNode.Response reindex = node.post("/_reindex?refresh=true", "{\"source\": {\"index\": \"hybrid-acts\", "
                + query.substring(1, query.length() - 1) + "}, \"dest\": {\"index\": \"hybrid-acts-copy\"}}");
            assertEquals(option + ": " + reindex, 400, reindex.status());
            assertTrue(reindex.toString(), reindex.body().contains("[_reindex]"));
            LocalNode.Response scroll = node.post("/hybrid-acts/_search?scroll=1m", query);
            assertEquals(option + ": " + scroll, 400, scroll.status());
            // _count is a search of no hits: it counts what _search reports as the total of the same query.
            long total = search("hybrid-acts", query.substring(0, query.length() - 1) + ", \"size\": 0, \"track_total_hits\": true}")
                .path("hits").path("total").path("value").asLong();
            LocalNode.Response count = node.post("/hybrid-acts/_count", query);
            assertEquals(option + ": " + count, 200, count.status());
            assertEquals(option + ": " + count, total, count.json().path("count").asLong());
            LocalNode.Response validate = node.post("/hybrid-acts/_validate/query?explain=true", query);
            assertEquals(option + ": " + validate, 200, validate.status());
            assertFalse("no coordinator runs the ranking there: " + validate, validate.json().path("valid").asBoolean());
            assertTrue(validate.toString(), validate.body().contains("[_search] and [_msearch] only"));
        }
        JsonNode all = search("hybrid-acts", "{\"size\": 0, \"track_total_hits\": true, \"query\": {\"exists\": {\"field\": \"seen\"}}}");
        assertEquals("no document was updated", 0, all.path("hits").path("total").path("value").asLong());
        assertEquals("no document was deleted", DOCS.length,
            search("hybrid-acts", "{\"size\": 0, \"track_total_hits\": true}").path("hits").path("total").path("value").asLong());
        assertEquals(404, node.get("/hybrid-acts-copy").status());
    }

    @Test
    public void aFilteringAliasOfOneShardNarrowsBothSidesAndProfileRanksAlike() {
        assertEquals(200, node.post("/_aliases", "{\"actions\": [{\"add\": {\"index\": \"hybrid-1\", \"alias\": \"hybrid-security\", "
            + "\"filter\": {\"term\": {\"topic\": \"security\"}}}}]}").status());
        String question = "block repeated failed ssh logins";
        // The alias's filter applies outside the query on the shard: the ranking must be narrowed before, as the
        // query's own filter narrows both sides.
        List<String> viaAlias = ids(search("hybrid-security", hybridSearch(question, "")));
        List<String> filtered = ids(search("hybrid-1", "{\"size\": 5, \"query\": {\"semantic\": {\"field\": \"body\", \"query\": "
            + JSON.valueToTree(question) + ", \"filter\": {\"term\": {\"topic\": \"security\"}}, \"hybrid\": {}}}}"));
        assertFalse(filtered.isEmpty());
        assertEquals(filtered, viaAlias);

        JsonNode plain = search("hybrid-1", hybridSearch(question, ""));
        JsonNode profiled = search("hybrid-1", hybridSearch(question, ", \"profile\": true"));
        assertEquals(ids(plain), ids(profiled));
        assertTrue(profiled.path("profile").path("shards").size() > 0);
        JsonNode dfs = node.post("/hybrid-1/_search?search_type=dfs_query_then_fetch", hybridSearch(question, "")).json();
        assertEquals(ids(plain), ids(dfs));
    }

    @Test
    public void aStoredPercolatorQueryCannotHoldAWholeResultRanking() {
        assertEquals(200, node.put("/hybrid-percolator", "{\"settings\": {\"number_of_replicas\": 0}, "
            + "\"mappings\": {\"properties\": {\"query\": {\"type\": \"percolator\"}, \"body\": {\"type\": \"semantic_text\"}}}}").status());
        for (String option : List.of("\"hybrid\": {}", "\"diversity\": 0.5")) {
            LocalNode.Response stored = node.put("/hybrid-percolator/_doc/q?refresh=true",
                "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"old log files\", " + option + "}}}");
            assertEquals(option + ": " + stored, 400, stored.status());
            assertTrue(stored.toString(), stored.body().contains("[_search] and [_msearch] only"));
        }
    }

    @Test
    public void misuseIsA400NamingTheParameter() {
        assertBadRequest("hybrid-1", "{\"query\": {\"bool\": {\"must\": [{\"semantic\": {\"field\": \"body\", \"query\": \"logs\", \"hybrid\": true}}, "
            + "{\"match\": {\"body\": \"disk\"}}]}}}", "the one scoring clause of a top-level [bool]");
        assertBadRequest("hybrid-1", "{\"query\": {\"dis_max\": {\"queries\": [{\"semantic\": {\"field\": \"body\", \"query\": \"logs\", \"hybrid\": true}}]}}}", "top-level query");
        assertBadRequest("hybrid-1", "{\"query\": {\"semantic\": {\"field\": \"body\", \"vector\": [1, 2], \"hybrid\": true}}}", "[hybrid] needs [query]");
        assertBadRequest("hybrid-1", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"logs\", \"hybrid\": {\"fusion\": \"max\"}}}}", "[fusion] must be [rrf] or [linear]");
        assertBadRequest("hybrid-1", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"logs\", \"hybrid\": {\"colour\": 1}}}}", "does not support [colour]");
        assertBadRequest("hybrid-1", "{\"size\": 20, \"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"logs\", \"hybrid\": {\"rank_window_size\": 10}}}}", "[rank_window_size]");
        assertBadRequest("hybrid-1", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"logs\", \"hybrid\": \"yes\"}}}", "[hybrid] must be true or an object");
        assertBadRequest("hybrid-vec", "{\"query\": {\"semantic\": {\"field\": \"text_vec\", \"query\": \"logs\", \"hybrid\": {}}}}", "[text_field]");
        assertBadRequest("hybrid-1", "{\"query\": {\"semantic_fused_hits\": {}}}", "[semantic_fused_hits] is what");
        assertBadRequest("hybrid-1", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"logs\", \"diversity\": 2}}}", "[diversity] [lambda] must be a number between 0 and 1");
        assertBadRequest("hybrid-1", "{\"query\": {\"constant_score\": {\"filter\": {\"semantic\": {\"field\": \"body\", \"query\": \"logs\", \"diversity\": 0.5}}}}}", "top-level query");
    }

    private static void assertBadRequest(String index, String body, String message) {
        LocalNode.Response response = node.post("/" + index + "/_search", body);
        assertEquals(response.toString(), 400, response.status());
        assertTrue(response.toString(), response.body().contains(message));
    }
}
