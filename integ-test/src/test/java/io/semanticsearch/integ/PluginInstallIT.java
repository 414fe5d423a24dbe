package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** The plugin zip this build produced installs into a real node, which loads it and serves its endpoint. */
public class PluginInstallIT {

    private static LocalNode node;

    @BeforeClass
    public static void startNode() throws Exception {
        node = LocalNode.builder("plugin-install").plugin(LocalNode.pluginZip()).start();
    }

    @AfterClass
    public static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    public void installerReportsThePlugin() {
        assertTrue(node.installLog(), node.installLog().contains("Installed opensearch-semantic"));
    }

    @Test
    public void nodeListsThePlugin() {
        LocalNode.Response plugins = node.get("/_cat/plugins?format=json");
        assertEquals(plugins.toString(), 200, plugins.status());
        boolean listed = false;
        for (JsonNode plugin : plugins.json()) {
            listed |= plugin.path("component").asText().equals("opensearch-semantic")
                && plugin.path("version").asText().equals(System.getProperty("plugin.version"));
        }
        assertTrue("not in _cat/plugins: " + plugins.body(), listed);
        assertTrue(node.serverLog().contains("loaded plugin [opensearch-semantic]"));
    }

    @Test
    public void pluginInfoEndpointAnswers() {
        LocalNode.Response info = node.get("/_plugins/_semantic");
        assertEquals(info.toString(), 200, info.status());
        JsonNode body = info.json();
        assertEquals("opensearch-semantic", body.path("plugin").asText());
        assertEquals(System.getProperty("plugin.version"), body.path("version").asText());
        assertEquals(System.getProperty("opensearch.version"), body.path("opensearch_version").asText());
        assertTrue(body.toString(), body.path("models").isArray());
    }
}
