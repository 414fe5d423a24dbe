package io.semanticsearch.rest;

import io.semanticsearch.embed.InputType;

import org.opensearch.test.OpenSearchTestCase;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

public class EmbedRequestTests extends OpenSearchTestCase {

    public void testDefaults() {
        EmbedRequest request = EmbedRequest.parse(Map.of("texts", List.of("a", "b")), 10);
        assertNull(request.model());
        assertEquals(InputType.PASSAGE, request.inputType());
        assertEquals(List.of("a", "b"), request.texts());
    }

    public void testAllFields() {
        EmbedRequest request = EmbedRequest.parse(Map.of("model", "m", "input_type", "Query", "texts", List.of("a")), 10);
        assertEquals("m", request.model());
        assertEquals(InputType.QUERY, request.inputType());
    }

    public void testErrorsNameTheParameter() {
        assertError(Map.of(), "[texts] is required");
        assertError(Map.of("texts", "one"), "[texts] must be an array of strings, got [string]");
        assertError(Map.of("texts", List.of()), "[texts] must hold at least one string");
        assertError(Map.of("texts", List.of("a", 1)), "[texts][1] must be a string, got [number]");
        assertError(Map.of("texts", Arrays.asList("a", null)), "[texts][1] must be a string, got [null]");
        assertError(Map.of("texts", List.of("a"), "model", 3), "[model] must be a string, got [number]");
        assertError(Map.of("texts", List.of("a"), "input_type", "doc"), "[input_type] must be [query] or [passage], got [doc]");
        assertError(Map.of("texts", List.of("a"), "k", 1), "[_embed] does not support [k]");
        assertError(Map.of("texts", List.of("a", "b", "c")), "[texts] holds [3] items, more than [plugins.semantic.embed.max_texts] = [2]");
    }

    private static void assertError(Map<String, Object> body, String message) {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> EmbedRequest.parse(new HashMap<>(body), 2));
        assertTrue(e.getMessage(), e.getMessage().contains(message));
    }
}
