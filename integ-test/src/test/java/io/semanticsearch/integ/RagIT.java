package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * {@code POST /{index}/_rag} on a real node: a small corpus with known answers in English and Chinese, indexed as
 * nested passages with vectors from the node's own {@code _embed}; extractive answers cite the right document,
 * hybrid retrieval and filters work; an LLM connector talks to an OpenAI-compatible server in this JVM (normal,
 * slow, failing and garbled answers) with its key from the keystore, reloaded with
 * {@code _nodes/reload_secure_settings}; and no key ever shows in a response or the node's log.
 */
public class RagIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "sk-ragit-first-key-4f1c9a7e";
    private static final String ROTATED_KEY = "sk-ragit-rotated-key-8b2d6e0f";
    private static final String NO_ANSWER = "No passage answers this question.";

    /** One document of the corpus: its passages are joined by blank lines into its body. */
    private record Doc(String id, String topic, String title, List<String> passages) {}

    private static final List<Doc> ENGLISH = List.of(
        new Doc("logrotate", "logs", "Rotating log files with logrotate", List.of(
            "Logrotate rotates, compresses and removes old log files so that they do not fill the disk. It normally runs once a day from cron.",
            "The main configuration file is /etc/logrotate.conf. Settings for each package live in /etc/logrotate.d.")),
        new Doc("sshd", "ssh", "Configuring the OpenSSH server", List.of(
            "The OpenSSH server reads its settings from /etc/ssh/sshd_config. Restart the ssh service after changing that file.",
            "Set PasswordAuthentication to no to allow only key-based logins.")),
        new Doc("nginx", "web", "Nginx as a reverse proxy", List.of(
            "Nginx is a web server that can also act as a reverse proxy. The proxy_pass directive forwards requests to a backend server.")),
        new Doc("cron", "scheduling", "Scheduling jobs with cron", List.of(
            "Cron runs commands at scheduled times. Each user edits their own crontab with the command crontab -e.")),
        new Doc("apt", "packages", "Installing packages with apt", List.of(
            "Install a package with apt install followed by its name. Run apt update first to refresh the package lists.")),
        new Doc("ufw", "security", "A simple firewall with ufw", List.of(
            "UFW is a simple front end for the Linux firewall. Allow incoming SSH connections with ufw allow ssh, then turn the firewall on with ufw enable.")),
        new Doc("disk", "storage", "Checking disk space", List.of(
            "The df command shows how much space is free on each file system. Use du -sh on a folder to see how much space it takes.")),
        new Doc("timezone", "time", "Setting the time zone", List.of(
            "Set the system time zone with timedatectl set-timezone, for example Europe/Paris. The timedatectl command alone shows the current settings."))
    );

    private static final List<Doc> CHINESE = List.of(
        new Doc("logrotate-zh", "logs", "日志轮转", List.of(
            "日志轮转由 logrotate 负责，它每天由 cron 运行一次。主配置文件是 /etc/logrotate.conf，每个软件包的配置放在 /etc/logrotate.d 目录下。")),
        new Doc("ssh-zh", "ssh", "配置 SSH 服务器", List.of("OpenSSH 服务器的配置文件是 /etc/ssh/sshd_config。修改之后需要重启 ssh 服务。")),
        new Doc("nginx-zh", "web", "Nginx 反向代理", List.of("Nginx 是一个高性能的 Web 服务器，也可以用作反向代理。")),
        new Doc("apt-zh", "packages", "安装软件包", List.of("使用 apt install 命令安装软件包。安装之前先运行 apt update 更新软件包列表。")),
        new Doc("disk-zh", "storage", "查看磁盘空间", List.of("df 命令显示每个文件系统的剩余空间。du -sh 可以查看一个目录占用的空间。"))
    );

    private static LocalNode node;
    private static HttpServer llm;
    private static ExecutorService llmThreads;
    /** What the fake LLM does next: "answer", "slow", "error" or "garbage". */
    private static volatile String llmMode = "answer";
    // The slow mode: the server says it has the request, then holds it until the test lets it go.
    private static volatile CountDownLatch llmReached = new CountDownLatch(1);
    private static volatile CountDownLatch llmRelease = new CountDownLatch(1);
    private static final List<String> llmAuthorizations = new CopyOnWriteArrayList<>();
    private static final List<String> llmRequests = new CopyOnWriteArrayList<>();

    @BeforeClass
    public static void startNode() throws Exception {
        startLlm();
        int port = llm.getAddress().getPort();
        node = LocalNode.builder("rag")
            .plugin(LocalNode.pluginZip())
            .setting("plugins.semantic.llm.fake.endpoint", "http://127.0.0.1:" + port + "/v1/chat/completions")
            .setting("plugins.semantic.llm.fake.model", "fake-model")
            .setting("plugins.semantic.llm.fake.timeout", "2s")
            .setting("plugins.semantic.llm.blocked.endpoint", "http://169.254.169.254/latest/api/token")
            .setting("plugins.semantic.llm.blocked.model", "fake-model")
            // Single quotes: YAML keeps the backslashes of the regular expression as they are.
            .setting("plugins.semantic.llm.allowed_endpoints", "['http://127\\.0\\.0\\.1:" + port + "/v1/chat/completions']")
            .keystore("plugins.semantic.llm.fake.api_key", KEY)
            .start();
        createIndex("kb-en", "all-minilm-l6-v2");
        createIndex("kb-zh", "bge-small-zh-v1.5");
        index("kb-en", "all-minilm-l6-v2", ENGLISH);
        index("kb-zh", "bge-small-zh-v1.5", CHINESE);
    }

    @AfterClass
    public static void stopNode() throws InterruptedException {
        if (node != null) {
            node.close();
        }
        if (llm != null) {
            llmRelease.countDown();
            llm.stop(0);
            llmThreads.shutdownNow();
            llmThreads.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /** An OpenAI-compatible chat completions server on loopback. */
    private static void startLlm() throws IOException {
        llm = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        llmThreads = Executors.newCachedThreadPool();
        llm.setExecutor(llmThreads);
        llm.createContext("/v1/chat/completions", exchange -> {
            llmAuthorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            llmRequests.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            String mode = llmMode;
            int status = 200;
            String body = switch (mode) {
                case "answer" -> """
                    {"id": "chatcmpl-1", "object": "chat.completion", "model": "fake-model",
                     "choices": [{"index": 0, "message": {"role": "assistant", "content": "It is /etc/logrotate.conf [1]."},
                       "finish_reason": "stop"}]}""";
                case "error" -> {
                    status = 500;
                    // Servers do echo keys in errors (OpenAI's 401 does, partly): the plugin must not pass it on.
                    String echoed = exchange.getRequestHeaders().getFirst("Authorization");
                    yield "{\"error\": {\"message\": \"internal error for " + echoed + "\", \"type\": \"server_error\"}}";
                }
                case "garbage" -> "<html>502 Bad Gateway</html>";
                default -> {
                    llmReached.countDown();
                    try {
                        llmRelease.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    yield "{}";
                }
            };
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            try {
                exchange.sendResponseHeaders(status, bytes.length);
                exchange.getResponseBody().write(bytes);
            } catch (IOException clientGone) {
                // the node gave up waiting (the slow case)
            }
            exchange.close();
        });
        llm.start();
    }

    private static void createIndex(String index, String model) {
        LocalNode.Response response = node.put("/" + index, """
            {"settings": {"number_of_shards": 1, "number_of_replicas": 0},
             "mappings": {"properties": {
               "title": {"type": "text"}, "body": {"type": "text"}, "topic": {"type": "keyword"},
               "passages": {"type": "nested", "properties": {
                 "text": {"type": "text"}, "offset": {"type": "integer"},
                 "vector": {"type": "semantic_vector", "model": "%s"}}}}}}""".formatted(model));
        assertEquals(response.toString(), 200, response.status());
    }

    /** Embeds every passage with the node's own _embed and bulk-indexes the documents. */
    private static void index(String index, String model, List<Doc> docs) throws IOException {
        ObjectNode embed = JSON.createObjectNode().put("model", model).put("input_type", "passage");
        ArrayNode texts = embed.putArray("texts");
        docs.forEach(d -> d.passages().forEach(texts::add));
        LocalNode.Response vectors = node.post("/_plugins/_semantic/_embed", embed.toString());
        assertEquals(vectors.toString(), 200, vectors.status());
        JsonNode embeddings = vectors.json().path("embeddings");
        StringBuilder bulk = new StringBuilder();
        int next = 0;
        for (Doc doc : docs) {
            ObjectNode source = JSON.createObjectNode().put("title", doc.title()).put("topic", doc.topic());
            source.put("body", String.join("\n\n", doc.passages()));
            ArrayNode passages = source.putArray("passages");
            int offset = 0;
            for (String text : doc.passages()) {
                passages.addObject().put("text", text).put("offset", offset).set("vector", embeddings.get(next++));
                offset += text.length() + 2;
            }
            bulk.append("{\"index\": {\"_index\": \"").append(index).append("\", \"_id\": \"").append(doc.id()).append("\"}}\n");
            bulk.append(JSON.writeValueAsString(source)).append('\n');
        }
        LocalNode.Response response = node.post("/_bulk?refresh=true", bulk.toString());
        assertEquals(response.toString(), 200, response.status());
        assertFalse(response.body(), response.json().path("errors").asBoolean());
    }

    private static JsonNode rag(String index, String body) {
        LocalNode.Response response = node.post("/" + index + "/_rag", body);
        assertEquals(response.toString(), 200, response.status());
        return response.json();
    }

    /** The documents the answer's [n] markers cite. */
    private static Set<String> cited(JsonNode response) {
        Set<String> ids = new LinkedHashSet<>();
        Matcher marker = Pattern.compile("\\[(\\d+)]").matcher(response.path("answer").asText());
        while (marker.find()) {
            int n = Integer.parseInt(marker.group(1));
            JsonNode citation = response.path("citations").path(n - 1);
            assertEquals(response.toString(), n, citation.path("n").asInt());
            ids.add(citation.path("_id").asText());
        }
        return ids;
    }

    private static void assertCites(String index, String question, String expectedId) {
        JsonNode response = rag(index, JSON.createObjectNode().put("question", question).put("field", "passages").toString());
        assertEquals(response.toString(), "extractive", response.path("generator").asText());
        assertEquals(question + " -> " + response, Set.of(expectedId), cited(response));
    }

    @Test
    public void extractiveAnswersCiteTheRightDocumentInEnglish() {
        assertCites("kb-en", "Where is the logrotate configuration file?", "logrotate");
        assertCites("kb-en", "How do I edit my crontab?", "cron");
        assertCites("kb-en", "Which file holds the settings of the SSH server?", "sshd");
        assertCites("kb-en", "How can I see how much disk space is free?", "disk");
        assertCites("kb-en", "How do I change the time zone?", "timezone");
    }

    @Test
    public void extractiveAnswersCiteTheRightDocumentInChinese() {
        assertCites("kb-zh", "如何配置日志轮转?", "logrotate-zh");
        assertCites("kb-zh", "怎么安装软件包？", "apt-zh");
        assertCites("kb-zh", "如何查看磁盘剩余空间？", "disk-zh");
    }

    @Test
    public void theResponseHasEveryPart() {
        JsonNode response = rag("kb-en", """
            {"question": "Where is the logrotate configuration file?", "field": "passages", "k": 3}""");
        assertTrue(response.toString(), response.path("answer").asText().contains("/etc/logrotate.conf"));
        JsonNode citations = response.path("citations");
        assertTrue(response.toString(), citations.size() >= 1);
        for (int i = 0; i < citations.size(); i++) {
            JsonNode citation = citations.get(i);
            assertEquals(i + 1, citation.path("n").asInt());
            assertEquals("kb-en", citation.path("_index").asText());
            assertFalse(citation.path("_id").asText().isEmpty());
            assertFalse(citation.path("passage").asText().isEmpty());
            assertTrue(citation.toString(), citation.path("score").isNumber());
            assertTrue(citation.toString(), citation.path("offset").isInt());
        }
        assertTrue(response.toString(), response.path("took").path("retrieval_ms").isIntegralNumber());
        assertTrue(response.toString(), response.path("took").path("generation_ms").isIntegralNumber());
        assertEquals(response.toString(), "all-minilm-l6-v2-int8", response.path("answer_model").asText());
        assertFalse(response.toString(), response.has("error"));
    }

    @Test
    public void theAnswerModelIsTheFieldModelsInt8BuildUnlessNamed() {
        String question = "{\"question\": \"How do I change the time zone?\", \"field\": \"passages\"";
        JsonNode quantized = rag("kb-en", question + "}");
        JsonNode exact = rag("kb-en", question + ", \"answer_model\": \"all-minilm-l6-v2\"}");
        assertEquals(exact.toString(), "all-minilm-l6-v2", exact.path("answer_model").asText());
        assertEquals(quantized.path("citations"), exact.path("citations"));
        assertEquals(exact.toString(), Set.of("timezone"), cited(exact));
        assertEquals(quantized.toString(), cited(exact), cited(quantized));
        // Chinese has no int8 build bundled: its field's own model answers.
        JsonNode chinese = rag("kb-zh", "{\"question\": \"如何查看磁盘剩余空间？\", \"field\": \"passages\"}");
        assertEquals(chinese.toString(), "bge-small-zh-v1.5", chinese.path("answer_model").asText());
    }

    @Test
    public void anUnrelatedQuestionGetsAnHonestAnswerAndStillTheCitations() {
        JsonNode response = rag("kb-en", """
            {"question": "What is the capital of Australia?", "field": "passages"}""");
        assertEquals(response.toString(), NO_ANSWER, response.path("answer").asText());
        assertTrue(response.toString(), response.path("citations").size() > 0);
    }

    @Test
    public void hybridRetrievalFindsExactNames() {
        JsonNode response = rag("kb-en", """
            {"question": "What does proxy_pass do?", "field": "passages", "text_field": "body", "k": 2}""");
        assertEquals(response.toString(), "nginx", response.path("citations").path(0).path("_id").asText());
        assertEquals(response.toString(), Set.of("nginx"), cited(response));
        // Linear fusion by default: the best document's score is the mean of its z-scores, above the average hit.
        assertTrue(response.toString(), response.path("citations").path(0).path("score").asDouble() > 0);

        JsonNode rrf = rag("kb-en", """
            {"question": "What does proxy_pass do?", "field": "passages", "text_field": "body", "k": 2, "fusion": "rrf"}""");
        assertEquals(rrf.toString(), "nginx", rrf.path("citations").path(0).path("_id").asText());
        // RRF scores: at most 2 / (60 + 1).
        assertTrue(rrf.toString(), rrf.path("citations").path(0).path("score").asDouble() <= 2.0 / 61 + 1e-9);
    }

    @Test
    public void hybridOverThePassageText() {
        JsonNode response = rag("kb-zh", """
            {"question": "sshd_config 在哪里？", "field": "passages", "text_field": "passages.text", "k": 2}""");
        assertEquals(response.toString(), "ssh-zh", response.path("citations").path(0).path("_id").asText());
    }

    @Test
    public void filtersLimitTheDocuments() {
        JsonNode response = rag("kb-en", """
            {"question": "Where is the configuration file?", "field": "passages", "filter": {"term": {"topic": "ssh"}}}""");
        Set<String> ids = new LinkedHashSet<>();
        response.path("citations").forEach(c -> ids.add(c.path("_id").asText()));
        assertEquals(response.toString(), Set.of("sshd"), ids);
    }

    @Test
    public void aRagRequestIsATaskThatCanBeCancelled() throws Exception {
        // The LLM holds the request until released: the _rag task is running, waiting for it, when it is cancelled.
        llmReached = new CountDownLatch(1);
        llmRelease = new CountDownLatch(1);
        llmMode = "slow";
        try {
            String request = "{\"question\": \"Where is the logrotate configuration?\", \"field\": \"passages\", \"generator\": \"fake\"}";
            CompletableFuture<LocalNode.Response> call = CompletableFuture.supplyAsync(() -> node.post("/kb-en/_rag", request));
            assertTrue("the request never reached the LLM", llmReached.await(60, TimeUnit.SECONDS));
            JsonNode task = null;
            for (JsonNode n : node.get("/_tasks?detailed=true&actions=indices:data/read/semantic/rag").json().path("nodes")) {
                for (JsonNode t : n.path("tasks")) {
                    task = t;
                }
            }
            assertTrue("no _rag task while it waits for the LLM", task != null);
            assertTrue(task.toString(), task.path("cancellable").asBoolean());
            assertTrue(task.toString(), task.path("description").asText().contains("Where is the logrotate configuration?"));
            assertEquals(200, node.post("/_tasks/_cancel?actions=indices:data/read/semantic/rag", "").status());
            LocalNode.Response response = call.get(1, TimeUnit.MINUTES);
            assertTrue(response.toString(), response.status() >= 400 && response.body().contains("cancelled"));
        } finally {
            llmMode = "answer";
            llmRelease.countDown();
        }
    }

    @Test
    public void badRequestsNameTheParameter() {
        assertBadRequest("kb-en", "{\"question\": \"q\", \"field\": \"passages\", \"size\": 3}", "[size]");
        assertBadRequest("kb-en", "{\"question\": \"q\", \"field\": \"passages\", \"k\": 0}", "[k] must be between 1 and 100, got [0]");
        assertBadRequest("kb-en", "{\"field\": \"passages\"}", "[question] is required");
        assertBadRequest("kb-en", "{\"question\": \"q\", \"field\": \"title\"}", "[field] [title] must be a [semantic_text] field, a [semantic_vector] field");
        assertBadRequest("kb-en", "{\"question\": \"q\", \"field\": \"passages\", \"retrieval\": \"hybrid\"}", "[retrieval] [hybrid] needs [text_field]");
        assertBadRequest("kb-en", "{\"question\": \"q\", \"field\": \"passages\", \"generator\": \"gpt\"}", "configured connectors: [blocked, fake]");
        assertBadRequest("kb-en", "{\"question\": \"q\", \"field\": \"passages\", \"generator\": \"blocked\"}", "[generator] connector [blocked] cannot be used");
        assertBadRequest("kb-*", "{\"question\": \"q\", \"field\": \"passages\"}", "query indices that agree");
        assertBadRequest("nothing-here-*", "{\"question\": \"q\", \"field\": \"passages\"}", "no index matches [nothing-here-*]");
        String deep = "{\"bool\": {\"filter\": ".repeat(200) + "{\"match_all\": {}}" + "}}".repeat(200);
        assertBadRequest("kb-en", "{\"question\": \"q\", \"field\": \"passages\", \"filter\": " + deep + "}", "nested more than [64] levels deep");
        assertBadRequest("kb-en", null, "[_rag] needs a body");
        assertBadRequest(
            "kb-en",
            "{\"question\": \"q\", \"field\": \"passages\", \"answer_model\": \"e5-small\"}",
            "[answer_model] unknown model [e5-small]; loaded models are ["
        );
        assertBadRequest(
            "kb-en",
            "{\"question\": \"q\", \"field\": \"passages\", \"generator\": \"fake\", \"answer_model\": \"all-minilm-l6-v2\"}",
            "[answer_model] applies to [generator] [extractive] only"
        );
    }

    private static void assertBadRequest(String index, String body, String expected) {
        LocalNode.Response response = node.post("/" + index + "/_rag", body);
        assertEquals(response.toString(), 400, response.status());
        assertTrue(response.body(), response.body().contains(expected));
    }

    @Test
    public void connectorAnswersFailuresAndKeys() throws IOException {
        String request = """
            {"question": "Where is the logrotate configuration file?", "field": "passages", "generator": "fake", "k": 2}""";
        llmMode = "answer";
        JsonNode answered = rag("kb-en", request);
        assertEquals(answered.toString(), "It is /etc/logrotate.conf [1].", answered.path("answer").asText());
        assertEquals("fake", answered.path("generator").asText());
        assertFalse(answered.toString(), answered.has("answer_model"));
        assertEquals("Bearer " + KEY, llmAuthorizations.get(llmAuthorizations.size() - 1));
        JsonNode sent = JSON.readTree(llmRequests.get(llmRequests.size() - 1));
        String user = sent.path("messages").path(1).path("content").asText();
        assertTrue(user, user.contains("[1]\n```\n" + answered.path("citations").path(0).path("passage").asText() + "\n```"));

        List<String> bodies = new ArrayList<>();
        llmRelease = new CountDownLatch(1); // the slow answer is held past the connector's timeout, then let go
        try {
            for (Map.Entry<String, String> failure : Map.of("slow", "llm_timeout", "error", "llm_http_error", "garbage", "llm_bad_response").entrySet()) {
                llmMode = failure.getKey();
                LocalNode.Response response = node.post("/kb-en/_rag", request);
                bodies.add(response.body());
                assertEquals(response.toString(), 200, response.status());
                JsonNode json = response.json();
                assertTrue(response.body(), json.path("answer").isNull());
                assertEquals(response.body(), failure.getValue(), json.path("error").path("type").asText());
                assertFalse(response.body(), json.path("error").path("reason").asText().isEmpty());
                assertTrue(response.body(), json.path("citations").size() > 0);
            }
        } finally {
            llmMode = "answer";
            llmRelease.countDown();
        }
        for (String body : bodies) {
            assertFalse("the API key leaked into a response: " + body, body.contains(KEY));
        }

        // A new key through the keystore and _nodes/reload_secure_settings, without a restart.
        node.addToKeystore("plugins.semantic.llm.fake.api_key", ROTATED_KEY);
        LocalNode.Response reload = node.post("/_nodes/reload_secure_settings", "{}");
        assertEquals(reload.toString(), 200, reload.status());
        assertFalse(reload.body(), reload.body().contains("reload_exception"));
        llmMode = "answer";
        rag("kb-en", request);
        assertEquals("Bearer " + ROTATED_KEY, llmAuthorizations.get(llmAuthorizations.size() - 1));

        String log = node.serverLog();
        assertTrue("the failures are logged", log.contains("LLM connector [fake] gave no answer"));
        assertFalse("the API key leaked into the node log", log.contains(KEY));
        assertFalse("the API key leaked into the node log", log.contains(ROTATED_KEY));
    }
}
