package io.semanticsearch.embed;

import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.node.DiscoveryNodes;
import org.opensearch.cluster.service.ClusterService;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The nodes of the cluster that load embedding models, as their node attribute {@value #ATTRIBUTE} says (a node with
 * {@code plugins.semantic.models.load: false} publishes {@code false}): where a node that loads none sends the
 * inference it is asked for.
 */
public final class NodesWithModels {

    /** The node attribute that says whether a node loads models ({@code plugins.semantic.models.load}). */
    public static final String ATTRIBUTE = "semantic_models";
    /**
     * The node attribute that lists, comma-separated, the models a node's folders name (read from their
     * {@code model.json} at start, before they load): where a node without a model sends what needs it.
     */
    public static final String MODELS_ATTRIBUTE = "semantic_model_names";

    private NodesWithModels() {}

    /**
     * One of the nodes that load models, the same one for the same {@code key} while the cluster's nodes stay the
     * same (so that its query cache answers a text asked again); null when no node loads models.
     */
    public static DiscoveryNode pick(DiscoveryNodes nodes, int key) {
        return pick(nodes, key, null);
    }

    /** As {@link #pick(DiscoveryNodes, int)}, among the nodes that hold {@code model} (any model when null). */
    public static DiscoveryNode pick(DiscoveryNodes nodes, int key, String model) {
        List<DiscoveryNode> withModels = holding(nodes, model);
        if (withModels.isEmpty()) {
            return null;
        }
        withModels.sort(Comparator.comparing(DiscoveryNode::getId));
        return withModels.get(Math.floorMod(key, withModels.size()));
    }

    /** The nodes that load models and, when {@code model} is not null, list that one. */
    public static List<DiscoveryNode> holding(DiscoveryNodes nodes, String model) {
        List<DiscoveryNode> holding = new ArrayList<>();
        for (DiscoveryNode node : nodes) {
            Map<String, String> attributes = node.getAttributes();
            if (Boolean.parseBoolean(attributes.getOrDefault(ATTRIBUTE, "false"))
                && (model == null || Arrays.asList(attributes.getOrDefault(MODELS_ATTRIBUTE, "").split(",")).contains(model))) {
                holding.add(node);
            }
        }
        return holding;
    }

    /** The names of the nodes that hold {@code model}, sorted, for messages that say where it is. */
    public static List<String> namesHolding(DiscoveryNodes nodes, String model) {
        return holding(nodes, model).stream().map(DiscoveryNode::getName).sorted().toList();
    }

    /**
     * {@code model} for a node that does not have it, by another that does.
     *
     * @throws IllegalArgumentException naming this node and the model when no node of the cluster lists it
     */
    public static DiscoveryNode targetFor(ClusterService clusterService, String model, int key, String what) {
        DiscoveryNodes nodes = clusterService.state().nodes();
        DiscoveryNode target = pick(nodes, key, model);
        if (target == null && nodes.getNodes().values().stream().noneMatch(n -> n.getAttributes().containsKey(MODELS_ATTRIBUTE))) {
            target = pick(nodes, key); // nodes of a plugin that did not list its models: any node that loads models
        }
        if (target == null) {
            throw new IllegalArgumentException(
                what + " node [" + clusterService.getNodeName() + "] does not have model [" + model + "] and no node of the cluster "
                    + "does: install it (GET /_plugins/_semantic/models lists each node's models)"
            );
        }
        return target;
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
