package io.semanticsearch.rest;

import io.semanticsearch.PluginVersion;

import org.opensearch.Version;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.rest.RestRequest;
import org.opensearch.test.OpenSearchTestCase;
import org.opensearch.test.rest.FakeRestChannel;
import org.opensearch.test.rest.FakeRestRequest;

import java.util.List;
import java.util.Map;

public class RestPluginInfoActionTests extends OpenSearchTestCase {

    public void testReportsVersionsAndModels() throws Exception {
        RestPluginInfoAction action = new RestPluginInfoAction();
        FakeRestRequest request = new FakeRestRequest.Builder(xContentRegistry()).withMethod(RestRequest.Method.GET)
            .withPath("/_plugins/_semantic")
            .build();
        FakeRestChannel channel = new FakeRestChannel(request, true, 1);
        action.handleRequest(request, channel, null);

        assertEquals(RestStatus.OK, channel.capturedResponse().status());
        Map<String, Object> body = XContentHelper.convertToMap(JsonXContent.jsonXContent, channel.capturedResponse().content().utf8ToString(), false);
        assertEquals("opensearch-semantic", body.get("plugin"));
        assertEquals(PluginVersion.CURRENT, body.get("version"));
        assertEquals(Version.CURRENT.toString(), body.get("opensearch_version"));
        assertTrue(body.get("models") instanceof List);
    }
}
