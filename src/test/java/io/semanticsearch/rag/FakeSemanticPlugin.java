package io.semanticsearch.rag;

import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Query;
import org.opensearch.core.common.ParsingException;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.index.mapper.ParametrizedFieldMapper;
import org.opensearch.index.mapper.ParseContext;
import org.opensearch.index.mapper.SourceValueFetcher;
import org.opensearch.index.mapper.TextSearchInfo;
import org.opensearch.index.mapper.ValueFetcher;
import org.opensearch.index.query.AbstractQueryBuilder;
import org.opensearch.index.query.MatchQueryBuilder;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.plugins.MapperPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.plugins.SearchPlugin;
import org.opensearch.search.lookup.SearchLookup;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Stands in for the {@code semantic_vector} field and the {@code semantic} query, which live on another branch, so
 * that the {@code _rag} pipeline can run inside a test node: the field stores nothing and the query is a BM25
 * {@code match} on the sibling text field ({@code passages.vector} → {@code passages.text}, {@code body_vector} →
 * {@code body}). It checks the plumbing (mappings, DSL, nested inner hits, fusion), not semantic quality.
 */
public class FakeSemanticPlugin extends Plugin implements MapperPlugin, SearchPlugin {

    @Override
    public Map<String, Mapper.TypeParser> getMappers() {
        return Map.of(FakeVectorMapper.CONTENT_TYPE, new ParametrizedFieldMapper.TypeParser((name, context) -> new FakeVectorMapper.Builder(name)));
    }

    @Override
    public List<QuerySpec<?>> getQueries() {
        return List.of(new QuerySpec<>(FakeSemanticQuery.NAME, FakeSemanticQuery::new, FakeSemanticQuery::fromXContent));
    }

    /** A {@code semantic_vector} field with a {@code model} parameter that indexes nothing. */
    static final class FakeVectorMapper extends ParametrizedFieldMapper {
        static final String CONTENT_TYPE = "semantic_vector";

        private final String model;

        FakeVectorMapper(String simpleName, MappedFieldType type, String model) {
            super(simpleName, type, MultiFields.empty(), CopyTo.empty());
            this.model = model;
        }

        @Override
        public ParametrizedFieldMapper.Builder getMergeBuilder() {
            return new Builder(simpleName()).init(this);
        }

        @Override
        protected void parseCreateField(ParseContext context) throws IOException {
            context.parser().skipChildren();
        }

        @Override
        protected String contentType() {
            return CONTENT_TYPE;
        }

        static final class Builder extends ParametrizedFieldMapper.Builder {
            final Parameter<String> model = Parameter.stringParam("model", false, m -> ((FakeVectorMapper) m).model, "");

            Builder(String name) {
                super(name);
            }

            @Override
            protected List<Parameter<?>> getParameters() {
                return List.of(model);
            }

            @Override
            public FakeVectorMapper build(BuilderContext context) {
                return new FakeVectorMapper(name, new FakeVectorType(buildFullName(context)), model.getValue());
            }
        }
    }

    static final class FakeVectorType extends MappedFieldType {
        FakeVectorType(String name) {
            super(name, false, false, false, TextSearchInfo.NONE, Map.of());
        }

        @Override
        public ValueFetcher valueFetcher(QueryShardContext context, SearchLookup searchLookup, String format) {
            return SourceValueFetcher.identity(name(), context, format);
        }

        @Override
        public String typeName() {
            return FakeVectorMapper.CONTENT_TYPE;
        }

        @Override
        public Query termQuery(Object value, QueryShardContext context) {
            throw new IllegalArgumentException("[semantic_vector] fields do not support term queries");
        }
    }

    /** {@code {"semantic": {"field", "query", "k", "num_candidates", "filter"}}}, answered by BM25 on the text field. */
    static final class FakeSemanticQuery extends AbstractQueryBuilder<FakeSemanticQuery> {
        static final String NAME = "semantic";

        final String field;
        final String query;
        final int k;
        final int numCandidates;
        final QueryBuilder filter;

        FakeSemanticQuery(String field, String query, int k, int numCandidates, QueryBuilder filter) {
            this.field = field;
            this.query = query;
            this.k = k;
            this.numCandidates = numCandidates;
            this.filter = filter;
        }

        FakeSemanticQuery(StreamInput in) throws IOException {
            super(in);
            field = in.readString();
            query = in.readString();
            k = in.readVInt();
            numCandidates = in.readVInt();
            filter = in.readOptionalNamedWriteable(QueryBuilder.class);
        }

        @Override
        protected void doWriteTo(StreamOutput out) throws IOException {
            out.writeString(field);
            out.writeString(query);
            out.writeVInt(k);
            out.writeVInt(numCandidates);
            out.writeOptionalNamedWriteable(filter);
        }

        static FakeSemanticQuery fromXContent(XContentParser parser) throws IOException {
            String field = null;
            String query = null;
            int k = 10;
            int numCandidates = 100;
            QueryBuilder filter = null;
            String name = null;
            for (XContentParser.Token token = parser.nextToken(); token != XContentParser.Token.END_OBJECT; token = parser.nextToken()) {
                if (token == XContentParser.Token.FIELD_NAME) {
                    name = parser.currentName();
                } else if ("filter".equals(name)) {
                    filter = parseInnerQueryBuilder(parser);
                } else if ("field".equals(name)) {
                    field = parser.text();
                } else if ("query".equals(name)) {
                    query = parser.text();
                } else if ("k".equals(name)) {
                    k = parser.intValue();
                } else if ("num_candidates".equals(name)) {
                    numCandidates = parser.intValue();
                } else {
                    throw new ParsingException(parser.getTokenLocation(), "[semantic] query does not support [" + name + "]");
                }
            }
            return new FakeSemanticQuery(field, query, k, numCandidates, filter);
        }

        @Override
        protected void doXContent(XContentBuilder builder, Params params) throws IOException {
            builder.startObject(NAME).field("field", field).field("query", query).field("k", k).field("num_candidates", numCandidates);
            if (filter != null) {
                builder.field("filter", filter);
            }
            printBoostAndQueryName(builder);
            builder.endObject();
        }

        @Override
        protected Query doToQuery(QueryShardContext context) throws IOException {
            String textField = field.endsWith(".vector")
                ? field.substring(0, field.length() - "vector".length()) + "text"
                : field.substring(0, field.length() - "_vector".length());
            Query match = new MatchQueryBuilder(textField, query).toQuery(context);
            if (filter == null) {
                return match;
            }
            return new BooleanQuery.Builder().add(match, Occur.MUST).add(filter.toQuery(context), Occur.FILTER).build();
        }

        @Override
        protected boolean doEquals(FakeSemanticQuery other) {
            return field.equals(other.field) && query.equals(other.query) && k == other.k && numCandidates == other.numCandidates
                && Objects.equals(filter, other.filter);
        }

        @Override
        protected int doHashCode() {
            return Objects.hash(field, query, k, numCandidates, filter);
        }

        @Override
        public String getWriteableName() {
            return NAME;
        }
    }
}
