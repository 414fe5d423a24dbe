package io.semanticsearch.embed;

import org.opensearch.Version;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.node.DiscoveryNodeRole;
import org.opensearch.cluster.node.DiscoveryNodes;
import org.opensearch.test.OpenSearchTestCase;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** Which node a node without models sends its inference to. */
public class NodesWithModelsTests extends OpenSearchTestCase {

    public void testOnlyNodesThatSayTheyLoadModelsArePicked() {
        DiscoveryNodes nodes = DiscoveryNodes.builder()
            .add(node("without", "false"))
            .add(node("unmarked", null))
            .add(node("with-1", "true"))
            .add(node("with-2", "true"))
            .build();
        Set<String> picked = new HashSet<>();
        for (int key = -50; key < 50; key++) {
            picked.add(NodesWithModels.pick(nodes, key).getId());
        }
        assertEquals(Set.of("with-1", "with-2"), picked);
    }

    public void testTheSameKeyGoesToTheSameNode() {
        DiscoveryNodes nodes = DiscoveryNodes.builder().add(node("a", "true")).add(node("b", "true")).add(node("c", "true")).build();
        int key = "which logs are kept for four weeks".hashCode();
        DiscoveryNode first = NodesWithModels.pick(nodes, key);
        DiscoveryNodes reordered = DiscoveryNodes.builder().add(node("c", "true")).add(node("a", "true")).add(node("b", "true")).build();
        assertEquals(first.getId(), NodesWithModels.pick(reordered, key).getId());
    }

    public void testNoNodeWithModels() {
        assertNull(NodesWithModels.pick(DiscoveryNodes.builder().add(node("without", "false")).build(), 7));
    }

    public void testANamedModelIsSentOnlyWhereItIs() {
        DiscoveryNodes nodes = DiscoveryNodes.builder()
            .add(withModels("a", "all-minilm-l6-v2,only-a"))
            .add(withModels("b", "all-minilm-l6-v2"))
            .add(node("none", "false"))
            .build();
        for (int key = -20; key < 20; key++) {
            assertEquals("a", NodesWithModels.pick(nodes, key, "only-a").getId());
        }
        assertEquals(java.util.List.of("a", "b"), NodesWithModels.namesHolding(nodes, "all-minilm-l6-v2"));
        assertEquals(java.util.List.of(), NodesWithModels.namesHolding(nodes, "no-such-model"));
        assertNull(NodesWithModels.pick(nodes, 3, "no-such-model"));
    }

    private static DiscoveryNode withModels(String id, String models) {
        Map<String, String> attributes = Map.of(NodesWithModels.ATTRIBUTE, "true", NodesWithModels.MODELS_ATTRIBUTE, models);
        return new DiscoveryNode(id, id, buildNewFakeTransportAddress(), attributes, Set.of(DiscoveryNodeRole.DATA_ROLE), Version.CURRENT);
    }

    private static DiscoveryNode node(String id, String loadsModels) {
        Map<String, String> attributes = loadsModels == null ? Map.of() : Map.of(NodesWithModels.ATTRIBUTE, loadsModels);
        return new DiscoveryNode(id, buildNewFakeTransportAddress(), attributes, Set.of(DiscoveryNodeRole.DATA_ROLE), Version.CURRENT);
    }
}
