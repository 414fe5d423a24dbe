package io.semanticsearch.mapper;

import org.apache.lucene.util.BytesRef;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.XContentType;
import org.opensearch.core.common.bytes.BytesArray;
import org.opensearch.core.common.bytes.BytesReference;
import org.opensearch.core.xcontent.MediaType;
import org.opensearch.core.xcontent.MediaTypeRegistry;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public class PassageVectorsInSourceTests extends OpenSearchTestCase {

    public void testVectorsLeaveAndComeBackInPassageOrderInEveryContentType() throws IOException {
        for (XContentType type : List.of(XContentType.JSON, XContentType.SMILE, XContentType.CBOR)) {
            Map<String, Object> source = document();
            BytesRef stored = PassageVectorsInSource.strip(bytes(type, source), List.of("body", "meta.summary"));
            Map<String, Object> strippedMap = map(stored);
            assertEquals(type.toString(), List.of(Map.of("text", "a", "offset", 0), Map.of("text", "b", "offset", 2)),
                ((Map<?, ?>) strippedMap.get("body_semantic")).get("passages"));
            assertFalse(((Map<?, ?>) ((Map<?, ?>) strippedMap.get("meta")).get("summary_semantic")).get("passages").toString().contains("vector"));

            Map<String, Integer> asked = new HashMap<>();
            byte[] restored = PassageVectorsInSource.restore(BytesRef.deepCopyOf(stored).bytes, (field, count) -> {
                asked.put(field, count);
                float[][] vectors = new float[count][];
                for (int i = 0; i < count; i++) {
                    vectors[i] = field.startsWith("body") ? new float[] { i, 1 } : new float[] { 9, 9 };
                }
                return vectors;
            });
            assertEquals(Map.of("body_semantic.passages.vector", 2, "meta.summary_semantic.passages.vector", 1), asked);
            assertEquals(type.toString(), map(bytes(type, source)), map(new BytesRef(restored)));
        }
    }

    public void testSourcesOfAnotherShapeAreLeftAlone() throws IOException {
        Map<String, Object> source = document();
        BytesRef original = bytes(XContentType.JSON, source);
        assertSame("not a semantic_text field", original, PassageVectorsInSource.strip(original, List.of("title")));
        assertSame("no fields", original, PassageVectorsInSource.strip(original, List.of()));

        // A passage without its vector: the field keeps all of them.
        Map<String, Object> partial = document();
        List<Map<String, Object>> passages = passages(partial);
        passages.get(1).remove("vector");
        BytesRef partialBytes = bytes(XContentType.JSON, partial);
        Map<String, Object> strippedPartial = map(PassageVectorsInSource.strip(partialBytes, List.of("body")));
        assertEquals(map(partialBytes).get("body_semantic"), strippedPartial.get("body_semantic"));

        // Restoring what was never stripped, or with vectors that do not match the passages, changes nothing.
        byte[] whole = BytesRef.deepCopyOf(original).bytes;
        assertSame(whole, PassageVectorsInSource.restore(whole, (field, count) -> { throw new AssertionError("asked for " + field); }));
        byte[] stripped = BytesRef.deepCopyOf(PassageVectorsInSource.strip(original, List.of("body"))).bytes;
        assertSame(stripped, PassageVectorsInSource.restore(stripped, (field, count) -> null));
        assertSame(stripped, PassageVectorsInSource.restore(stripped, (field, count) -> new float[count + 1][]));
    }

    private static Map<String, Object> document() {
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("title", "t");
        source.put("body", List.of("a", "b"));
        List<Map<String, Object>> passages = new ArrayList<>();
        passages.add(new LinkedHashMap<>(Map.of("text", "a", "offset", 0, "vector", List.of(0.0f, 1.0f))));
        passages.add(new LinkedHashMap<>(Map.of("text", "b", "offset", 2, "vector", List.of(1.0f, 1.0f))));
        source.put("body_semantic", new LinkedHashMap<>(Map.of("hash", "h", "passages", passages)));
        List<Map<String, Object>> summary = new ArrayList<>();
        summary.add(new LinkedHashMap<>(Map.of("text", "s", "offset", 0, "vector", List.of(9.0f, 9.0f))));
        source.put("meta", new LinkedHashMap<>(Map.of("summary", "s", "summary_semantic", new LinkedHashMap<>(Map.of("passages", summary)))));
        return source;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> passages(Map<String, Object> source) {
        return (List<Map<String, Object>>) ((Map<String, Object>) source.get("body_semantic")).get("passages");
    }

    private static BytesRef bytes(MediaType type, Map<String, Object> source) throws IOException {
        try (XContentBuilder builder = MediaTypeRegistry.contentBuilder(type)) {
            builder.map(source);
            return BytesReference.bytes(builder).toBytesRef();
        }
    }

    private static Map<String, Object> map(BytesRef bytes) {
        return XContentHelper.convertToMap(new BytesArray(bytes), true, (MediaType) null).v2();
    }
}
