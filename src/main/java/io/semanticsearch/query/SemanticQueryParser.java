package io.semanticsearch.query;

import io.semanticsearch.query.SemanticQueryBuilder.Like;

import org.opensearch.core.common.ParsingException;
import org.opensearch.core.xcontent.XContentLocation;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.core.xcontent.XContentParser.Token;
import org.opensearch.index.query.QueryBuilder;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static io.semanticsearch.query.SemanticQueryBuilder.NAME;
import static org.opensearch.index.query.AbstractQueryBuilder.parseInnerQueryBuilder;

/**
 * Reads the {@code semantic} query's JSON into a {@link SemanticQueryBuilder}, with an error that names the
 * parameter and what it takes for anything it cannot use. Parsing only: what the values mean is checked by the
 * builder, once the query meets a mapping.
 */
final class SemanticQueryParser {

    private SemanticQueryParser() {}

    static SemanticQueryBuilder parse(XContentParser parser, Supplier<QueryEmbedder> embedder) throws IOException {
        XContentLocation start = parser.getTokenLocation();
        Map<String, Object> values = new HashMap<>();
        String name = null;
        for (Token token = parser.nextToken(); token != Token.END_OBJECT; token = parser.nextToken()) {
            if (token == Token.FIELD_NAME) {
                name = parser.currentName();
                continue;
            }
            switch (name) {
                case "filter" -> {
                    requireObject(parser, name, token);
                    values.put(name, parseInnerQueryBuilder(parser));
                }
                case "like" -> values.put(name, parseLike(parser, token));
                case "vector" -> values.put(name, parseVector(parser, token));
                case "field", "query", "model", "_name" -> values.put(name, stringValue(parser, name, token));
                case "k", "num_candidates" -> values.put(name, intValue(parser, name, token));
                case "min_score", "boost" -> values.put(name, floatValue(parser, name, token));
                case "exact" -> values.put(name, booleanValue(parser, name, token));
                case "hybrid", "diversity" -> values.put(name, switch (token) {
                    case START_OBJECT -> parser.map();
                    case VALUE_BOOLEAN -> parser.booleanValue();
                    case VALUE_NUMBER -> parser.numberValue();
                    case VALUE_NULL -> null;
                    case START_ARRAY -> parser.list();
                    default -> parser.text();
                });
                case null, default -> throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] query does not support [" + name + "]");
            }
        }
        try {
            return build(values, embedder);
        } catch (IllegalArgumentException e) {
            throw new ParsingException(start, e.getMessage());
        }
    }

    private static SemanticQueryBuilder build(Map<String, Object> values, Supplier<QueryEmbedder> embedder) {
        List<String> sources = new ArrayList<>();
        for (String source : List.of("query", "vector", "like")) {
            if (values.get(source) != null) {
                sources.add("[" + source + "]");
            }
        }
        if (sources.size() != 1) {
            throw new IllegalArgumentException(
                sources.isEmpty()
                    ? "[" + NAME + "] requires one of [query], [vector] or [like]"
                    : "[" + NAME + "] takes only one of [query], [vector] and [like], got " + String.join(" and ", sources)
            );
        }
        String field = (String) values.get("field");
        SemanticQueryBuilder builder;
        if (values.get("query") != null) {
            builder = SemanticQueryBuilder.text(field, (String) values.get("query"), embedder);
        } else if (values.get("vector") != null) {
            builder = SemanticQueryBuilder.vector(field, (float[]) values.get("vector"));
        } else {
            builder = SemanticQueryBuilder.like(field, (Like) values.get("like"), embedder);
        }
        builder.model((String) values.get("model"));
        if (values.get("k") != null) {
            builder.k((Integer) values.get("k"));
        }
        if (values.get("num_candidates") != null) {
            builder.numCandidates((Integer) values.get("num_candidates"));
        }
        if (values.get("min_score") != null) {
            builder.minScore((Float) values.get("min_score"));
        }
        if (values.get("exact") != null) {
            builder.exact((Boolean) values.get("exact"));
        }
        builder.filter((QueryBuilder) values.get("filter"));
        if (values.get("boost") != null) {
            builder.boost((Float) values.get("boost"));
        }
        builder.queryName((String) values.get("_name"));
        if (values.get("hybrid") != null) {
            builder.hybrid(HybridOptions.parse(values.get("hybrid")));
        }
        if (values.get("diversity") != null) {
            builder.diversity(DiversityOptions.parse(values.get("diversity")));
            if (builder.hybrid() != null && builder.diversity().rankWindowSize() != null) {
                // One window is fused and then reordered: a second size would be ignored.
                throw new IllegalArgumentException(
                    "[" + NAME + "] [diversity] [rank_window_size] does not apply with [hybrid], whose window is reordered; "
                        + "set [hybrid] [rank_window_size] instead"
                );
            }
        }
        return builder;
    }

    private static void requireObject(XContentParser parser, String name, Token token) throws IOException {
        if (token != Token.START_OBJECT) {
            throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] [" + name + "] must be a query object, got [" + describe(parser) + "]");
        }
    }

    /** The current value for an error message; the parser has no text for nulls, objects and arrays. */
    private static String describe(XContentParser parser) throws IOException {
        return switch (parser.currentToken()) {
            case VALUE_NULL -> "null";
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            default -> parser.text();
        };
    }

    private static Like parseLike(XContentParser parser, Token token) throws IOException {
        if (token != Token.START_OBJECT) {
            throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] [like] must be an object with [_id], got [" + describe(parser) + "]");
        }
        String id = null;
        String index = null;
        String routing = null;
        String name = null;
        for (Token t = parser.nextToken(); t != Token.END_OBJECT; t = parser.nextToken()) {
            if (t == Token.FIELD_NAME) {
                name = parser.currentName();
            } else if ("_id".equals(name) && t.isValue()) {
                id = parser.text();
            } else if ("_index".equals(name) && t.isValue()) {
                index = parser.text();
            } else if ("routing".equals(name) && t.isValue()) {
                routing = parser.text();
            } else {
                throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] [like] does not support [" + name + "]");
            }
        }
        if (id == null || id.isEmpty()) {
            throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] [like] requires [_id]");
        }
        return new Like(id, index, routing);
    }

    private static float[] parseVector(XContentParser parser, Token token) throws IOException {
        if (token != Token.START_ARRAY) {
            throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] [vector] must be an array of numbers, got [" + describe(parser) + "]");
        }
        List<Float> values = new ArrayList<>();
        for (Token t = parser.nextToken(); t != Token.END_ARRAY; t = parser.nextToken()) {
            if (t != Token.VALUE_NUMBER) {
                throw new ParsingException(
                    parser.getTokenLocation(),
                    "[" + NAME + "] [vector] must be an array of numbers, got [" + describe(parser) + "] at position [" + values.size() + "]"
                );
            }
            double value = parser.doubleValue();
            if (Double.isFinite(value) && Math.abs(value) > Float.MAX_VALUE) {
                throw new ParsingException(
                    parser.getTokenLocation(),
                    "[" + NAME + "] [vector] value [" + parser.text() + "] at position [" + values.size() + "] is too large for a float"
                );
            }
            values.add((float) value);
        }
        float[] vector = new float[values.size()];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = values.get(i);
        }
        return vector;
    }

    private static String stringValue(XContentParser parser, String name, Token token) throws IOException {
        if (token != Token.VALUE_STRING) {
            throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] [" + name + "] must be a string, got [" + describe(parser) + "]");
        }
        return parser.text();
    }

    private static Integer intValue(XContentParser parser, String name, Token token) throws IOException {
        try {
            if (token == Token.VALUE_NUMBER || token == Token.VALUE_STRING) {
                return parser.intValue(false);
            }
        } catch (IllegalArgumentException | IOException e) {
            // not an integer, or too large for one (the JSON parser's own message names no parameter): reported below
        }
        throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] [" + name + "] must be an integer, got [" + describe(parser) + "]");
    }

    private static Float floatValue(XContentParser parser, String name, Token token) throws IOException {
        try {
            if (token == Token.VALUE_NUMBER || token == Token.VALUE_STRING) {
                return parser.floatValue();
            }
        } catch (IllegalArgumentException | IOException e) {
            // not a number: reported below with the value
        }
        throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] [" + name + "] must be a number, got [" + describe(parser) + "]");
    }

    private static Boolean booleanValue(XContentParser parser, String name, Token token) throws IOException {
        if (token == Token.VALUE_BOOLEAN || (token == Token.VALUE_STRING && parser.isBooleanValue())) {
            return parser.booleanValue();
        }
        throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] [" + name + "] must be true or false, got [" + describe(parser) + "]");
    }
}
