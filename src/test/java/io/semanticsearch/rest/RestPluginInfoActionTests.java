package io.semanticsearch.rest;

import io.semanticsearch.PluginVersion;
import io.semanticsearch.embed.ClusterModelsAction;
import io.semanticsearch.embed.ModelFixtures;
import io.semanticsearch.embed.ModelRegistry;

import org.apache.lucene.tests.util.LuceneTestCase.SuppressFileSystems;
import org.opensearch.Version;
import org.opensearch.action.ActionRequest;
import org.opensearch.action.ActionType;
import org.opensearch.cluster.ClusterName;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.RestHandler;
import org.opensearch.test.OpenSearchTestCase;
import org.opensearch.test.client.NoOpNodeClient;
import org.opensearch.test.rest.FakeRestChannel;
import org.opensearch.test.rest.FakeRestRequest;
import org.opensearch.transport.client.node.NodeClient;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The info and models endpoints describe the registry, loaded and failed folders alike. */
@SuppressFileSystems("ExtrasFS") // extra folders in a model root would be listed as failed models
public class RestPluginInfoActionTests extends OpenSearchTestCase {

    private static ModelRegistry registry;

    @Override
    public void setUp() throws Exception {
        super.setUp();
        if (registry == null) {
            Path root = createTempDir();
            ModelFixtures.modelFolder(root.resolve("minilm"), ModelFixtures.MINILM);
            java.nio.file.Files.createDirectories(root.resolve("empty-folder"));
            registry = ModelRegistry.load(List.of(new ModelRegistry.Root(root, ModelRegistry.Source.CUSTOM)), 1);
        }
    }

    @org.junit.AfterClass
    public static void closeRegistry() {
        if (registry != null) {
            registry.close();
            registry = null;
        }
    }

    /** A client that answers the plugin's info and models actions as a one-node cluster would. */
    private NodeClient client() {
        String fingerprint = registry.get(ModelFixtures.MINILM).fingerprint();
        return new NoOpNodeClient(getTestName()) {
            @Override
            @SuppressWarnings("unchecked")
            public <Request extends ActionRequest, Response extends ActionResponse> void doExecute(
                ActionType<Response> action,
                Request request,
                ActionListener<Response> listener
            ) {
                if (action == PluginInfoAction.INSTANCE) {
                    listener.onResponse((Response) PluginInfoAction.Response.INSTANCE);
                    return;
                }
                assertSame(ClusterModelsAction.INSTANCE, action);
                DiscoveryNode node = new DiscoveryNode("n1", "n1", buildNewFakeTransportAddress(), Map.of(), Set.of(), Version.CURRENT);
                ClusterModelsAction.Model minilm = new ClusterModelsAction.Model(ModelFixtures.MINILM, true, 384, fingerprint);
                listener.onResponse((Response) new ClusterModelsAction.Response(
                    new ClusterName("test"),
                    List.of(new ClusterModelsAction.NodeResponse(node, List.of(minilm))),
                    List.of()
                ));
            }
        };
    }

    public void testInfoReportsVersionsAndModels() throws Exception {
        Map<String, Object> body;
        try (NodeClient client = client()) {
            body = call(new RestPluginInfoAction(registry), "/_plugins/_semantic", client);
        }
        assertEquals("opensearch-semantic", body.get("plugin"));
        assertEquals(PluginVersion.CURRENT, body.get("version"));
        assertEquals(Version.CURRENT.toString(), body.get("opensearch_version"));
        assertEquals(ModelFixtures.MINILM, body.get("default_model"));
        assertEquals(2, ((List<?>) body.get("models")).size());
    }

    @SuppressWarnings("unchecked")
    public void testModelsListsLoadedAndFailedFoldersAndTheClusterView() throws Exception {
        String fingerprint = registry.get(ModelFixtures.MINILM).fingerprint();
        Map<String, Object> body;
        try (NodeClient client = client()) {
            body = call(new RestModelsAction(registry), "/_plugins/_semantic/models", client);
        }
        Map<String, Object> cluster = (Map<String, Object>) body.get("cluster");
        assertEquals(1, cluster.get("nodes"));
        assertEquals(Map.of(fingerprint, List.of("n1")), ((Map<String, Map<String, Object>>) cluster.get("models")).get(ModelFixtures.MINILM).get("fingerprints"));
        List<Map<String, Object>> models = (List<Map<String, Object>>) body.get("models");
        Map<String, Object> loaded = models.stream().filter(m -> m.get("name").equals(ModelFixtures.MINILM)).findFirst().orElseThrow();
        assertEquals("loaded", loaded.get("status"));
        assertEquals("custom", loaded.get("source"));
        assertEquals(384, loaded.get("dims"));
        assertEquals("mean", loaded.get("pooling"));
        assertEquals(256, loaded.get("max_tokens"));
        assertEquals(true, loaded.get("default"));
        Map<String, Object> failed = models.stream().filter(m -> m.get("name").equals("empty-folder")).findFirst().orElseThrow();
        assertEquals("failed", failed.get("status"));
        assertTrue(failed.toString(), failed.get("reason").toString().contains("model.json"));
    }

    private Map<String, Object> call(RestHandler handler, String path, NodeClient client) throws Exception {
        FakeRestRequest request = new FakeRestRequest.Builder(xContentRegistry()).withMethod(RestRequest.Method.GET).withPath(path).build();
        FakeRestChannel channel = new FakeRestChannel(request, true, 1);
        handler.handleRequest(request, channel, client);
        assertEquals(RestStatus.OK, channel.capturedResponse().status());
        return XContentHelper.convertToMap(JsonXContent.jsonXContent, channel.capturedResponse().content().utf8ToString(), false);
    }
}
