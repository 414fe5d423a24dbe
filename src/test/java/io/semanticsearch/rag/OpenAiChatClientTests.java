package io.semanticsearch.rag;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.semanticsearch.rag.PromptBuilder.ChatPrompt;

import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.core.common.settings.SecureString;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** The connector against a fake OpenAI-compatible server on loopback that speaks real HTTP. */
public class OpenAiChatClientTests extends OpenSearchTestCase {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "sk-test-abcdefghijklmnop";
    private static final ChatPrompt PROMPT = new ChatPrompt("system rules", "Question: q\n\nPassages:\n\n[1]\n```\ntext\n```");

    /** What the fake server answers: status and body, after an optional delay. */
    private record Reply(int status, String body, long delayMillis) {}

    private HttpServer server;
    private ExecutorService serverThreads;
    private OpenAiChatClient client;
    private volatile Reply reply;
    // Released by a test that needs the server to hold its answer until the client has given up.
    private volatile CountDownLatch held = new CountDownLatch(0);
    private final AtomicReference<HttpExchange> lastExchange = new AtomicReference<>();
    private final AtomicReference<String> lastBody = new AtomicReference<>();

    @Override
    public void setUp() throws Exception {
        super.setUp();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        serverThreads = Executors.newCachedThreadPool();
        server.setExecutor(serverThreads);
        server.createContext("/v1/chat/completions", exchange -> {
            lastExchange.set(exchange);
            lastBody.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            Reply r = reply;
            try {
                held.await(30, TimeUnit.SECONDS);
                Thread.sleep(r.delayMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exchange.close();
                return;
            }
            byte[] bytes = r.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            if (r.status() == 302) {
                exchange.getResponseHeaders().add("Location", "http://169.254.169.254/latest/meta-data/");
            }
            exchange.sendResponseHeaders(r.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                exchange.getResponseBody().write(bytes);
            }
            exchange.close();
        });
        server.start();
        client = new OpenAiChatClient();
    }

    @Override
    public void tearDown() throws Exception {
        client.close();
        server.stop(0);
        serverThreads.shutdownNow();
        assertTrue(serverThreads.awaitTermination(10, TimeUnit.SECONDS));
        super.tearDown();
    }

    private LlmConnector connector(String key, Double temperature, TimeValue timeout) {
        URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/chat/completions");
        return new LlmConnector("test", endpoint, "test-model", timeout, 200, temperature, key == null ? null : new SecureString(key.toCharArray()), null);
    }

    private LlmConnector connector() {
        return connector(KEY, null, TimeValue.timeValueSeconds(10));
    }

    private String complete(LlmConnector connector) {
        PlainActionFuture<String> future = PlainActionFuture.newFuture();
        client.complete(connector, PROMPT, future);
        return future.actionGet(30, TimeUnit.SECONDS);
    }

    private LlmException fails(LlmConnector connector) {
        return expectThrows(LlmException.class, () -> complete(connector));
    }

    private static String completion(String content) {
        return """
            {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "test-model",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": %s, "refusal": null}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}""".formatted(content);
    }

    public void testAnswerAndTheRequestOnTheWire() throws IOException {
        reply = new Reply(200, completion("\"Logs rotate weekly [1].\""), 0);
        assertEquals("Logs rotate weekly [1].", complete(connector()));

        HttpExchange exchange = lastExchange.get();
        assertEquals("POST", exchange.getRequestMethod());
        assertEquals("/v1/chat/completions", exchange.getRequestURI().getPath());
        assertEquals("Bearer " + KEY, exchange.getRequestHeaders().getFirst("Authorization"));
        assertEquals("application/json", exchange.getRequestHeaders().getFirst("Content-Type"));
        JsonNode body = JSON.readTree(lastBody.get());
        assertEquals("test-model", body.path("model").asText());
        assertEquals("system", body.path("messages").path(0).path("role").asText());
        assertEquals("system rules", body.path("messages").path(0).path("content").asText());
        assertEquals("user", body.path("messages").path(1).path("role").asText());
        assertEquals(PROMPT.user(), body.path("messages").path(1).path("content").asText());
        assertEquals(200, body.path("max_tokens").asInt());
        assertFalse(body.path("stream").asBoolean());
        assertTrue("no temperature unless configured: " + body, body.path("temperature").isMissingNode());
    }

    public void testTemperatureIsSentWhenSetAndNoKeyMeansNoAuthorization() throws IOException {
        reply = new Reply(200, completion("\"ok\""), 0);
        assertEquals("ok", complete(connector(null, 0.2, TimeValue.timeValueSeconds(10))));
        assertEquals(0.2, JSON.readTree(lastBody.get()).path("temperature").asDouble(), 0);
        assertNull(lastExchange.get().getRequestHeaders().getFirst("Authorization"));
    }

    public void testServerErrorIsMappedWithItsMessage() {
        reply = new Reply(500, "{\"error\": {\"message\": \"The server had an error\", \"type\": \"server_error\"}}", 0);
        LlmException e = fails(connector());
        assertEquals(LlmException.HTTP_ERROR, e.type());
        assertEquals("connector [test] answered HTTP 500: The server had an error", e.getMessage());
    }

    public void testAnErrorThatEchoesTheKeyIsRedacted() {
        reply = new Reply(401, "{\"error\": {\"message\": \"Incorrect API key provided: " + KEY + ".\"}}", 0);
        LlmException e = fails(connector());
        assertEquals("connector [test] answered HTTP 401: Incorrect API key provided: [redacted].", e.getMessage());
    }

    public void testANonJsonErrorBodyIsQuotedShort() {
        reply = new Reply(503, "<html>" + "x".repeat(2000) + "</html>", 0);
        LlmException e = fails(connector());
        assertEquals(LlmException.HTTP_ERROR, e.type());
        assertTrue(e.getMessage(), e.getMessage().startsWith("connector [test] answered HTTP 503: <html>xxx"));
        assertTrue(e.getMessage(), e.getMessage().length() < 600);
    }

    public void testGarbageIsABadResponse() {
        reply = new Reply(200, "this is {not json", 0);
        LlmException e = fails(connector());
        assertEquals(LlmException.BAD_RESPONSE, e.type());
        assertTrue(e.getMessage(), e.getMessage().startsWith("connector [test] answered with a body that is not JSON: "));

        reply = new Reply(200, "{\"object\": \"chat.completion\", \"choices\": []}", 0);
        e = fails(connector());
        assertEquals(LlmException.BAD_RESPONSE, e.type());
        assertTrue(e.getMessage(), e.getMessage().contains("without [choices][0]"));

        reply = new Reply(200, completion("null"), 0);
        e = fails(connector());
        assertEquals("connector [test] answered without text in [choices][0][message][content]", e.getMessage());
    }

    public void testRefusalsAreReported() {
        reply = new Reply(200, """
            {"choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": "I can't help with that."},
              "finish_reason": "stop"}]}""", 0);
        LlmException e = fails(connector());
        assertEquals(LlmException.REFUSAL, e.type());
        assertEquals("connector [test] refused to answer: I can't help with that.", e.getMessage());

        reply = new Reply(200, """
            {"choices": [{"index": 0, "message": {"role": "assistant", "content": ""}, "finish_reason": "content_filter"}]}""", 0);
        e = fails(connector());
        assertEquals(LlmException.REFUSAL, e.type());
    }

    public void testASlowServerTimesOut() {
        // The server holds its answer until released: the failure can only come from the client giving up.
        held = new CountDownLatch(1);
        reply = new Reply(200, completion("\"too late\""), 0);
        try {
            LlmException e = fails(connector(KEY, null, TimeValue.timeValueMillis(300)));
            assertEquals(LlmException.TIMEOUT, e.type());
            assertEquals("connector [test] did not answer within [300ms]", e.getMessage());
            assertEquals("the server was still holding the answer", 1, held.getCount());
        } finally {
            held.countDown();
        }
    }

    public void testRedirectsAreNotFollowed() {
        reply = new Reply(302, "", 0);
        LlmException e = fails(connector());
        assertEquals(LlmException.HTTP_ERROR, e.type());
        assertTrue(e.getMessage(), e.getMessage().startsWith("connector [test] answered HTTP 302"));
    }

    public void testAnOversizedAnswerIsRefused() {
        reply = new Reply(200, completion("\"" + "x".repeat(OpenAiChatClient.MAX_RESPONSE_BYTES) + "\""), 0);
        LlmException e = fails(connector());
        assertEquals(LlmException.BAD_RESPONSE, e.type());
        assertEquals("the connector's answer is larger than [1048576] bytes", e.getMessage());
    }

    public void testAnUnreachableServerIsAConnectionError() throws IOException {
        // A port bound by a socket that does not listen: connections are refused, and no other process can take it.
        try (Socket bound = new Socket()) {
            bound.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            assertUnreachable(bound.getLocalPort());
        }
    }

    private void assertUnreachable(int closedPort) {
        LlmConnector unreachable = new LlmConnector(
            "test",
            URI.create("http://127.0.0.1:" + closedPort + "/v1/chat/completions"),
            "m",
            TimeValue.timeValueSeconds(10),
            10,
            null,
            new SecureString(KEY.toCharArray()),
            null
        );
        LlmException e = fails(unreachable);
        assertEquals(LlmException.CONNECTION, e.type());
        assertTrue(e.getMessage(), e.getMessage().startsWith("cannot connect to connector [test]"));
        assertFalse(e.getMessage().contains(KEY));
    }

    public void testAClosedClientFailsCleanly() {
        client.close();
        reply = new Reply(200, completion("\"ok\""), 0);
        LlmException e = fails(connector());
        assertEquals(LlmException.CONNECTION, e.type());
    }

    public void testRequestBodyIsValidJsonForAnyText() throws IOException {
        ChatPrompt tricky = new ChatPrompt("rules \"quoted\"", "line\nbreak \\ backslash \u0000 nul 中文");
        JsonNode body = JSON.readTree(OpenAiChatClient.requestBody(connector(), tricky));
        assertEquals(List.of("rules \"quoted\"", "line\nbreak \\ backslash \u0000 nul 中文"), List.of(
            body.path("messages").path(0).path("content").asText(),
            body.path("messages").path(1).path("content").asText()
        ));
    }
}
