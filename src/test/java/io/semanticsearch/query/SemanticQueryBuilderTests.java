package io.semanticsearch.query;

import io.semanticsearch.SemanticSearchPlugin;
import io.semanticsearch.mapper.FieldDefinitions;
import io.semanticsearch.mapper.SemanticCodecServiceTests;

import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.opensearch.common.io.stream.BytesStreamOutput;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.common.ParsingException;
import org.opensearch.core.common.io.stream.NamedWriteableAwareStreamInput;
import org.opensearch.core.common.io.stream.NamedWriteableRegistry;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.core.xcontent.ToXContent;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.index.mapper.MapperService;
import org.opensearch.index.mapper.MapperServiceTestCase;
import org.opensearch.index.query.AbstractQueryBuilder;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryBuilders;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.plugins.Plugin;
import org.opensearch.search.SearchModule;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.instanceOf;

/** Parsing, validation, serialisation and Lucene query building of the {@code semantic} query. */
public class SemanticQueryBuilderTests extends MapperServiceTestCase {

    private static final SearchModule SEARCH = new SearchModule(Settings.EMPTY, List.of(new SemanticSearchPlugin(Settings.EMPTY)));

    @Override
    protected Collection<? extends Plugin> getPlugins() {
        return List.of(new SemanticCodecServiceTests.TestMapperPlugin());
    }

    @Override
    protected NamedXContentRegistry xContentRegistry() {
        return new NamedXContentRegistry(SEARCH.getNamedXContents());
    }

    @Override
    protected NamedWriteableRegistry writableRegistry() {
        return new NamedWriteableRegistry(SEARCH.getNamedWriteables());
    }

    public void testParsesTextVectorAndLike() throws IOException {
        SemanticQueryBuilder text = parse("""
            {"semantic": {"field": "v", "query": "how do I rotate logs", "k": 5, "num_candidates": 50,
              "filter": {"term": {"tag": "ops"}}, "min_score": 0.5, "boost": 2, "_name": "sem"}}""");
        assertEquals("v", text.fieldName());
        assertEquals("how do I rotate logs", text.queryText());
        assertNull(text.queryVector());
        assertEquals(5, text.k());
        assertEquals(50, text.numCandidates());
        assertEquals(QueryBuilders.termQuery("tag", "ops"), text.filter());
        assertEquals(0.5f, text.minScore(), 0f);
        assertEquals(2f, text.boost(), 0f);
        assertEquals("sem", text.queryName());
        assertFalse(text.exact());

        SemanticQueryBuilder vector = parse("{\"semantic\": {\"field\": \"v\", \"vector\": [1, 0.5, -2, 3], \"exact\": true}}");
        assertArrayEquals(new float[] { 1, 0.5f, -2, 3 }, vector.queryVector(), 0f);
        assertTrue(vector.exact());
        assertEquals(SemanticQueryBuilder.DEFAULT_K, vector.k());
        assertEquals(100, vector.numCandidates());
        assertEquals(2000, vector.k(1000).numCandidates());

        SemanticQueryBuilder like = parse("{\"semantic\": {\"field\": \"v\", \"like\": {\"_id\": \"42\", \"_index\": \"docs\"}}}");
        assertEquals(new SemanticQueryBuilder.Like("42", "docs"), like.likeDocument());
        assertEquals(new SemanticQueryBuilder.Like("42", null), parse("{\"semantic\": {\"field\": \"v\", \"like\": {\"_id\": \"42\"}}}").likeDocument());
    }

    public void testXContentRoundTrip() throws IOException {
        for (String json : List.of(
            "{\"semantic\": {\"field\": \"v\", \"query\": \"rotate logs\", \"k\": 3, \"filter\": {\"term\": {\"tag\": \"ops\"}}}}",
            "{\"semantic\": {\"field\": \"v\", \"vector\": [1, 2, 3, 4], \"min_score\": 0.25, \"exact\": true, \"_name\": \"x\"}}",
            "{\"semantic\": {\"field\": \"v\", \"like\": {\"_id\": \"7\"}, \"num_candidates\": 300, \"boost\": 3}}",
            "{\"semantic\": {\"field\": \"v\", \"query\": \"rotate logs\", \"hybrid\": {\"text_field\": \"body\", \"fusion\": \"rrf\", \"rank_constant\": 20}}}",
            "{\"semantic\": {\"field\": \"v\", \"query\": \"rotate logs\", \"hybrid\": true}}"
        )) {
            SemanticQueryBuilder parsed = parse(json);
            XContentBuilder builder = JsonXContent.contentBuilder();
            parsed.toXContent(builder, ToXContent.EMPTY_PARAMS);
            assertEquals(json, parsed, parse(builder.toString()));
            assertEquals(json, parsed.hashCode(), parse(builder.toString()).hashCode());
        }
    }

