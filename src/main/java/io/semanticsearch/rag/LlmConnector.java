package io.semanticsearch.rag;

import org.opensearch.common.unit.TimeValue;
import org.opensearch.core.common.settings.SecureString;

import java.net.URI;

/**
 * One configured LLM connector, {@code plugins.semantic.llm.<name>.*}: where to send a prompt and how. A connector
 * whose settings are incomplete or whose endpoint is not allowed is kept with the reason it cannot be used, so that
 * a request naming it is told why. Immutable; {@link #toString()} never shows the API key.
 */
public final class LlmConnector {

    private final String name;
    private final URI endpoint;
    private final String model;
    private final TimeValue timeout;
    private final int maxTokens;
    private final Double temperature;
    private final SecureString apiKey;
    private final String unusableReason;

    LlmConnector(
        String name,
        URI endpoint,
        String model,
        TimeValue timeout,
        int maxTokens,
        Double temperature,
        SecureString apiKey,
        String unusableReason
    ) {
        this.name = name;
        this.endpoint = endpoint;
        this.model = model;
        this.timeout = timeout;
        this.maxTokens = maxTokens;
        this.temperature = temperature;
        this.apiKey = apiKey;
        this.unusableReason = unusableReason;
    }

    public String name() {
        return name;
    }

    public URI endpoint() {
        return endpoint;
    }

    public String model() {
        return model;
    }

    public TimeValue timeout() {
        return timeout;
    }

    public int maxTokens() {
        return maxTokens;
    }

    /** The temperature to send, or null to leave the model's default. */
    public Double temperature() {
        return temperature;
    }

    /** The key to send as a bearer token, or null when the keystore has none (e.g. a local server). */
    SecureString apiKey() {
        return apiKey;
    }

    /** Why this connector cannot be used, or null when it can. */
    public String unusableReason() {
        return unusableReason;
    }

    /** {@code text} with every occurrence of the API key replaced, for messages that quote what a server said. */
    String redact(String text) {
        if (text == null || apiKey == null || apiKey.length() == 0) {
            return text;
        }
        return text.replace(apiKey.toString(), "[redacted]");
    }

    @Override
    public String toString() {
        return "LlmConnector[" + name + ", model=" + model + ", host=" + (endpoint == null ? null : endpoint.getHost()) + "]";
    }
}
