package io.semanticsearch.rag;

import org.opensearch.common.settings.MockSecureSettings;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.test.OpenSearchTestCase;

import java.util.Set;

public class LlmConnectorsTests extends OpenSearchTestCase {

    private static final String KEY = "sk-test-0123456789abcdef";

    private static Settings.Builder gpt() {
        MockSecureSettings secure = new MockSecureSettings();
        secure.setString("plugins.semantic.llm.gpt.api_key", KEY);
        return gpt(secure);
    }

    private static Settings.Builder gpt(MockSecureSettings secure) {
        return Settings.builder()
            .put("plugins.semantic.llm.gpt.endpoint", "https://api.example.com/v1/chat/completions")
            .put("plugins.semantic.llm.gpt.model", "gpt-4o-mini")
            .putList("plugins.semantic.llm.allowed_endpoints", "https://api\\.example\\.com/.*")
            .setSecureSettings(secure);
    }

    public void testAConnectorFromItsSettings() {
        Settings settings = gpt().put("plugins.semantic.llm.gpt.timeout", "5s")
            .put("plugins.semantic.llm.gpt.max_tokens", 100)
            .put("plugins.semantic.llm.gpt.temperature", 0.3)
            .build();
        LlmConnector gpt = LlmConnectors.load(settings).get("gpt");
        assertEquals("gpt", gpt.name());
        assertEquals("https://api.example.com/v1/chat/completions", gpt.endpoint().toString());
        assertEquals("gpt-4o-mini", gpt.model());
        assertEquals(TimeValue.timeValueSeconds(5), gpt.timeout());
        assertEquals(100, gpt.maxTokens());
        assertEquals(0.3, gpt.temperature(), 0);
        assertEquals(KEY, gpt.apiKey().toString());
        assertNull(gpt.unusableReason());
    }

    public void testDefaults() {
        MockSecureSettings noKey = new MockSecureSettings();
        LlmConnector gpt = LlmConnectors.load(gpt(noKey).build()).get("gpt");
        assertEquals(TimeValue.timeValueSeconds(30), gpt.timeout());
        assertEquals(512, gpt.maxTokens());
        assertNull("temperature is sent only when set", gpt.temperature());
        assertNull(gpt.apiKey());
    }

    public void testTheKeyIsNeverPrintedAndIsRedactedFromMessages() {
        LlmConnector gpt = LlmConnectors.load(gpt().build()).get("gpt");
        assertFalse(gpt.toString(), gpt.toString().contains(KEY));
        assertEquals("Incorrect API key provided: [redacted].", gpt.redact("Incorrect API key provided: " + KEY + "."));
    }

    public void testAnEndpointOutsideTheAllowListIsUnusable() {
        LlmConnectors connectors = LlmConnectors.load(gpt().putList("plugins.semantic.llm.allowed_endpoints", "http://127\\.0\\.0\\.1:.*").build());
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> connectors.get("gpt"));
        assertEquals(
            "[generator] connector [gpt] cannot be used: its endpoint [https://api.example.com/v1/chat/completions] matches none of "
                + "[plugins.semantic.llm.allowed_endpoints] [http://127\\.0\\.0\\.1:.*]; add a regular expression matching it there "
                + "(an empty list allows no endpoint)",
            e.getMessage()
        );
    }

    public void testTheAllowListMustMatchTheWholeEndpoint() {
        // "https://api.example.com.evil.net/..." contains the allowed host but is not it.
        Settings settings = gpt().put("plugins.semantic.llm.gpt.endpoint", "https://api.example.com.evil.net/v1/chat/completions")
            .putList("plugins.semantic.llm.allowed_endpoints", "https://api\\.example\\.com")
            .build();
        expectThrows(IllegalArgumentException.class, () -> LlmConnectors.load(settings).get("gpt"));
    }

    public void testAnEmptyAllowListAllowsNothing() {
        Settings settings = gpt().putList("plugins.semantic.llm.allowed_endpoints").build();
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> LlmConnectors.load(settings).get("gpt"));
        assertTrue(e.getMessage(), e.getMessage().contains("matches none of [plugins.semantic.llm.allowed_endpoints] []"));
    }

    public void testIncompleteConnectorsAreUnusable() {
        Settings noModel = Settings.builder()
            .put("plugins.semantic.llm.a.endpoint", "https://api.example.com/v1/chat/completions")
            .put("plugins.semantic.llm.b.model", "m")
            .put("plugins.semantic.llm.extractive.endpoint", "https://api.example.com/v1/chat/completions")
            .put("plugins.semantic.llm.extractive.model", "m")
            .putList("plugins.semantic.llm.allowed_endpoints", ".*")
            .build();
        LlmConnectors connectors = LlmConnectors.load(noModel);
        assertEquals(Set.of("a", "b", "extractive"), connectors.names());
        assertEquals(
            "[generator] connector [a] cannot be used: [plugins.semantic.llm.a.model] is not set",
            expectThrows(IllegalArgumentException.class, () -> connectors.get("a")).getMessage()
        );
        assertEquals(
            "[generator] connector [b] cannot be used: [plugins.semantic.llm.b.endpoint] is not set",
            expectThrows(IllegalArgumentException.class, () -> connectors.get("b")).getMessage()
        );
        assertTrue(expectThrows(IllegalArgumentException.class, () -> connectors.get("extractive")).getMessage().contains("built-in"));
    }

    public void testUnknownConnectorListsTheConfiguredOnes() {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> LlmConnectors.load(gpt().build()).get("claude"));
        assertEquals("[generator] must be [extractive] or a configured LLM connector, got [claude]; configured connectors: [gpt]", e.getMessage());
    }

    public void testBadSettingsFailFast() {
        IllegalArgumentException e = expectThrows(
            IllegalArgumentException.class,
            () -> LlmConnectors.load(gpt().put("plugins.semantic.llm.gpt.endpoint", "ftp://example.com/x").build())
        );
        assertEquals("[plugins.semantic.llm.gpt.endpoint] must be an http or https URL with a host, got [ftp://example.com/x]", e.getMessage());
        e = expectThrows(
            IllegalArgumentException.class,
            () -> LlmConnectors.load(gpt().put("plugins.semantic.llm.gpt.endpoint", "https://user:pw@example.com/x").build())
        );
        assertTrue(e.getMessage(), e.getMessage().contains("must not carry credentials"));
        e = expectThrows(
            IllegalArgumentException.class,
            () -> LlmConnectors.load(gpt().putList("plugins.semantic.llm.allowed_endpoints", "https://(unclosed").build())
        );
        assertTrue(e.getMessage(), e.getMessage().contains("[plugins.semantic.llm.allowed_endpoints] holds an invalid regular expression"));
    }

    public void testReloadTakesNewKeys() {
        LlmConnectors connectors = LlmConnectors.load(gpt().build());
        MockSecureSettings rotated = new MockSecureSettings();
        rotated.setString("plugins.semantic.llm.gpt.api_key", "sk-rotated");
        connectors.reload(gpt(rotated).build());
        assertEquals("sk-rotated", connectors.get("gpt").apiKey().toString());
    }

    public void testAffixSettingsAreNamedAsDocumented() {
        assertEquals("plugins.semantic.llm.x.endpoint", LlmSettings.ENDPOINT.getConcreteSettingForNamespace("x").getKey());
        assertEquals("plugins.semantic.llm.x.api_key", LlmSettings.API_KEY.getConcreteSettingForNamespace("x").getKey());
    }
}
