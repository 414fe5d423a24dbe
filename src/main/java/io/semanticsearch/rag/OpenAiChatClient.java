package io.semanticsearch.rag;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.semanticsearch.PluginVersion;
import io.semanticsearch.rag.PromptBuilder.ChatPrompt;

import org.opensearch.core.action.ActionListener;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends a prompt to an OpenAI-compatible {@code /v1/chat/completions} endpoint and maps the reply to an answer or
 * an {@link LlmException}. Calls run on the JDK HTTP client's asynchronous API with a small executor of its own,
 * never on a transport or search thread; each call is bounded by its connector's timeout, connecting included.
 * Redirects are not followed (an allowed endpoint must not lead elsewhere) and replies over 1 MiB are refused.
 * Thread-safe; one per node.
 */
public final class OpenAiChatClient implements Closeable {

    static final int MAX_RESPONSE_BYTES = 1 << 20;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    // Long enough for a useful message from the server, short enough for a response or a log line.
    private static final int MAX_REASON_CHARS = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    // Runs the HTTP client's callbacks and the timeouts; its threads die with close(), unlike the JDK's shared timer.
    private final ScheduledExecutorService executor;
    // Built on first use: a node that never calls an LLM keeps no selector thread for it.
    private HttpClient http;
    private boolean closed;

    public OpenAiChatClient() {
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newScheduledThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "opensearch-semantic-llm-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    private synchronized HttpClient http() {
        if (closed) {
            throw new RejectedExecutionException("the LLM client is closed");
        }
        if (http == null) {
            http = HttpClient.newBuilder()
                .executor(executor)
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        }
        return http;
    }