    public void testVectorQueriesSerialiseAndTextOnesRefuse() throws IOException {
        SemanticQueryBuilder query = SemanticQueryBuilder.vector("v", new float[] { 1, 2, 3, 4 })
            .k(7)
            .numCandidates(70)
            .filter(QueryBuilders.termQuery("tag", "ops"))
            .minScore(0.3f)
            .exact(true)
            .model("m");
        query.boost(1.5f).queryName("n");
        BytesStreamOutput out = new BytesStreamOutput();
        out.writeNamedWriteable(query);
        StreamInput in = new NamedWriteableAwareStreamInput(out.bytes().streamInput(), writableRegistry());
        assertEquals(query, in.readNamedWriteable(QueryBuilder.class));

        SemanticQueryBuilder text = parse("{\"semantic\": {\"field\": \"v\", \"query\": \"rotate logs\"}}");
        IllegalStateException e = expectThrows(IllegalStateException.class, () -> new BytesStreamOutput().writeNamedWriteable(text));
        assertThat(e.getMessage(), containsString("must be turned into a vector before it is sent"));
    }

    public void testParameterErrorsNameTheParameter() {
        assertParseError("{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"colour\": 1}}", "[semantic] query does not support [colour]");
        assertParseError("{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"extra\": {\"a\": 1}}}", "[semantic] query does not support [extra]");
        assertParseError("{\"semantic\": {\"query\": \"x\"}}", "[semantic] requires [field]");
        assertParseError("{\"semantic\": {\"field\": \"v\"}}", "[semantic] requires one of [query], [vector] or [like]");
        assertParseError(
            "{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"vector\": [1]}}",
            "[semantic] takes only one of [query], [vector] and [like], got [query] and [vector]"
        );
        assertParseError("{\"semantic\": {\"field\": \"v\", \"query\": \" \"}}", "[semantic] [query] must not be empty");
        assertParseError("{\"semantic\": {\"field\": \"v\", \"vector\": []}}", "[semantic] [vector] must not be empty");
        assertParseError("{\"semantic\": {\"field\": \"v\", \"vector\": [1, \"a\"]}}", "[semantic] [vector] must be an array of numbers, got [a] at position [1]");
        assertParseError("{\"semantic\": {\"field\": \"v\", \"vector\": 3}}", "[semantic] [vector] must be an array of numbers, got [3]");
        assertParseError("{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"k\": 0}}", "[semantic] [k] must be at least 1, got [0]");
        assertParseError("{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"k\": 10001}}", "[semantic] [k] must be at most 10000, got [10001]");
        assertParseError("{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"k\": \"ten\"}}", "[semantic] [k] must be an integer, got [ten]");
        assertParseError("{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"k\": 2.5}}", "[semantic] [k] must be an integer, got [2.5]");
        assertParseError("{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"k\": 30000000000}}", "[semantic] [k] must be an integer, got [30000000000]");
        assertParseError(
            "{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"num_candidates\": 99999999999999999999}}",
            "[semantic] [num_candidates] must be an integer, got [99999999999999999999]"
        );
        assertParseError("{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"k\": 3e10}}", "[semantic] [k] must be an integer, got [3e10]");
        assertParseError(
            "{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"k\": 20, \"num_candidates\": 10}}",
            "[semantic] [num_candidates] must be at least [k] = [20], got [10]"
        );
        assertParseError(
            "{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"num_candidates\": 5, \"k\": 20}}",
            "[semantic] [num_candidates] must be at least [k] = [20], got [5]"
        );
        assertParseError(
            "{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"num_candidates\": 20000}}",
            "[semantic] [num_candidates] must be at most 10000, got [20000]"
        );
        assertParseError("{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"min_score\": \"high\"}}", "[semantic] [min_score] must be a number, got [high]");
        assertParseError(
            "{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"min_score\": -0.5}}",
            "[semantic] [min_score] must be a finite number of at least 0 (similarity scores are never negative), got [-0.5]"
        );
        assertParseError("{\"semantic\": {\"field\": \"v\", \"vector\": [1], \"hybrid\": true}}", "[semantic] [hybrid] needs [query]");
        assertParseError("{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"hybrid\": [1]}}", "[semantic] [hybrid] must be true or an object");
        assertParseError(
            "{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"hybrid\": {}, \"diversity\": {\"rank_window_size\": 30}}}",
            "[semantic] [diversity] [rank_window_size] does not apply with [hybrid]"
        );
        assertParseError("{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"exact\": \"maybe\"}}", "[semantic] [exact] must be true or false, got [maybe]");
        assertParseError("{\"semantic\": {\"field\": \"v\", \"query\": \"x\", \"filter\": \"ops\"}}", "[semantic] [filter] must be a query object, got [ops]");
        assertParseError("{\"semantic\": {\"field\": \"v\", \"like\": {\"id\": \"1\"}}}", "[semantic] [like] does not support [id]");
        assertParseError("{\"semantic\": {\"field\": \"v\", \"like\": {\"_index\": \"docs\"}}}", "[semantic] [like] requires [_id]");
        assertParseError("{\"semantic\": {\"field\": \"v\", \"like\": \"42\"}}", "[semantic] [like] must be an object with [_id], got [42]");
        assertParseError("{\"semantic\": {\"field\": [\"v\"], \"query\": \"x\"}}", "[semantic] [field] must be a string, got [an array]");
        assertParseError("{\"semantic\": {\"field\": 3, \"query\": \"x\"}}", "[semantic] [field] must be a string, got [3]");
    }

