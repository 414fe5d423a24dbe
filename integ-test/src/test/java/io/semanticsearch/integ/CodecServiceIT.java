package io.semanticsearch.integ;

import com.fasterxml.jackson.databind.JsonNode;

import io.semanticsearch.integ.othercodec.OtherCodecPlugin;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.jar.JarOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * Our codec service beside another plugin's (a test plugin that supplies one for indices with
 * {@code index.other_codec.enabled}): OpenSearch takes one codec service per index, so the node names that setting
 * in {@code plugins.semantic.codec.yield_to} and ours steps aside wherever it is true; the other plugin's indices are
 * created as without us, {@code semantic_vector} and {@code semantic_text} fields still work in them with Lucene's
 * default vectors format, and options that need our codec are refused with a message that says so. An index can
 * also opt out alone ({@code index.semantic.codec: false}); our own indices keep everything.
 */
public class CodecServiceIT {

    private static LocalNode node;

    @BeforeClass
    public static void startNode() throws Exception {
        node = LocalNode.builder("codec-service")
            .plugin(LocalNode.pluginZip())
            .plugin(otherCodecZip())
            .setting("plugins.semantic.codec.yield_to", "[index.other_codec.enabled]")
            .start();
    }

    @AfterClass
    public static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    /** The test plugin as a zip OpenSearch installs: its class in a jar, and a descriptor. */
    private static Path otherCodecZip() throws IOException, URISyntaxException {
        Path classes = Paths.get(OtherCodecPlugin.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String classFile = OtherCodecPlugin.class.getName().replace('.', '/') + ".class";
        Path zip = LocalNode.integDir().resolve("other-codec.zip");
        Files.createDirectories(zip.getParent());
        try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream plugin = new ZipOutputStream(out)) {
            plugin.putNextEntry(new ZipEntry("plugin-descriptor.properties"));
            plugin.write(("description=a test plugin with a codec service\nversion=1.0\nname=other-codec\n"
                + "classname=" + OtherCodecPlugin.class.getName() + "\njava.version=21\nopensearch.version=" + opensearchVersion() + "\n")
                .getBytes(StandardCharsets.UTF_8));
            plugin.closeEntry();
            plugin.putNextEntry(new ZipEntry("other-codec.jar"));
            JarOutputStream jar = new JarOutputStream(plugin);
            jar.putNextEntry(new ZipEntry(classFile));
            jar.write(Files.readAllBytes(classes.resolve(classFile)));
            jar.closeEntry();
            jar.finish();
            plugin.closeEntry();
        }
        return zip;
    }

    private static String opensearchVersion() {
        return System.getProperty("opensearch.version", "3.6.0");
    }

    @Test
    public void theOtherPluginsIndicesAreCreatedAndSemanticFieldsWorkInThem() {
        assertEquals(200, node.put("/only-theirs", "{\"settings\": {\"index.other_codec.enabled\": true}}").status());
        for (String index : new String[] { "theirs", "opted-out" }) {
            String settings = index.equals("theirs") ? "\"index.other_codec.enabled\": true" : "\"index.semantic.codec\": false";
            LocalNode.Response created = node.put("/" + index, "{\"settings\": {" + settings + ", \"number_of_replicas\": 0}, "
                + "\"mappings\": {\"properties\": {\"body\": {\"type\": \"semantic_text\"}, "
                + "\"v\": {\"type\": \"semantic_vector\", \"dims\": 2, \"similarity\": \"l2_norm\"}}}}");
            assertEquals(created.toString(), 200, created.status());
            JsonNode bulk = node.post("/" + index + "/_bulk?refresh=true", "{\"index\": {\"_id\": \"1\"}}\n{\"body\": \"rsync copies files over ssh.\", \"v\": [1, 1]}\n"
                + "{\"index\": {\"_id\": \"2\"}}\n{\"body\": \"Logrotate rotates system logs.\", \"v\": [5, 5]}\n").json();
            assertFalse(bulk.toString(), bulk.path("errors").asBoolean());
            JsonNode byText = node.post("/" + index + "/_search", "{\"query\": {\"semantic\": {\"field\": \"body\", \"query\": \"copy files to another machine\"}}}").json();
            assertEquals(byText.toString(), "1", byText.path("hits").path("hits").path(0).path("_id").asText());
            JsonNode byVector = node.post("/" + index + "/_search", "{\"query\": {\"semantic\": {\"field\": \"v\", \"vector\": [4.5, 5], \"k\": 1}}}").json();
            assertEquals(byVector.toString(), "2", byVector.path("hits").path("hits").path(0).path("_id").asText());

            LocalNode.Response quantized = node.put("/" + index + "-quantized", "{\"settings\": {" + settings + "}, "
                + "\"mappings\": {\"properties\": {\"v\": {\"type\": \"semantic_vector\", \"dims\": 2, \"index_options\": {\"type\": \"int8_hnsw\"}}}}}");
            assertEquals(quantized.toString(), 400, quantized.status());
            assertTrue(quantized.body(), quantized.body().contains("[index_options] need this plugin's codec"));
        }
    }

    @Test
    public void ourOwnIndicesKeepTheirVectorFormats() {
        // The int8 format writes its quantized vectors into .veq files, which plain HNSW never has: the segment files
        // on disk say which format the field got.
        for (String type : new String[] { "int8_hnsw", "hnsw" }) {
            String index = "only-ours-" + type.replace('_', '-');
            LocalNode.Response created = node.put("/" + index, "{\"settings\": {\"number_of_shards\": 1, \"number_of_replicas\": 0}, "
                + "\"mappings\": {\"properties\": {\"v\": {\"type\": \"semantic_vector\", \"dims\": 2, "
                + "\"index_options\": {\"type\": \"" + type + "\"}}}}}");
            assertEquals(created.toString(), 200, created.status());
            StringBuilder bulk = new StringBuilder();
            for (int i = 1; i <= 20; i++) {
                bulk.append("{\"index\": {}}\n{\"v\": [").append(i).append(", ").append(21 - i).append("]}\n");
            }
            JsonNode indexed = node.post("/" + index + "/_bulk?refresh=true", bulk.toString()).json();
            assertFalse(indexed.toString(), indexed.path("errors").asBoolean());
            assertEquals(200, node.post("/" + index + "/_flush", "").status());
            JsonNode files = node.get("/" + index + "/_stats/segments?include_segment_file_sizes=true").json()
                .path("indices").path(index).path("primaries").path("segments").path("file_sizes");
            assertTrue(type + " " + files, files.has("vec"));
            assertEquals(type + " " + files, type.equals("int8_hnsw"), files.has("veq"));
        }
    }
}
