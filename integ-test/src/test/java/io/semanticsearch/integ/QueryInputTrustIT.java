package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import static io.semanticsearch.integ.PackageTexts.CLAMAV;
import static io.semanticsearch.integ.PackageTexts.LOGROTATE;
import static io.semanticsearch.integ.PackageTexts.RSYNC;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * Query input that must not make a query lie, on a real node: a vector is only ever compared with a field of the
 * model that made it (whether the query gives text, a vector or a liked document, on {@code semantic_text} and
 * {@code semantic_vector} fields alike), and text that is blank once normalised is refused wherever it would be
 * embedded. Both bundled English models make 384-dim vectors, so only the model check tells them apart.
 */
public class QueryInputTrustIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MINILM = "all-minilm-l6-v2";
    private static final String INT8 = "all-minilm-l6-v2-int8";

    private static LocalNode node;

    @BeforeClass
    public static void startNode() throws Exception {
        node = LocalNode.builder("query-trust").plugin(LocalNode.pluginZip()).start();
        for (String[] index : new String[][] { { "text-minilm", MINILM }, { "text-int8", INT8 } }) {
            ok(node.put("/" + index[0], "{\"settings\": {\"number_of_replicas\": 0}, \"mappings\": {\"properties\": "
                + "{\"body\": {\"type\": \"semantic_text\", \"model\": \"" + index[1] + "\"}}}}"));
            bulk(index[0], "body");
        }
        ok(node.put("/_ingest/pipeline/embed-vec", "{\"processors\": [{\"semantic_embed\": {\"field_map\": {\"text\": \"vec\"}}}]}"));
        ok(node.put("/vector-minilm", "{\"settings\": {\"number_of_replicas\": 0, \"default_pipeline\": \"embed-vec\"}, "
            + "\"mappings\": {\"properties\": {\"text\": {\"type\": \"text\"}, \"vec\": {\"type\": \"semantic_vector\", \"model\": \"" + MINILM + "\"}}}}"));
        bulk("vector-minilm", "text");
    }

    private static void bulk(String index, String field) {
        StringBuilder bulk = new StringBuilder();
        String[][] docs = { { "clamav", CLAMAV }, { "logrotate", LOGROTATE }, { "rsync", RSYNC } };
        for (String[] doc : docs) {
            bulk.append("{\"index\": {\"_id\": \"").append(doc[0]).append("\"}}\n{\"").append(field).append("\": ")
                .append(JSON.valueToTree(doc[1]).toString()).append("}\n");
        }
        JsonNode response = ok(node.post("/" + index + "/_bulk?refresh=true", bulk.toString()));
        assertFalse(response.toString(), response.path("errors").asBoolean());
    }

    @AfterClass
    public static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    private static JsonNode ok(LocalNode.Response response) {
        assertEquals(response.toString(), 200, response.status());
        return response.json();
    }

    private static void assertBadRequest(String path, String body, String... parts) {
        LocalNode.Response response = node.post(path, body);
        assertEquals(body + " -> " + response, 400, response.status());
        for (String part : parts) {
            assertTrue(body + " -> " + response, response.body().contains(part));
        }
    }

    private static String semantic(String field, String what) {
        return "{\"query\": {\"semantic\": {\"field\": \"" + field + "\", " + what + "}}}";
    }

    private static String firstId(String index, String body) {
        return ok(node.post("/" + index + "/_search", body)).path("hits").path("hits").path(0).path("_id").asText();
    }

    @Test
    public void aQueryNamingAnotherModelThanTheFieldsIsRefusedOnEveryRoute() throws Exception {
        float[] vector = new float[384];
        vector[0] = 1;
        String vectorJson = JSON.writeValueAsString(vector);
        String named = "\"model\": \"" + INT8 + "\", ";
        for (String[] target : new String[][] { { "text-minilm", "body" }, { "vector-minilm", "vec" } }) {
            String path = "/" + target[0] + "/_search";
            String field = target[1];
            assertBadRequest(path, semantic(field, named + "\"query\": \"scan mail for viruses\""), "[" + INT8 + "]", "[" + MINILM + "]");
            assertBadRequest(path, semantic(field, named + "\"vector\": " + vectorJson), "[" + INT8 + "]", "[" + MINILM + "]");
            assertBadRequest(path, semantic(field, named + "\"like\": {\"_id\": \"clamav\"}"), "[" + INT8 + "]", "[" + MINILM + "]");
            assertBadRequest(path, semantic(field, named + "\"query\": \"scan mail for viruses\", \"diversity\": 0.5"), "[" + INT8 + "]");
            // The field's own model, named or not, answers.
            String own = "\"model\": \"" + MINILM + "\", ";
            assertEquals("clamav", firstId(target[0], semantic(field, own + "\"query\": \"scan mail for viruses\"")));
            assertEquals("clamav", firstId(target[0], semantic(field, "\"query\": \"scan mail for viruses\"")));
        }
        assertBadRequest("/text-minilm/_search", semantic("body", "\"model\": \"" + INT8 + "\", \"query\": \"scan mail\", \"hybrid\": {}"), "[" + INT8 + "]");
        // A liked document of another index holds its own model's vectors: compared only with a field of that model.
        assertBadRequest("/text-minilm/_search", semantic("body", "\"like\": {\"_index\": \"text-int8\", \"_id\": \"clamav\"}"),
            "[" + INT8 + "]", "[" + MINILM + "]", "cannot be compared");
        // Named through an alias, the liked document's index is still read for its model.
        ok(node.post("/_aliases", "{\"actions\": [{\"add\": {\"index\": \"text-int8\", \"alias\": \"int8-alias\"}}]}"));
        assertBadRequest("/text-minilm/_search", semantic("body", "\"like\": {\"_index\": \"int8-alias\", \"_id\": \"clamav\"}"),
            "[" + INT8 + "]", "[" + MINILM + "]", "cannot be compared");
        JsonNode liked = ok(node.post("/text-int8/_search", semantic("body", "\"like\": {\"_index\": \"text-int8\", \"_id\": \"clamav\"}")));
        assertEquals(liked.toString(), "clamav", liked.path("hits").path("hits").path(0).path("_id").asText());
        // Searching both indices at once with text: two models for one field, refused rather than compared.
        assertBadRequest("/text-minilm,text-int8/_search", semantic("body", "\"query\": \"scan mail\""), "different models");
    }

    @Test
    public void longTextWithinTheLimitIsAnsweredAndPastItIsA400NamingTheLimit() throws Exception {
        // More words than a match query may have clauses (1,024), inside the 4,096-character limit: repeated words,
        // and as many distinct two-letter words.
        String repeated = "rotate old logs " + "log disk a to ".repeat(275);
        StringBuilder distinct = new StringBuilder("rotate old logs");
        for (int i = 0; i < 1100; i++) {
            distinct.append(' ').append(Character.forDigit(i / 36 % 36, 36)).append(Character.forDigit(i % 36, 36));
        }
        for (String text : new String[] { repeated, distinct.toString() }) {
            assertTrue(text.length() < 4096);
            String quoted = JSON.writeValueAsString(text);
            JsonNode hybrid = ok(node.post("/text-minilm/_search", semantic("body", "\"query\": " + quoted + ", \"hybrid\": {}")));
            assertTrue(hybrid.toString(), hybrid.path("hits").path("hits").size() > 0);
            JsonNode rag = ok(node.post("/text-minilm/_rag", "{\"question\": " + quoted + ", \"field\": \"body\"}"));
            assertTrue(rag.toString(), rag.path("citations").size() > 0);
            ok(node.post("/vector-minilm/_rag", "{\"question\": " + quoted + ", \"field\": \"vec\", \"text_field\": \"text\"}"));
        }
        String tooLong = JSON.writeValueAsString("log ".repeat(1025));
        assertBadRequest("/text-minilm/_search", semantic("body", "\"query\": " + tooLong), "[semantic] [query] must be at most [4096] characters, got [4100]");
        assertBadRequest("/text-minilm/_rag", "{\"question\": " + tooLong + ", \"field\": \"body\"}", "[question] must be at most [4096] characters");
    }

    @Test
    public void textBlankOnceNormalisedIsRefusedWhereItWouldBeEmbeddedAndGetsNoVectorInDocuments() throws Exception {
        // Combining marks and a variation selector: not blank to String.isBlank(), blank to the model (it strips them).
        String blank = JSON.writeValueAsString("\u0301\u0308 \ufe0f");
        String nothing = "has nothing to embed";
        assertBadRequest("/text-minilm/_search", semantic("body", "\"query\": " + blank), "[semantic] [query]", nothing);
        assertBadRequest("/text-minilm/_search", semantic("body", "\"query\": " + blank + ", \"hybrid\": {}"), "[semantic] [query]", nothing);
        assertBadRequest("/vector-minilm/_search", semantic("vec", "\"query\": " + blank), "[semantic] [query]", nothing);
        assertBadRequest("/text-minilm/_rag", "{\"question\": " + blank + ", \"field\": \"body\"}", "[question]", nothing);
        assertBadRequest("/_plugins/_semantic/_embed", "{\"texts\": [\"fine\", " + blank + "]}", "[texts][1]", nothing);

        LocalNode.Response indexed = node.put("/text-minilm/_doc/blank?refresh=true", "{\"body\": " + blank + "}");
        assertEquals(indexed.toString(), 201, indexed.status());
        JsonNode semanticPart = ok(node.get("/text-minilm/_doc/blank?_source_includes=body_semantic")).path("_source").path("body_semantic");
        assertEquals(semanticPart.toString(), 0, semanticPart.path("passages").size());
        LocalNode.Response vector = node.put("/vector-minilm/_doc/blank?refresh=true", "{\"text\": " + blank + "}");
        assertEquals(vector.toString(), 201, vector.status());
        assertFalse("no vector for blank text", ok(node.get("/vector-minilm/_doc/blank")).path("_source").has("vec"));
        JsonNode hits = ok(node.post("/text-minilm,vector-minilm/_search", "{\"query\": {\"ids\": {\"values\": [\"blank\"]}}}"));
        assertEquals(2, hits.path("hits").path("hits").size());
        // and no semantic query finds them, however broad
        for (String[] target : new String[][] { { "text-minilm", "body" }, { "vector-minilm", "vec" } }) {
            JsonNode found = ok(node.post("/" + target[0] + "/_search", "{\"size\": 10, \"query\": {\"semantic\": {\"field\": \""
                + target[1] + "\", \"query\": \"anything at all\", \"k\": 10}}}"));
            found.path("hits").path("hits").forEach(hit -> assertFalse(hit.toString(), hit.path("_id").asText().equals("blank")));
        }
    }

    @Test
    public void severalSemanticQueriesOnOneFieldEachBringTheirPassages() {
        String both = "{\"query\": {\"bool\": {\"should\": ["
            + "{\"semantic\": {\"field\": \"body\", \"query\": \"scan mail for viruses\"}},"
            + "{\"semantic\": {\"field\": \"body\", \"query\": \"copy files to another computer\"}}]}}}";
        JsonNode hits = ok(node.post("/text-minilm/_search", both)).path("hits").path("hits");
        assertEquals(hits.toString(), 3, hits.size());
        boolean first = false;
        boolean second = false;
        for (JsonNode hit : hits) {
            first |= hit.path("inner_hits").path("body").path("hits").path("hits").size() > 0;
            second |= hit.path("inner_hits").path("body_2").path("hits").path("hits").size() > 0;
        }
        assertTrue("each query's passages under a name of its own: " + hits, first && second);
        // Named queries name their passages.
        String named = both.replace("\"scan mail for viruses\"}", "\"scan mail for viruses\", \"_name\": \"virus\"}")
            .replace("\"copy files to another computer\"}", "\"copy files to another computer\", \"_name\": \"copy\"}");
        JsonNode namedHits = ok(node.post("/text-minilm/_search", named)).path("hits").path("hits");
        JsonNode clamav = null;
        for (JsonNode hit : namedHits) {
            if (hit.path("_id").asText().equals("clamav")) {
                clamav = hit;
            }
        }
        assertTrue(namedHits.toString(), clamav != null && clamav.path("inner_hits").has("virus") && clamav.path("inner_hits").has("copy"));
        assertTrue(clamav.toString(), clamav.path("matched_queries").toString().contains("virus"));
    }

    @Test
    public void highlighterAndMapperParametersAreValidated() {
        LocalNode.Response negative = node.post("/text-minilm/_search", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"viruses\"}}, "
            + "\"highlight\": {\"fields\": {\"body\": {\"type\": \"semantic_sentences\", \"number_of_fragments\": -2}}}}");
        assertEquals(negative.toString(), 400, negative.status());
        assertTrue(negative.toString(), negative.body().contains("[number_of_fragments] of [semantic_sentences] on [body] must be 0 or more"));
        assertTrue(negative.toString(), negative.body().contains("got [-2]"));
        for (String parameter : new String[] { "doc_values", "store" }) {
            LocalNode.Response mapping = node.put("/refused-" + parameter.replace('_', '-'), "{\"mappings\": {\"properties\": {\"v\": "
                + "{\"type\": \"semantic_vector\", \"dims\": 3, \"" + parameter + "\": true}}}}");
            assertEquals(mapping.toString(), 400, mapping.status());
            assertTrue(mapping.toString(), mapping.body().contains("[semantic_vector] does not support [" + parameter + "]"));
        }
        LocalNode.Response huge = node.post("/text-minilm/_search", semantic("body", "\"query\": \"viruses\", \"k\": 30000000000"));
        assertEquals(huge.toString(), 400, huge.status());
        assertTrue(huge.toString(), huge.body().contains("[semantic] [k] must be an integer, got [30000000000]"));
    }
}
