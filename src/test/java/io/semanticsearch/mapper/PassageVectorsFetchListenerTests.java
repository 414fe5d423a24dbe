package io.semanticsearch.mapper;

import org.opensearch.search.fetch.subphase.FetchSourceContext;
import org.opensearch.test.OpenSearchTestCase;

import java.util.List;

/** Which source filters leave every passage vector out, asked of OpenSearch's own filter. */
public class PassageVectorsFetchListenerTests extends OpenSearchTestCase {

    private static final List<String> VECTORS = List.of("body_semantic.passages.vector", "meta.title_semantic.passages.vector");

    public void testFiltersThatLeaveEveryVectorOut() {
        assertTrue(PassageVectorsFetchListener.dropsAll(null, VECTORS));
        assertTrue(PassageVectorsFetchListener.dropsAll(new FetchSourceContext(false), VECTORS));
        assertTrue(drops(new String[] { "body", "meta.title" }, null));
        assertTrue(drops(null, new String[] { "*_semantic" }));
        assertTrue(drops(null, new String[] { "*.vector" }));
        assertTrue(drops(new String[] { "body_semantic.passages.text", "meta.title_semantic.passages.offset" }, null));
        assertTrue(drops(new String[] { "*" }, new String[] { "body_semantic", "meta.title_semantic.passages.vector" }));
    }

    public void testFiltersThatShowAVector() {
        assertFalse(PassageVectorsFetchListener.dropsAll(new FetchSourceContext(true), VECTORS));
        assertFalse(drops(null, new String[] { "body_semantic" }));
        assertFalse(drops(new String[] { "meta" }, null));
        assertFalse(drops(new String[] { "*" }, null));
        assertFalse(drops(new String[] { "body_semantic.passages" }, null));
        assertFalse(drops(new String[] { "*.vector" }, new String[] { "body_semantic" }));
    }

    private static boolean drops(String[] includes, String[] excludes) {
        return PassageVectorsFetchListener.dropsAll(new FetchSourceContext(true, includes, excludes), VECTORS);
    }
}
