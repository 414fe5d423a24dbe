package io.semanticsearch.rag;

import org.opensearch.common.settings.SecureSetting;
import org.opensearch.common.settings.Setting;
import org.opensearch.common.settings.Setting.AffixSetting;
import org.opensearch.common.settings.Setting.Property;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.core.common.settings.SecureString;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The node settings of the LLM connectors, {@code plugins.semantic.llm.<name>.*}, one group per connector name. All
 * are static node settings, read from {@code opensearch.yml} and the keystore: a connector can reach out of the
 * cluster, so only whoever controls the node's files may configure one.
 */
public final class LlmSettings {

    public static final String PREFIX = "plugins.semantic.llm.";

    /** The full URL of an OpenAI-compatible chat completions API, e.g. {@code https://api.openai.com/v1/chat/completions}. */
    public static final AffixSetting<String> ENDPOINT = Setting.affixKeySetting(
        PREFIX,
        "endpoint",
        key -> Setting.simpleString(key, value -> parseEndpoint(key, value), Property.NodeScope)
    );

    /** The model name the API expects, e.g. {@code gpt-4o-mini}. */
    public static final AffixSetting<String> MODEL = Setting.affixKeySetting(
        PREFIX,
        "model",
        key -> Setting.simpleString(key, Property.NodeScope)
    );

    /** The most one answer may take, connecting included; beyond it the answer is an {@code llm_timeout} error. */
    public static final AffixSetting<TimeValue> TIMEOUT = Setting.affixKeySetting(
        PREFIX,
        "timeout",
        key -> Setting.positiveTimeSetting(key, TimeValue.timeValueSeconds(30), Property.NodeScope)
    );

    /** The most tokens the model may write, which bounds the cost and the time of one answer. */
    public static final AffixSetting<Integer> MAX_TOKENS = Setting.affixKeySetting(
        PREFIX,
        "max_tokens",
        key -> Setting.intSetting(key, 512, 1, 1_000_000, Property.NodeScope)
    );

    /** Sent only when set: some models accept no temperature other than their default. */
    public static final AffixSetting<Double> TEMPERATURE = Setting.affixKeySetting(
        PREFIX,
        "temperature",
        key -> Setting.doubleSetting(key, 0.0, 0.0, 2.0, Property.NodeScope)
    );

    /** Sent as {@code Authorization: Bearer <key>}; kept in the keystore, reloadable with {@code _nodes/reload_secure_settings}. */
    public static final AffixSetting<SecureString> API_KEY = Setting.affixKeySetting(
        PREFIX,
        "api_key",
        key -> SecureSetting.secureString(key, null)
    );

    /**
     * Regular expressions an endpoint must match as a whole before a connector may call it; empty (the default)
     * allows none. This keeps a node from being turned into a proxy towards internal addresses (SSRF) by a
     * mistyped or malicious endpoint.
     */
    public static final Setting<List<Pattern>> ALLOWED_ENDPOINTS = Setting.listSetting(
        PREFIX + "allowed_endpoints",
        List.of(),
        LlmSettings::compileAllowed,
        Property.NodeScope
    );

    private LlmSettings() {}

    public static List<Setting<?>> all() {
        return List.of(ENDPOINT, MODEL, TIMEOUT, MAX_TOKENS, TEMPERATURE, API_KEY, ALLOWED_ENDPOINTS);
    }

    static URI parseEndpoint(String key, String value) {
        if (value.isEmpty()) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("[" + key + "] must be an http or https URL, got [" + value + "]: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if ((scheme.equals("http") || scheme.equals("https")) == false || uri.getHost() == null) {
            throw new IllegalArgumentException("[" + key + "] must be an http or https URL with a host, got [" + value + "]");
        }
        if (uri.getRawUserInfo() != null) {
            // Credentials belong in the keystore, where they are neither printed by _nodes/settings nor logged.
            throw new IllegalArgumentException("[" + key + "] must not carry credentials; put the key in [" + PREFIX + "<name>.api_key]");
        }
        return uri;
    }

    private static Pattern compileAllowed(String regex) {
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(
                "[" + PREFIX + "allowed_endpoints] holds an invalid regular expression [" + regex + "]: " + e.getDescription()
            );
        }
    }
}
