package io.semanticsearch.rag;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

import io.semanticsearch.SemanticSearchPlugin;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.InputType;
import io.semanticsearch.embed.ModelFixtures;

import org.apache.lucene.tests.util.LuceneTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.common.settings.MockSecureSettings;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.util.concurrent.ThreadContext;
import org.opensearch.common.xcontent.XContentFactory;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.XContentType;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.common.bytes.BytesArray;
import org.opensearch.core.action.ActionListener;
import org.opensearch.plugins.Plugin;
import org.opensearch.test.OpenSearchSingleNodeTestCase;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The whole {@code _rag} pipeline inside a test node with the plugin (a bundled model, the vector field, the
 * {@code semantic} query, the extractive answerer, connectors): field resolution, the searches, nested inner hits,
 * hybrid fusion, filters, the context and the generators.
 */
// ExtrasFS adds random "extra0" entries to new folders, which the model registry takes for broken model folders.
@LuceneTestCase.SuppressFileSystems("ExtrasFS")
public class RagServiceTests extends OpenSearchSingleNodeTestCase {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "sk-ragservice-secret-0123456789";

    private static Path home;
    private static HttpServer llm;
    private static ExecutorService llmThreads;
    private static volatile String llmReply;
    private static volatile int llmStatus;
    private static volatile long llmDelayMillis;
    private static final AtomicReference<String> llmRequest = new AtomicReference<>();
    private static final AtomicReference<String> llmAuthorization = new AtomicReference<>();

