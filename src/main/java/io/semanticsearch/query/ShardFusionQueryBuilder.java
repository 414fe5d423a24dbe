package io.semanticsearch.query;

import io.semanticsearch.WireFormat;
import io.semanticsearch.ranking.Fusion;

import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Query;
import org.opensearch.common.lucene.search.Queries;
import org.opensearch.core.common.ParsingException;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.index.query.AbstractQueryBuilder;
import org.opensearch.index.query.InnerHitContextBuilder;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.index.query.QueryShardContext;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * A {@code semantic} query with {@code hybrid} on its way to the one shard a search reaches: both sides, the fusion
 * and the window, for {@link ShardFusionQuery} to rank in the query phase. What {@link WholeResultRewrite} sends
 * instead of searching the sides first, when one shard holds the whole result. Internal: users write {@code hybrid},
 * never this query.
 */
public final class ShardFusionQueryBuilder extends AbstractQueryBuilder<ShardFusionQueryBuilder> {

    public static final String NAME = "semantic_shard_fusion";

    private final QueryBuilder lexical;
    private final QueryBuilder semantic;
    private final String lexicalField;
    private final boolean textFieldGiven;
    private final Fusion fusion;
    private final int window;
    private final String description;
    private final QueryBuilder highlight;
    private final float[] vector;
    private final String vectorField;

    /**
     * @param lexical        the BM25 side (its filter inside)
     * @param semantic       the semantic side: a {@code semantic} query with its vector, {@code k} the window
     * @param lexicalField   the field BM25 searches, for errors
     * @param textFieldGiven whether the user named that field ({@code hybrid.text_field}), for errors
     * @param highlight      the BM25 side's query without its filter, for highlighters
     */
    ShardFusionQueryBuilder(
        QueryBuilder lexical,
        QueryBuilder semantic,
        String lexicalField,
        boolean textFieldGiven,
        Fusion fusion,
        int window,
        String description,
        QueryBuilder highlight,
        float[] vector,
        String vectorField
    ) {
        this.lexical = lexical;
        this.semantic = semantic;
        this.lexicalField = lexicalField;
        this.textFieldGiven = textFieldGiven;
        this.fusion = fusion;
        this.window = window;
        this.description = description;
        this.highlight = highlight;
        this.vector = vector;
        this.vectorField = vectorField;
    }

    public ShardFusionQueryBuilder(StreamInput in) throws IOException {
        super(in);
        WireFormat.readHeader(in, NAME + " query");
        this.lexical = in.readNamedWriteable(QueryBuilder.class);
        this.semantic = in.readNamedWriteable(QueryBuilder.class);
        this.lexicalField = in.readString();
        this.textFieldGiven = in.readBoolean();
        this.fusion = new HybridOptions(in).fusion();
        this.window = in.readVInt();
        this.description = in.readString();
        this.highlight = in.readNamedWriteable(QueryBuilder.class);
        this.vector = in.readFloatArray();
        this.vectorField = in.readString();
    }

    @Override
    protected void doWriteTo(StreamOutput out) throws IOException {
        WireFormat.writeHeader(out);
        out.writeNamedWriteable(lexical);
        out.writeNamedWriteable(semantic);
        out.writeString(lexicalField);
        out.writeBoolean(textFieldGiven);
        new HybridOptions(null, fusion, null).writeTo(out);
        out.writeVInt(window);
        out.writeString(description);
        out.writeNamedWriteable(highlight);
        out.writeFloatArray(vector);
        out.writeString(vectorField);
    }

    @Override
    public String getWriteableName() {
        return NAME;
    }

    public static ShardFusionQueryBuilder fromXContent(XContentParser parser) {
        throw new ParsingException(
            parser.getTokenLocation(),
            "[" + NAME + "] is what the [semantic] query's [hybrid] option becomes on its way to a shard; search with [semantic] and [hybrid] instead"
        );
    }

    @Override
    protected void doXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject(NAME);
        builder.field("fusion", description);
        builder.field("bm25", lexical);
        builder.field("semantic", semantic);
        printBoostAndQueryName(builder);
        builder.endObject();
    }

    @Override
    protected QueryBuilder doRewrite(QueryRewriteContext context) throws IOException {
        QueryBuilder rewrittenLexical = lexical.rewrite(context);
        QueryBuilder rewrittenSemantic = semantic.rewrite(context);
        QueryBuilder rewrittenHighlight = highlight.rewrite(context);
        if (rewrittenLexical == lexical && rewrittenSemantic == semantic && rewrittenHighlight == highlight) {
            return this;
        }
        return new ShardFusionQueryBuilder(
            rewrittenLexical,
            rewrittenSemantic,
            lexicalField,
            textFieldGiven,
            fusion,
            window,
            description,
            rewrittenHighlight,
            vector,
            vectorField
        ).boost(boost()).queryName(queryName());
    }

    @Override
    protected void extractInnerHitBuilders(Map<String, InnerHitContextBuilder> innerHits) {
        // Each fused hit brings its passages (a semantic_text field's), as the semantic query's own hits do.
        InnerHitContextBuilder.extractInnerHits(semantic, innerHits);
    }

    @Override
    protected Query doToQuery(QueryShardContext context) throws IOException {
        Query lexicalQuery;
        Query highlightQuery;
        try {
            lexicalQuery = lexical.toQuery(context);
            highlightQuery = highlight.toQuery(context);
        } catch (RuntimeException e) {
            // The message the coordinating node gives when the BM25 side of a search across shards fails.
            throw new IllegalArgumentException(WholeResultRewrite.lexicalFailure(lexicalField, textFieldGiven, e.getMessage()), e);
        }
        Query semanticQuery = semantic.toQuery(context);
        if (context.getMapperService().hasNested()) {
            // A search keeps nested documents out of its hits; the sides, searched on their own, must too.
            lexicalQuery = parentsOnly(lexicalQuery);
            semanticQuery = parentsOnly(semanticQuery);
        }
        return new ShardFusionQuery(lexicalQuery, semanticQuery, fusion, window, description, highlightQuery, vector, vectorField);
    }

    private static Query parentsOnly(Query query) {
        return new BooleanQuery.Builder().add(query, Occur.MUST).add(Queries.newNonNestedFilter(), Occur.FILTER).build();
    }

    @Override
    protected boolean doEquals(ShardFusionQueryBuilder other) {
        return lexical.equals(other.lexical)
            && semantic.equals(other.semantic)
            && lexicalField.equals(other.lexicalField)
            && textFieldGiven == other.textFieldGiven
            && fusion.equals(other.fusion)
            && window == other.window
            && description.equals(other.description)
            && highlight.equals(other.highlight)
            && Arrays.equals(vector, other.vector)
            && vectorField.equals(other.vectorField);
    }

    @Override
    protected int doHashCode() {
        return Objects.hash(lexical, semantic, lexicalField, textFieldGiven, fusion, window, description, highlight, Arrays.hashCode(vector), vectorField);
    }
}
