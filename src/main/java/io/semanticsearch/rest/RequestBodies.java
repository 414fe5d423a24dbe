package io.semanticsearch.rest;

import org.opensearch.rest.RestRequest;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Reads the JSON body of our REST requests into a map, refusing with a 400 what would otherwise cost the node: a body
 * that does not parse (a 500 and a stack trace in the log), or one nested deeper than any request of ours needs,
 * whose query DSL parts ({@code _rag}'s {@code filter}) OpenSearch's parser would descend recursively until the stack
 * runs out.
 */
final class RequestBodies {

    /** Far deeper than any real filter; far shallower than what exhausts a thread's stack in the DSL parser. */
    static final int MAX_DEPTH = 64;

    private RequestBodies() {}

    static Map<String, Object> read(RestRequest request, String api) {
        Map<String, Object> body;
        try {
            body = request.contentOrSourceParamParser().map();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("[" + api + "] cannot read the request body: " + firstLine(e.getMessage()), e);
        }
        int depth = depth(body, 1);
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException(
                "[" + api + "] the request body is nested more than [" + MAX_DEPTH + "] levels deep; no request needs that"
            );
        }
        return body;
    }

    /** The nesting depth of a parsed value, counting no further than one past the limit. */
    private static int depth(Object value, int level) {
        if (level > MAX_DEPTH) {
            return level;
        }
        int deepest = level;
        if (value instanceof Map<?, ?> map) {
            for (Object child : map.values()) {
                deepest = Math.max(deepest, depth(child, level + 1));
            }
        } else if (value instanceof List<?> list) {
            for (Object child : list) {
                deepest = Math.max(deepest, depth(child, level + 1));
            }
        }
        return deepest;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "it is not valid JSON";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