    public void testBuildsTheLuceneQueryOfItsParameters() throws IOException {
        MapperService mapperService = createMapperService(testMapping());
        QueryShardContext context = createQueryShardContext(mapperService);
        float[] vector = { 0.5f, 0.5f, 0.5f, 0.5f };

        Query knn = SemanticQueryBuilder.vector("v", vector).k(3).toQuery(context);
        assertThat(knn, instanceOf(KnnFloatVectorQuery.class));
        assertEquals(100, ((KnnFloatVectorQuery) knn).getK()); // Lucene's k: the candidates
        assertThat(knn.toString(), containsString("[k=3]"));

        Query filtered = SemanticQueryBuilder.vector("v", vector).filter(QueryBuilders.termQuery("tag", "ops")).toQuery(context);
        assertThat(((KnnFloatVectorQuery) filtered).getFilter().toString(), containsString("tag:ops"));

        Query exact = SemanticQueryBuilder.vector("v", vector).exact(true).filter(QueryBuilders.termQuery("tag", "ops")).toQuery(context);
        assertThat(exact, instanceOf(BooleanQuery.class));
        assertThat(exact.toString(), containsString("ExactVectorQuery[v][COSINE]"));
    }

    public void testShardErrorsNameTheParameter() throws IOException {
        MapperService mapperService = createMapperService(testMapping());
        QueryShardContext context = createQueryShardContext(mapperService);
        assertToQueryError(context, SemanticQueryBuilder.vector("v", new float[] { 1, 2, 3 }), "[semantic] [vector]: field [v] takes vectors of [4] dims, got a vector of [3]");
        assertToQueryError(context, SemanticQueryBuilder.vector("nope", new float[] { 1 }), "[semantic] [field] [nope] does not exist");
        assertToQueryError(
            context,
            SemanticQueryBuilder.vector("tag", new float[] { 1 }),
            "[semantic] [field] [tag] is of type [keyword], but the query needs a [semantic_vector] field"
        );
        assertToQueryError(
            context,
            SemanticQueryBuilder.vector("v", new float[] { 1, 0, 0, 0 }).model("other-model"),
            "[semantic] the vector is from [model] [other-model], but field [v]"
        );
        assertToQueryError(
            context,
            SemanticQueryBuilder.vector("passages.vector", new float[] { 1, 0 }),
            "[semantic] [field] [passages.vector] is inside the [nested] field [passages]: wrap this query in a [nested] query with [path] [passages]"
        );
        assertToQueryError(
            context,
            parse("{\"semantic\": {\"field\": \"v\", \"query\": \"x\"}}"),
            "[semantic] query must be rewritten into a vector before it runs"
        );
        assertToQueryError(
            context,
            SemanticQueryBuilder.vector("v", new float[] { 1, 0, 0, 0 }).minScore(1.5f),
            "[semantic] [min_score] [1.5] can never be reached: scores of field [v] (similarity [cosine]) lie between 0 and 1"
        );
    }

    public void testFieldDefinitionsAreFoundThroughObjectsAndDots() {
        Map<String, Object> vector = Map.of("type", "semantic_vector", "model", "m");
        Map<String, Object> mapping = Map.of(
            "properties",
            Map.of(
                "passages",
                Map.of("type", "nested", "properties", Map.of("vector", vector)),
                "a.b",
                Map.of("properties", Map.of("c", vector))
            )
        );
        assertSame(vector, FieldDefinitions.find(mapping, "passages.vector"));
        assertSame(vector, FieldDefinitions.find(mapping, "a.b.c"));
        assertEquals("nested", FieldDefinitions.find(mapping, "passages").get("type"));
        assertNull(FieldDefinitions.find(mapping, "passages.text"));
        assertNull(FieldDefinitions.find(mapping, "a"));
    }

    private XContentBuilder testMapping() throws IOException {
        return mapping(b -> {
            b.startObject("v").field("type", "semantic_vector").field("dims", 4).endObject();
            b.startObject("tag").field("type", "keyword").endObject();
            b.startObject("passages").field("type", "nested").startObject("properties");
            b.startObject("vector").field("type", "semantic_vector").field("dims", 2).field("similarity", "l2_norm").endObject();
            b.endObject().endObject();
        });
    }

    private void assertToQueryError(QueryShardContext context, SemanticQueryBuilder query, String message) {
        Exception e = expectThrows(RuntimeException.class, () -> query.toQuery(context));
        assertThat(e.getMessage(), containsString(message));
    }

    private void assertParseError(String json, String message) {
        ParsingException e = expectThrows(ParsingException.class, () -> parse(json));
        assertThat(e.getMessage(), containsString(message));
    }

    private SemanticQueryBuilder parse(String json) throws IOException {
        try (XContentParser parser = createParser(JsonXContent.jsonXContent, json)) {
            return (SemanticQueryBuilder) AbstractQueryBuilder.parseInnerQueryBuilder(parser);
        }
    }
}
