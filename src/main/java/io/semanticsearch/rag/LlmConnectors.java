package io.semanticsearch.rag;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.settings.SecureString;

import java.net.URI;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The LLM connectors of a node, by name, built from {@link LlmSettings}. Thread-safe: {@link #reload} swaps the
 * whole map, so a request sees either the old or the new keys, never a mix.
 */
public final class LlmConnectors {

    private static final Logger logger = LogManager.getLogger(LlmConnectors.class);

    private volatile Map<String, LlmConnector> connectors;

    private LlmConnectors(Map<String, LlmConnector> connectors) {
        this.connectors = connectors;
    }

    /**
     * Reads every connector from {@code settings}, which must still hold the keystore (node construction or
     * {@code reload}). Connectors that cannot be used are kept with their reason and logged once.
     */
    public static LlmConnectors load(Settings settings) {
        LlmConnectors loaded = new LlmConnectors(read(settings));
        for (LlmConnector connector : loaded.connectors.values()) {
            if (connector.unusableReason() != null) {
                logger.warn("LLM connector [{}] cannot be used: {}", connector.name(), connector.unusableReason());
            }
        }
        return loaded;
    }

    /** Re-reads the connectors, new API keys included, from the settings {@code _nodes/reload_secure_settings} passes. */
    public void reload(Settings settings) {
        connectors = read(settings);
    }

    /**
     * The usable connector called {@code name}.
     *
     * @throws IllegalArgumentException naming {@code [generator]} when there is no such connector or it cannot be used
     */
    public LlmConnector get(String name) {
        Map<String, LlmConnector> current = connectors;
        LlmConnector connector = current.get(name);
        if (connector == null) {
            throw new IllegalArgumentException(
                "[generator] must be [" + ExtractiveAnswerer.NAME + "] or a configured LLM connector, got [" + name + "]; configured connectors: "
                    + current.keySet()
            );
        }
        if (connector.unusableReason() != null) {
            throw new IllegalArgumentException("[generator] connector [" + name + "] cannot be used: " + connector.unusableReason());
        }
        return connector;
    }

    public Set<String> names() {
        return connectors.keySet();
    }

    private static Map<String, LlmConnector> read(Settings settings) {
        Set<String> names = new TreeSet<>();
        names.addAll(LlmSettings.ENDPOINT.getNamespaces(settings));
        names.addAll(LlmSettings.MODEL.getNamespaces(settings));
        names.addAll(LlmSettings.TIMEOUT.getNamespaces(settings));
        names.addAll(LlmSettings.MAX_TOKENS.getNamespaces(settings));
        names.addAll(LlmSettings.TEMPERATURE.getNamespaces(settings));
        names.addAll(LlmSettings.API_KEY.getNamespaces(settings));
        List<Pattern> allowed = LlmSettings.ALLOWED_ENDPOINTS.get(settings);
        Map<String, LlmConnector> connectors = new TreeMap<>();
        for (String name : names) {
            connectors.put(name, read(name, settings, allowed));
        }
        return Collections.unmodifiableMap(connectors);
    }

    private static LlmConnector read(String name, Settings settings, List<Pattern> allowed) {
        String endpointKey = LlmSettings.ENDPOINT.getConcreteSettingForNamespace(name).getKey();
        String endpointValue = LlmSettings.ENDPOINT.getConcreteSettingForNamespace(name).get(settings);
        URI endpoint = LlmSettings.parseEndpoint(endpointKey, endpointValue);
        String model = LlmSettings.MODEL.getConcreteSettingForNamespace(name).get(settings);
        var temperatureSetting = LlmSettings.TEMPERATURE.getConcreteSettingForNamespace(name);
        Double temperature = temperatureSetting.exists(settings) ? temperatureSetting.get(settings) : null;
        var keySetting = LlmSettings.API_KEY.getConcreteSettingForNamespace(name);
        // The keystore closes after node construction: keep a copy of the key.
        SecureString apiKey = keySetting.exists(settings) ? keySetting.get(settings).clone() : null;
        return new LlmConnector(
            name,
            endpoint,
            model,
            LlmSettings.TIMEOUT.getConcreteSettingForNamespace(name).get(settings),
            LlmSettings.MAX_TOKENS.getConcreteSettingForNamespace(name).get(settings),
            temperature,
            apiKey,
            unusableReason(name, endpoint, endpointKey, model, allowed)
        );
    }

    private static String unusableReason(String name, URI endpoint, String endpointKey, String model, List<Pattern> allowed) {
        if (ExtractiveAnswerer.NAME.equals(name)) {
            return "the name [" + ExtractiveAnswerer.NAME + "] belongs to the built-in extractive answerer; rename the connector";
        }
        if (endpoint == null) {
            return "[" + endpointKey + "] is not set";
        }
        if (model.isEmpty()) {
            return "[" + LlmSettings.MODEL.getConcreteSettingForNamespace(name).getKey() + "] is not set";
        }
        String url = endpoint.toString();
        for (Pattern pattern : allowed) {
            if (pattern.matcher(url).matches()) {
                return null;
            }
        }
        return "its endpoint [" + url + "] matches none of [" + LlmSettings.ALLOWED_ENDPOINTS.getKey() + "] " + allowed
            + "; add a regular expression matching it there (an empty list allows no endpoint)";
    }
}
