package io.semanticsearch.embed;

import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.node.DiscoveryNodes;
import org.opensearch.cluster.service.ClusterService;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The nodes of the cluster that load embedding models, as their node attribute {@value #ATTRIBUTE} says (a node with
 * {@code plugins.semantic.models.load: false} publishes {@code false}): where a node that loads none sends the
 * inference it is asked for.
 */
public final class NodesWithModels {

    /** The node attribute that says whether a node loads models ({@code plugins.semantic.models.load}). */
    public static final String ATTRIBUTE = "semantic_models";

    private NodesWithModels() {}

    /**
     * One of the nodes that load models, the same one for the same {@code key} while the cluster's nodes stay the
     * same (so that its query cache answers a text asked again); null when no node loads models.
     */
    public static DiscoveryNode pick(DiscoveryNodes nodes, int key) {
        List<DiscoveryNode> withModels = new ArrayList<>();
        for (DiscoveryNode node : nodes) {
            if (Boolean.parseBoolean(node.getAttributes().getOrDefault(ATTRIBUTE, "false"))) {
                withModels.add(node);
            }
        }
        if (withModels.isEmpty()) {
            return null;
        }
        withModels.sort(Comparator.comparing(DiscoveryNode::getId));
        return withModels.get(Math.floorMod(key, withModels.size()));
    }

    /**
     * As {@link #pick}, for {@code what} (the request, as its errors name it) on this node, which loads no models.
     *
     * @throws IllegalArgumentException when no node of the cluster loads models
     */
    public static DiscoveryNode target(ClusterService clusterService, int key, String what) {
        DiscoveryNode target = pick(clusterService.state().nodes(), key);
        if (target == null) {
            throw new IllegalArgumentException(
                what + " node [" + clusterService.getNodeName() + "] loads no models ([plugins.semantic.models.load: false]) and no "
                    + "node of the cluster does: load models on at least one node"
            );
        }
        return target;
    }
}
