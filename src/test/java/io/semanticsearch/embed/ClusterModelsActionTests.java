package io.semanticsearch.embed;

import org.opensearch.Version;
import org.opensearch.cluster.ClusterName;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.xcontent.ToXContent;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;

public class ClusterModelsActionTests extends OpenSearchTestCase {

    private static ClusterModelsAction.NodeResponse node(String name, ClusterModelsAction.Model... models) {
        DiscoveryNode node = new DiscoveryNode(name, name, buildNewFakeTransportAddress(), Map.of(), Set.of(), Version.CURRENT);
        return new ClusterModelsAction.NodeResponse(node, List.of(models));
    }

    private static ClusterModelsAction.Model loaded(String name, String fingerprint) {
        return new ClusterModelsAction.Model(name, true, 384, fingerprint);
    }

    public void testAModelsChunkingTravelsAndAnOlderNodeMeansTheDefault() throws IOException {
        ClusterModelsAction.Model custom = new ClusterModelsAction.Model("m", true, 384, "f1", new ModelConfig.Chunking(120, 20));
        DiscoveryNode node = new DiscoveryNode("a", "a", buildNewFakeTransportAddress(), Map.of(), Set.of(), Version.CURRENT);
        try (org.opensearch.common.io.stream.BytesStreamOutput out = new org.opensearch.common.io.stream.BytesStreamOutput()) {
            new ClusterModelsAction.NodeResponse(node, List.of(custom)).writeTo(out);
            ClusterModelsAction.NodeResponse read = new ClusterModelsAction.NodeResponse(out.bytes().streamInput());
            assertEquals(List.of(custom), read.models());
        }
        // What a node of wire format 2 sends: no chunking, which meant the default.
        try (org.opensearch.common.io.stream.BytesStreamOutput out = new org.opensearch.common.io.stream.BytesStreamOutput()) {
            node.writeTo(out);
            out.writeVInt(2);
            out.writeVInt(1);
            out.writeString("m");
            out.writeBoolean(true);
            out.writeVInt(384);
            out.writeOptionalString("f1");
            out.writeBoolean(true);
            ClusterModelsAction.Model read = new ClusterModelsAction.NodeResponse(out.bytes().streamInput()).models().get(0);
            assertNull(read.chunking());
            assertEquals("f1", read.fingerprint());
        }
    }

    public void testNodesThatAgreeAreConsistent() {
        ClusterModelsAction.Response response = new ClusterModelsAction.Response(
            new ClusterName("c"),
            List.of(node("a", loaded("m", "f1")), node("b", loaded("m", "f1"))),
            List.of()
        );
        assertTrue(response.consistent());
        assertEquals(Map.of("m", Map.of("f1", Set.of("a", "b"))), response.byModel());
    }

    public void testAnotherFileOrAMissingModelIsFlaggedWithItsNodes() throws IOException {
        ClusterModelsAction.Response response = new ClusterModelsAction.Response(
            new ClusterName("c"),
            List.of(
                node("a", loaded("m", "f1"), loaded("custom", "c1")),
                node("b", loaded("m", "f2"), new ClusterModelsAction.Model("custom", false, 0, null)),
                node("c", loaded("m", "f1"))
            ),
            List.of()
        );
        assertFalse(response.consistent());
        assertEquals(Map.of("f1", Set.of("a", "c"), "f2", Set.of("b")), response.byModel().get("m"));
        assertEquals(List.of("c"), response.missingOn("custom"));
        XContentBuilder builder = JsonXContent.contentBuilder().startObject();
        response.toXContent(builder, ToXContent.EMPTY_PARAMS);
        String json = builder.endObject().toString();
        assertTrue(json, json.contains("\"custom\":{\"consistent\":false,\"fingerprints\":{\"c1\":[\"a\"],\"failed\":[\"b\"]},\"missing_on\":[\"c\"]}"));
    }
}
