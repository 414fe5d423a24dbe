package io.semanticsearch.mapper;

import org.opensearch.search.fetch.subphase.FetchSourceContext;
import org.opensearch.test.OpenSearchTestCase;

import java.util.List;
import java.util.Map;

/**
 * What the read APIs' source filters become: the generated passages left out unless named, whatever else the filter
 * says; checked on the filters themselves, by what they keep of a document.
 */
public class HiddenPassagesFilterTests extends OpenSearchTestCase {

    private static final List<String> INTERNAL = List.of("body_semantic", "meta.summary_semantic");
    private static final Map<String, Object> DOCUMENT = Map.of(
        "body", "text",
        "tag", "t",
        "body_semantic", Map.of("hash", "h", "passages", List.of(Map.of("text", "text", "offset", 0))),
        "meta", Map.of("summary", "s", "summary_semantic", Map.of("hash", "h"))
    );

    public void testTheDefaultAndPatternsLeaveThePassagesOut() {
        assertEquals(Map.of("body", "text", "tag", "t", "meta", Map.of("summary", "s")), kept(HiddenPassagesFilter.hide(null, INTERNAL)));
        assertEquals(Map.of("body", "text"), kept(HiddenPassagesFilter.hide(new FetchSourceContext(true, new String[] { "b*" }, null), INTERNAL)));
        assertEquals(
            Map.of("body", "text", "meta", Map.of("summary", "s")),
            kept(HiddenPassagesFilter.hide(new FetchSourceContext(true, new String[] { "*" }, new String[] { "tag" }), INTERNAL))
        );
    }

    public void testNamedPassagesAreShownAndNoSourceStaysNone() {
        FetchSourceContext named = new FetchSourceContext(true, new String[] { "body_semantic" }, null);
        assertSame(named, HiddenPassagesFilter.hide(named, INTERNAL));
        FetchSourceContext under = new FetchSourceContext(true, new String[] { "body", "meta.summary_semantic.hash" }, null);
        assertSame(under, HiddenPassagesFilter.hide(under, INTERNAL));
        FetchSourceContext none = new FetchSourceContext(false);
        assertSame(none, HiddenPassagesFilter.hide(none, INTERNAL));
        assertNull(HiddenPassagesFilter.hide(null, List.of()));
        // A prefix of a generated name is not its name.
        FetchSourceContext prefix = new FetchSourceContext(true, new String[] { "body_sem" }, null);
        assertNotSame(prefix, HiddenPassagesFilter.hide(prefix, INTERNAL));
    }

    public void testTopHitsAtAnyDepthLeaveThePassagesOut() {
        org.opensearch.search.aggregations.metrics.TopHitsAggregationBuilder top =
            new org.opensearch.search.aggregations.metrics.TopHitsAggregationBuilder("top");
        org.opensearch.search.aggregations.metrics.TopHitsAggregationBuilder named =
            new org.opensearch.search.aggregations.metrics.TopHitsAggregationBuilder("named").fetchSource(new String[] { "body_semantic" }, null);
        org.opensearch.search.aggregations.bucket.terms.TermsAggregationBuilder terms =
            new org.opensearch.search.aggregations.bucket.terms.TermsAggregationBuilder("by_tag").field("tag").subAggregation(top).subAggregation(named);
        HiddenPassagesFilter.hideInTopHits(List.of(terms), INTERNAL);
        assertEquals(Map.of("body", "text", "tag", "t", "meta", Map.of("summary", "s")), kept(top.fetchSource()));
        assertArrayEquals("asked for by name: shown", new String[] { "body_semantic" }, named.fetchSource().includes());
        assertEquals(0, named.fetchSource().excludes().length);
    }

    private static Map<String, Object> kept(FetchSourceContext context) {
        return context.getFilter().apply(DOCUMENT);
    }
}
