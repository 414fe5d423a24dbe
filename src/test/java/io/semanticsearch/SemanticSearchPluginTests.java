package io.semanticsearch;

import org.opensearch.action.admin.cluster.node.info.NodeInfo;
import org.opensearch.action.admin.cluster.node.info.NodesInfoRequest;
import org.opensearch.action.admin.cluster.node.info.NodesInfoResponse;
import org.opensearch.action.admin.cluster.node.info.PluginsAndModules;
import org.opensearch.plugins.Plugin;
import org.opensearch.plugins.PluginInfo;
import org.opensearch.test.OpenSearchSingleNodeTestCase;

import java.util.Collection;
import java.util.List;

/** The plugin class loads into a real (in-JVM) node. */
public class SemanticSearchPluginTests extends OpenSearchSingleNodeTestCase {

    @Override
    protected Collection<Class<? extends Plugin>> getPlugins() {
        return List.of(SemanticSearchPlugin.class);
    }

    public void testPluginIsLoadedByTheNode() {
        NodesInfoResponse response = client().admin()
            .cluster()
            .nodesInfo(new NodesInfoRequest().clear().addMetric(NodesInfoRequest.Metric.PLUGINS.metricName()))
            .actionGet();
        NodeInfo node = response.getNodes().get(0);
        List<String> classnames = node.getInfo(PluginsAndModules.class).getPluginInfos().stream().map(PluginInfo::getClassname).toList();
        assertTrue("loaded plugins: " + classnames, classnames.contains(SemanticSearchPlugin.class.getName()));
    }

    public void testPluginVersionComesFromTheBuild() {
        assertNotNull(PluginVersion.CURRENT);
        assertFalse("version was not filled in by the build", PluginVersion.CURRENT.contains("${"));
    }
}
