package io.semanticsearch;

import io.semanticsearch.rest.RestPluginInfoAction;

import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.node.DiscoveryNodes;
import org.opensearch.common.settings.ClusterSettings;
import org.opensearch.common.settings.IndexScopedSettings;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.settings.SettingsFilter;
import org.opensearch.plugins.ActionPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.rest.RestController;
import org.opensearch.rest.RestHandler;

import java.util.List;
import java.util.function.Supplier;

/**
 * Entry point OpenSearch loads from {@code plugin-descriptor.properties}: it only wires the
 * capabilities (embedding, vector field, query, ingest, answering) into the node.
 */
public class SemanticSearchPlugin extends Plugin implements ActionPlugin {

    /** Every REST path of the plugin starts here. */
    public static final String REST_PREFIX = "/_plugins/_semantic";

    @Override
    public List<RestHandler> getRestHandlers(
        Settings settings,
        RestController restController,
        ClusterSettings clusterSettings,
        IndexScopedSettings indexScopedSettings,
        SettingsFilter settingsFilter,
        IndexNameExpressionResolver indexNameExpressionResolver,
        Supplier<DiscoveryNodes> nodesInCluster
    ) {
        return List.of(new RestPluginInfoAction());
    }
}