    @BeforeClass
    public static void prepare() throws IOException {
        home = createTempDir();
        ModelFixtures.modelFolder(
            home.resolve("config").resolve(SemanticSearchPlugin.NAME).resolve("models").resolve(ModelFixtures.MINILM),
            ModelFixtures.MINILM
        );
        ModelFixtures.modelFolder(
            home.resolve("config").resolve(SemanticSearchPlugin.NAME).resolve("models").resolve(ModelFixtures.MINILM_INT8),
            ModelFixtures.MINILM_INT8
        );
        llm = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        llmThreads = Executors.newCachedThreadPool();
        llm.setExecutor(llmThreads);
        llm.createContext("/v1/chat/completions", exchange -> {
            llmRequest.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            llmAuthorization.set(exchange.getRequestHeaders().getFirst("Authorization"));
            try {
                Thread.sleep(llmDelayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exchange.close();
                return;
            }
            byte[] body = llmReply.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(llmStatus, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        llm.start();
    }

    @AfterClass
    public static void stopLlm() throws InterruptedException {
        llm.stop(0);
        llmThreads.shutdownNow();
        llmThreads.awaitTermination(10, TimeUnit.SECONDS);
        llm = null;
        llmThreads = null;
    }

    @Override
    protected Collection<Class<? extends Plugin>> getPlugins() {
        return List.of(SemanticSearchPlugin.class);
    }

    @Override
    protected Settings nodeSettings() {
        MockSecureSettings secure = new MockSecureSettings();
        secure.setString("plugins.semantic.llm.fake.api_key", KEY);
        return Settings.builder()
            .put(super.nodeSettings())
            .put("path.home", home)
            .put("plugins.semantic.llm.fake.endpoint", "http://127.0.0.1:" + llm.getAddress().getPort() + "/v1/chat/completions")
            .put("plugins.semantic.llm.fake.model", "fake-model")
            .put("plugins.semantic.llm.fake.timeout", "1s")
            .put("plugins.semantic.llm.blocked.endpoint", "http://169.254.169.254/latest/meta-data")
            .put("plugins.semantic.llm.blocked.model", "m")
            .putList("plugins.semantic.llm.allowed_endpoints", "http://127\\.0\\.0\\.1:\\d+/v1/chat/completions")
            .setSecureSettings(secure)
            .build();
    }

    @Override
    public void setUp() throws Exception {
        super.setUp();
        createIndex("docs", Settings.EMPTY, XContentFactory.jsonBuilder().map(Map.of("properties", Map.of(
            "title", Map.of("type", "text"),
            "lang", Map.of("type", "keyword"),
            "passages", Map.of("type", "nested", "properties", Map.of(
                "text", Map.of("type", "text"),
                "offset", Map.of("type", "integer"),
                "vector", Map.of("type", "semantic_vector", "model", ModelFixtures.MINILM)
            ))
        ))));
        index("docs", "logrotate", "Log rotation", "en",
            "Logrotate rotates, compresses and removes old log files. It runs once a day from cron.",
            "The main configuration file is /etc/logrotate.conf. Settings for each package live in /etc/logrotate.d.");
        index("docs", "sshd", "Secure shell", "en",
            "OpenSSH provides the ssh client and the sshd server. The server configuration file is /etc/ssh/sshd_config.");
        index("docs", "nginx", "Nginx web server", "en",
            "Nginx is a web server. It can also act as a reverse proxy and a load balancer.");
        index("docs", "cron", "Scheduled jobs", "en",
            "Cron runs scheduled commands. Each user edits a crontab file with crontab -e.");
        index("docs", "logrotate-zh", "日志轮转", "zh",
            "日志轮转由 logrotate 负责。主配置文件是 /etc/logrotate.conf。");
        client().admin().indices().prepareRefresh("docs").get();
    }

    private void index(String index, String id, String title, String lang, String... passages) {
        List<Map<String, Object>> nested = new java.util.ArrayList<>();
        float[][] vectors = embed(passages);
        int offset = 0;
        for (int i = 0; i < passages.length; i++) {
            nested.add(Map.of("text", passages[i], "offset", offset, "vector", vectors[i]));
            offset += passages[i].length() + 1;
        }
        client().prepareIndex(index).setId(id).setSource(Map.of("title", title, "lang", lang, "passages", nested)).get();
    }

    private float[][] embed(String... texts) {
        EmbeddingService embeddings = getInstanceFromNode(EmbeddingService.class);
        PlainActionFuture<float[][]> vectors = PlainActionFuture.newFuture();
        embeddings.embed(embeddings.model(ModelFixtures.MINILM), InputType.PASSAGE, List.of(texts), vectors);
        return vectors.actionGet(60, TimeUnit.SECONDS);
    }

    private RagRequest request(String json) {
        Map<String, Object> body = XContentHelper.convertToMap(JsonXContent.jsonXContent, new BytesArray(json).streamInput(), false);
        return RagRequest.parse(body, xContentRegistry());
    }

    private RagResponse rag(String index, String json) {
        PlainActionFuture<RagResponse> future = PlainActionFuture.newFuture();
        getInstanceFromNode(RagService.class).answer(client(), xContentRegistry(), new String[] { index }, request(json), future);
        return future.actionGet(60, TimeUnit.SECONDS);
    }

    private IllegalArgumentException ragFails(String index, String json) {
        return expectThrows(IllegalArgumentException.class, () -> rag(index, json));
    }

    /** The ids of the citations the answer's [n] markers point to. */
    private static List<String> citedIds(RagResponse response) {
        Matcher marker = Pattern.compile("\\[(\\d+)]").matcher(response.answer());
        List<String> ids = new java.util.ArrayList<>();
        while (marker.find()) {
            int n = Integer.parseInt(marker.group(1));
            ids.add(response.citations().get(n - 1).id());
        }
        return ids;
    }

    private static JsonNode json(RagResponse response) throws IOException {
        return JSON.readTree(XContentHelper.toXContent(response, XContentType.JSON, false).utf8ToString());
    }

    public void testExtractiveAnswerFromNestedPassages() throws IOException {
        RagResponse response = rag("docs", "{\"question\": \"Where is the logrotate configuration file?\", \"field\": \"passages\", \"k\": 3}");
        assertEquals("extractive", response.generator());
        assertEquals("the field model's int8 build scores the sentences", ModelFixtures.MINILM_INT8, response.answerModel());
        assertTrue(response.answer(), response.answer().contains("The main configuration file is /etc/logrotate.conf. ["));
        assertFalse(response.answer(), citedIds(response).isEmpty());
        assertTrue(response.answer(), citedIds(response).stream().allMatch("logrotate"::equals));
        for (int i = 0; i < response.citations().size(); i++) {
            Citation citation = response.citations().get(i);
            assertEquals(i + 1, citation.n());
            assertEquals("docs", citation.index());
            assertNotNull("nested passages carry their offset", citation.offset());
        }
        // Passages come from the inner hits: the logrotate document brings both of its passages.
        assertTrue(response.citations().stream().anyMatch(c -> c.id().equals("logrotate") && c.offset() > 0));
        JsonNode json = json(response);
        assertTrue(json.toString(), json.path("took").path("retrieval_ms").isIntegralNumber());
        assertTrue(json.toString(), json.path("took").path("generation_ms").isIntegralNumber());
        assertEquals(response.citations().size(), json.path("citations").size());
        assertEquals("docs", json.path("citations").path(0).path("_index").asText());
        assertEquals(ModelFixtures.MINILM_INT8, json.path("answer_model").asText());
        assertFalse(json.has("error"));
    }

    public void testTheAnswerModelCanBeNamed() {
        RagResponse response = rag("docs", """
            {"question": "Where is the logrotate configuration file?", "field": "passages", "k": 3, "answer_model": "all-minilm-l6-v2"}""");
        assertEquals(ModelFixtures.MINILM, response.answerModel());
        assertTrue(response.answer(), response.answer().contains("The main configuration file is /etc/logrotate.conf. ["));
        assertEquals(
            "[answer_model] unknown model [e5-small]; loaded models are [all-minilm-l6-v2, all-minilm-l6-v2-int8]",
            ragFails("docs", "{\"question\": \"q\", \"field\": \"passages\", \"answer_model\": \"e5-small\"}").getMessage()
        );
    }

    public void testFiltersApplyToTheDocuments() {
        RagResponse response = rag("docs", """
            {"question": "logrotate configuration", "field": "passages", "filter": {"term": {"lang": "zh"}}}""");
        assertEquals(List.of("logrotate-zh"), response.citations().stream().map(Citation::id).distinct().toList());
    }

    public void testHybridFusesTheTitleSearchIn() {
        // BM25 on the title finds "Scheduled jobs" only through the title; the passages never say "scheduled jobs".
        RagResponse response = rag("docs", """
            {"question": "How do I edit my scheduled jobs?", "field": "passages", "text_field": "title", "k": 2, "rank_constant": 1}""");
        List<String> ids = response.citations().stream().map(Citation::id).distinct().toList();
        assertTrue(ids.toString(), ids.contains("cron"));
        assertTrue(response.citations().stream().allMatch(c -> c.score() > 0 && c.score() <= 1.0));
    }

    public void testHybridOverTheNestedPassageText() {
        RagResponse response = rag("docs", """
            {"question": "reverse proxy", "field": "passages", "text_field": "passages.text", "k": 1}""");
        assertEquals(1, response.citations().size());
        assertEquals("nginx", response.citations().get(0).id());
        assertEquals(List.of("nginx"), citedIds(response));
    }

    public void testAVectorFieldTakesItsPassagesFromTheTextField() throws IOException {
        createIndex("plain", Settings.EMPTY, XContentFactory.jsonBuilder().map(Map.of("properties", Map.of(
            "body", Map.of("type", "text"),
            "body_vector", Map.of("type", "semantic_vector")
        ))));
        for (String[] doc : List.of(
            new String[] { "1", "Backups run every night at two. They are kept for a month." },
            new String[] { "2", "The printer is on the second floor." }
        )) {
            client().prepareIndex("plain").setId(doc[0]).setSource(Map.of("body", doc[1], "body_vector", embed(doc[1])[0])).get();
        }
        client().admin().indices().prepareRefresh("plain").get();
        RagResponse response = rag("plain", """
            {"question": "How long are backups kept?", "field": "body_vector", "text_field": "body", "retrieval": "semantic"}""");
        assertEquals("1", response.citations().get(0).id());
        assertNull(response.citations().get(0).offset());
        assertEquals("Backups run every night at two. They are kept for a month.", response.citations().get(0).passage());
        assertEquals(List.of("1"), citedIds(response).stream().distinct().toList());
    }

    public void testNothingFoundIsAnHonestAnswer() {
        RagResponse response = rag("docs", "{\"question\": \"logrotate\", \"field\": \"passages\", \"filter\": {\"term\": {\"lang\": \"xx\"}}}");
        assertEquals(ExtractiveAnswerer.NO_ANSWER, response.answer());
        assertEquals(List.of(), response.citations());
    }

    public void testUnrelatedPassagesAreNotQuoted() {
        // BM25 finds "file" everywhere, but nothing says how big the sun is.
        RagResponse response = rag("docs", "{\"question\": \"How large is the sun compared to a file?\", \"field\": \"passages\"}");
        assertFalse(response.citations().isEmpty());
        assertEquals(ExtractiveAnswerer.NO_ANSWER, response.answer());
    }

    public void testTheContextBudgetLimitsTheCitations() {
        RagResponse response = rag("docs", "{\"question\": \"configuration file\", \"field\": \"passages\", \"max_context_tokens\": 16}");
        assertEquals(1, response.citations().size());
    }

    public void testFieldProblemsAreNamed() {
        assertEquals(
            "[field] [title] must be a [semantic_text] field, a [semantic_vector] field or a nested object with [title.text] and a [semantic_vector] "
                + "[title.vector], but no index of [docs] maps it so",
            ragFails("docs", "{\"question\": \"q\", \"field\": \"title\"}").getMessage()
        );
        assertEquals(
            "[text_field] [nope] is not mapped in [docs]",
            ragFails("docs", "{\"question\": \"q\", \"field\": \"passages\", \"text_field\": \"nope\"}").getMessage()
        );
    }

    public void testConnectorAnswersWithCitations() throws IOException {
        llmStatus = 200;
        llmDelayMillis = 0;
        llmReply = """
            {"choices": [{"index": 0, "message": {"role": "assistant", "content": "It is /etc/logrotate.conf [1]."}, "finish_reason": "stop"}]}""";
        RagResponse response = rag("docs", """
            {"question": "Where is the logrotate configuration file?", "field": "passages", "generator": "fake", "k": 2}""");
        assertEquals("It is /etc/logrotate.conf [1].", response.answer());
        assertEquals("fake", response.generator());
        assertNull("an LLM embeds nothing", response.answerModel());
        assertFalse(json(response).has("answer_model"));
        assertNull(response.error());
        assertFalse(response.citations().isEmpty());
        assertEquals("Bearer " + KEY, llmAuthorization.get());
        JsonNode sent = JSON.readTree(llmRequest.get());
        assertEquals("fake-model", sent.path("model").asText());
        String user = sent.path("messages").path(1).path("content").asText();
        assertTrue(user, user.startsWith("Question: Where is the logrotate configuration file?\n\nPassages:\n\n[1]\n```\n"));
        assertTrue(user, user.contains(response.citations().get(0).passage()));
        assertFalse(json(response).toString().contains(KEY));
    }

    public void testConnectorFailuresKeepTheCitations() throws IOException {
        llmDelayMillis = 0;
        llmStatus = 500;
        llmReply = "{\"error\": {\"message\": \"upstream exploded, key " + KEY + "\"}}";
        RagResponse failed = rag("docs", "{\"question\": \"logrotate\", \"field\": \"passages\", \"generator\": \"fake\"}");
        assertNull(failed.answer());
        assertFalse(failed.citations().isEmpty());
        assertEquals(LlmException.HTTP_ERROR, failed.error().type());
        JsonNode json = json(failed);
        assertTrue(json.has("answer") && json.path("answer").isNull());
        assertEquals("llm_http_error", json.path("error").path("type").asText());
        assertEquals("connector [fake] answered HTTP 500: upstream exploded, key [redacted]", json.path("error").path("reason").asText());
        assertFalse(json.toString().contains(KEY));

        llmStatus = 200;
        llmReply = "not json at all";
        assertEquals(LlmException.BAD_RESPONSE, rag("docs", "{\"question\": \"logrotate\", \"field\": \"passages\", \"generator\": \"fake\"}").error().type());

        llmDelayMillis = 3000;
        RagResponse slow = rag("docs", "{\"question\": \"logrotate\", \"field\": \"passages\", \"generator\": \"fake\"}");
        assertEquals(LlmException.TIMEOUT, slow.error().type());
        assertEquals("connector [fake] did not answer within [1s]", slow.error().getMessage());
        assertFalse(slow.citations().isEmpty());
        llmDelayMillis = 0;
    }

    public void testNoPassagesMeansNoLlmCall() {
        llmRequest.set(null);
        RagResponse response = rag(
            "docs",
            "{\"question\": \"logrotate\", \"field\": \"passages\", \"generator\": \"fake\", \"filter\": {\"term\": {\"lang\": \"xx\"}}}"
        );
        assertEquals(ExtractiveAnswerer.NO_ANSWER, response.answer());
        assertNull(llmRequest.get());
    }

    public void testConnectorsThatCannotBeUsed() {
        assertTrue(
            ragFails("docs", "{\"question\": \"q\", \"field\": \"passages\", \"generator\": \"blocked\"}").getMessage()
                .startsWith("[generator] connector [blocked] cannot be used: its endpoint [http://169.254.169.254/latest/meta-data] matches none of")
        );
        assertEquals(
            "[generator] must be [extractive] or a configured LLM connector, got [gpt]; configured connectors: [blocked, fake]",
            ragFails("docs", "{\"question\": \"q\", \"field\": \"passages\", \"generator\": \"gpt\"}").getMessage()
        );
    }

    public void testTheListenerRunsInTheCallersThreadContext() throws Exception {
        ThreadContext threadContext = client().threadPool().getThreadContext();
        AtomicReference<String> seen = new AtomicReference<>();
        PlainActionFuture<RagResponse> future = PlainActionFuture.newFuture();
        try (ThreadContext.StoredContext ignored = threadContext.stashContext()) {
            threadContext.putHeader("caller", "alice");
            getInstanceFromNode(RagService.class).answer(
                client(),
                xContentRegistry(),
                new String[] { "docs" },
                request("{\"question\": \"logrotate\", \"field\": \"passages\"}"),
                ActionListener.wrap(r -> {
                    seen.set(threadContext.getHeader("caller"));
                    future.onResponse(r);
                }, future::onFailure)
            );
        }
        future.actionGet(60, TimeUnit.SECONDS);
        assertEquals("alice", seen.get());
    }
}