    /**
     * Asks {@code connector} for an answer to {@code prompt}. The listener gets the answer's text, or an
     * {@link LlmException} for every kind of failure.
     */
    public void complete(LlmConnector connector, ChatPrompt prompt, ActionListener<String> listener) {
        HttpRequest.Builder request = HttpRequest.newBuilder(connector.endpoint())
            .timeout(Duration.ofMillis(connector.timeout().millis()))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .header("User-Agent", "opensearch-semantic/" + PluginVersion.CURRENT)
            .POST(HttpRequest.BodyPublishers.ofByteArray(requestBody(connector, prompt)));
        if (connector.apiKey() != null && connector.apiKey().length() > 0) {
            request.header("Authorization", "Bearer " + connector.apiKey());
        }
        // Sending from our own thread keeps the caller's stack (transport threads, other plugins' frames) out of the
        // security agent's connect check, which looks at every frame.
        Runnable send = () -> {
            CompletableFuture<HttpResponse<byte[]>> sent;
            ScheduledFuture<?> timer;
            // The request timeout only covers the wait for the headers; this timer covers the body too, and
            // cancelling the future aborts the exchange.
            AtomicBoolean timedOut = new AtomicBoolean();
            try {
                sent = http().sendAsync(request.build(), info -> new CappedBody(MAX_RESPONSE_BYTES));
                timer = executor.schedule(() -> {
                    timedOut.set(true);
                    sent.cancel(true);
                }, connector.timeout().millis(), TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                listener.onFailure(failure(connector, e));
                return;
            }
            // Async on our executor: the HTTP client may complete the future on the JDK's common pool.
            sent.whenCompleteAsync((response, failure) -> {
                timer.cancel(false);
                if (failure != null) {
                    listener.onFailure(timedOut.get() ? timeout(connector) : failure(connector, failure));
                    return;
                }
                String answer;
                try {
                    answer = answer(connector, response.statusCode(), response.body());
                } catch (LlmException e) {
                    listener.onFailure(e);
                    return;
                }
                listener.onResponse(answer);
            }, executor);
        };
        try {
            executor.execute(send);
        } catch (RejectedExecutionException e) {
            listener.onFailure(new LlmException(LlmException.CONNECTION, "connector [" + connector.name() + "] is closed: the node is stopping"));
        }
    }

    /** The chat completions request: a system and a user message, not streamed. */
    static byte[] requestBody(LlmConnector connector, ChatPrompt prompt) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", connector.model());
        var messages = body.putArray("messages");
        messages.addObject().put("role", "system").put("content", prompt.system());
        messages.addObject().put("role", "user").put("content", prompt.user());
        body.put("max_tokens", connector.maxTokens());
        if (connector.temperature() != null) {
            body.put("temperature", connector.temperature());
        }
        body.put("stream", false);
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a chat request", e);
        }
    }

    /** The text of a chat completion, or why there is none. */
    static String answer(LlmConnector connector, int status, byte[] body) {
        String name = connector.name();
        if (status < 200 || status >= 300) {
            throw error(connector, LlmException.HTTP_ERROR, "connector [" + name + "] answered HTTP " + status + ": " + serverMessage(body));
        }
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (IOException e) {
            String what = e instanceof JsonProcessingException p ? p.getOriginalMessage() : e.getMessage();
            throw error(connector, LlmException.BAD_RESPONSE, "connector [" + name + "] answered with a body that is not JSON: " + what);
        }
        JsonNode choice = json == null ? null : json.path("choices").path(0);
        if (choice == null || choice.isObject() == false) {
            throw error(connector, LlmException.BAD_RESPONSE, "connector [" + name + "] answered without [choices][0]: " + snippet(body));
        }
        JsonNode message = choice.path("message");
        if (message.path("refusal").isTextual() && message.path("refusal").asText().isBlank() == false) {
            throw error(connector, LlmException.REFUSAL, "connector [" + name + "] refused to answer: " + message.path("refusal").asText());
        }
        if ("content_filter".equals(choice.path("finish_reason").asText())) {
            throw error(connector, LlmException.REFUSAL, "connector [" + name + "] withheld the answer: its content filter stopped it");
        }
        JsonNode content = message.path("content");
        if (content.isTextual() == false || content.asText().isBlank()) {
            throw error(connector, LlmException.BAD_RESPONSE, "connector [" + name + "] answered without text in [choices][0][message][content]");
        }
        return content.asText().strip();
    }

    private static LlmException failure(LlmConnector connector, Throwable failure) {
        String name = connector.name();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof LlmException e) {
                return e;
            }
        }
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof HttpTimeoutException) {
            return timeout(connector);
        }
        if (cause instanceof ConnectException) {
            return error(connector, LlmException.CONNECTION, "cannot connect to connector [" + name + "]: " + cause);
        }
        return error(connector, LlmException.CONNECTION, "connector [" + name + "] failed: " + cause);
    }

    private static LlmException timeout(LlmConnector connector) {
        return new LlmException(LlmException.TIMEOUT, "connector [" + connector.name() + "] did not answer within [" + connector.timeout() + "]");
    }

    private static LlmException error(LlmConnector connector, String type, String reason) {
        String redacted = connector.redact(reason);
        if (redacted.length() > MAX_REASON_CHARS) {
            redacted = redacted.substring(0, MAX_REASON_CHARS) + " [...]";
        }
        return new LlmException(type, redacted);
    }

    /** What an error body says: OpenAI's {@code error.message}, another common field, or the start of the body. */
    private static String serverMessage(byte[] body) {
        try {
            JsonNode json = JSON.readTree(body);
            if (json != null) {
                for (JsonNode candidate : List.of(json.path("error").path("message"), json.path("error"), json.path("message"), json.path("detail"))) {
                    if (candidate.isTextual() && candidate.asText().isBlank() == false) {
                        return candidate.asText();
                    }
                }
            }
        } catch (IOException notJson) {
            // fall through to the raw body
        }
        return snippet(body);
    }

    private static String snippet(byte[] body) {
        String text = new String(body, 0, Math.min(body.length, MAX_REASON_CHARS), StandardCharsets.UTF_8).strip();
        return text.isEmpty() ? "(empty body)" : text;
    }

    @Override
    public void close() {
        HttpClient client;
        synchronized (this) {
            closed = true;
            client = http;
        }
        executor.shutdownNow();
        try {
            if (client != null) {
                client.shutdownNow();
                client.awaitTermination(Duration.ofSeconds(5));
            }
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Collects a reply's body up to a limit, so that a runaway server cannot fill the heap. */
    private static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int limit;
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private Flow.Subscription subscription;

        CappedBody(int limit) {
            this.limit = limit;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            for (ByteBuffer buffer : buffers) {
                if (body.isDone()) {
                    return;
                }
                if (bytes.size() + buffer.remaining() > limit) {
                    subscription.cancel();
                    body.completeExceptionally(
                        new LlmException(LlmException.BAD_RESPONSE, "the connector's answer is larger than [" + limit + "] bytes")
                    );
                    return;
                }
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable throwable) {
            body.completeExceptionally(throwable);
        }

        @Override
        public void onComplete() {
            body.complete(bytes.toByteArray());
        }
    }
}
