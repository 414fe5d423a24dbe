package io.semanticsearch.query;

import io.semanticsearch.WireFormat;
import io.semanticsearch.ranking.HybridRanking.Side;

import org.apache.lucene.search.Explanation;
import org.apache.lucene.search.Query;
import org.apache.lucene.util.BytesRef;
import org.opensearch.common.Nullable;
import org.opensearch.core.common.ParsingException;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.index.mapper.IdFieldMapper;
import org.opensearch.index.mapper.Uid;
import org.opensearch.index.query.AbstractQueryBuilder;
import org.opensearch.index.query.InnerHitContextBuilder;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.index.query.QueryShardContext;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What a {@code semantic} query with {@code hybrid} or {@code diversity} becomes on the coordinating node once its
 * sides have been searched, fused and reordered ({@link WholeResultRewrite}): the fused documents with their final scores, which every shard gives
 * its own of. Scores are therefore those of the whole result, the same on 1 shard and on 5. Internal: users write
 * {@code hybrid}, never this query.
 */
public final class FusedHitsQueryBuilder extends AbstractQueryBuilder<FusedHitsQueryBuilder> {

    public static final String NAME = "semantic_fused_hits";

    /** A fused document: where it is, its fused score, and what each side made of it (null where it was not found). */
    public record Hit(String index, String id, float score, @Nullable Side lexical, @Nullable Side semantic) {}

    private final List<Hit> hits;
    private final String fusion;
    // The BM25 side's query, for highlighters only.
    @Nullable
    private final QueryBuilder highlight;
    @Nullable
    private final Supplier<FusedHitsQueryBuilder> pending;
    // The semantic side's vector and field, for the semantic_sentences highlighter.
    private final float[] vector;
    private final String vectorField;
    // The semantic side, whose inner hits (a semantic_text field's passages) each fused hit brings; null while pending
    // and when sent by a plugin of wire format 3 or older.
    private final QueryBuilder semantic;

    FusedHitsQueryBuilder(List<Hit> hits, String fusion, @Nullable QueryBuilder highlight, SemanticQueryBuilder semantic) {
        this(hits, fusion, highlight, semantic.queryVector(), semantic.fieldName(), semantic);
    }

    private FusedHitsQueryBuilder(List<Hit> hits, String fusion, QueryBuilder highlight, float[] vector, String vectorField, QueryBuilder semantic) {
        this.hits = List.copyOf(hits);
        this.fusion = fusion;
        this.highlight = highlight;
        this.pending = null;
        this.vector = vector;
        this.vectorField = vectorField;
        this.semantic = semantic;
    }

    /** Stands in while the two searches run: the next rewrite round swaps in their fusion. */
    FusedHitsQueryBuilder(Supplier<FusedHitsQueryBuilder> pending) {
        this.hits = List.of();
        this.fusion = "pending";
        this.highlight = null;
        this.pending = pending;
        this.vector = null;
        this.vectorField = null;
        this.semantic = null;
    }

    public FusedHitsQueryBuilder(StreamInput in) throws IOException {
        super(in);
        int version = WireFormat.readHeader(in, NAME + " query");
        int count = in.readVInt();
        List<Hit> read = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            read.add(new Hit(in.readString(), in.readString(), in.readFloat(), readSide(in), readSide(in)));
        }
        this.hits = List.copyOf(read);
        this.fusion = in.readString();
        this.highlight = in.readOptionalNamedWriteable(QueryBuilder.class);
        this.pending = null;
        this.vector = in.readFloatArray();
        this.vectorField = in.readString();
        this.semantic = version >= WireFormat.FUSED_HITS_WITH_SEMANTIC_SIDE ? in.readNamedWriteable(QueryBuilder.class) : null;
    }

    private static Side readSide(StreamInput in) throws IOException {
        return in.readBoolean() ? new Side(in.readVInt(), in.readFloat()) : null;
    }

    @Override
    protected void doWriteTo(StreamOutput out) throws IOException {
        if (pending != null) {
            throw new IllegalStateException("[" + NAME + "] must be rewritten before it is sent");
        }
        WireFormat.writeHeader(out);
        out.writeVInt(hits.size());
        for (Hit hit : hits) {
            out.writeString(hit.index());
            out.writeString(hit.id());
            out.writeFloat(hit.score());
            writeSide(out, hit.lexical());
            writeSide(out, hit.semantic());
        }
        out.writeString(fusion);
        out.writeOptionalNamedWriteable(highlight);
        out.writeFloatArray(vector);
        out.writeString(vectorField);
        out.writeNamedWriteable(semantic);
    }

    private static void writeSide(StreamOutput out, Side side) throws IOException {
        out.writeBoolean(side != null);
        if (side != null) {
            out.writeVInt(side.rank());
            out.writeFloat(side.score());
        }
    }

    public List<Hit> hits() {
        return hits;
    }

    @Override
    public String getWriteableName() {
        return NAME;
    }

    public static FusedHitsQueryBuilder fromXContent(XContentParser parser) {
        throw new ParsingException(
            parser.getTokenLocation(),
            "[" + NAME + "] is what the [semantic] query's [hybrid] option becomes once fused; search with [semantic] and [hybrid] instead"
        );
    }

    @Override
    protected void doXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject(NAME);
        builder.field("fusion", fusion);
        builder.startArray("hits");
        for (Hit hit : hits) {
            builder.startObject().field("_index", hit.index()).field("_id", hit.id()).field("score", hit.score()).endObject();
        }
        builder.endArray();
        printBoostAndQueryName(builder);
        builder.endObject();
    }

    @Override
    protected QueryBuilder doRewrite(QueryRewriteContext context) throws IOException {
        if (pending == null) {
            if (semantic == null) {
                return this; // sent by an older plugin: its hits bring no passages
            }
            // On a shard, a semantic_text field's side becomes the nested query over its passages, with their inner hits.
            QueryBuilder rewritten = semantic.rewrite(context);
            return rewritten == semantic
                ? this
                : new FusedHitsQueryBuilder(hits, fusion, highlight, vector, vectorField, rewritten).boost(boost()).queryName(queryName());
        }
        FusedHitsQueryBuilder fused = pending.get();
        return fused == null ? this : fused.boost(boost()).queryName(queryName());
    }

    @Override
    protected void extractInnerHitBuilders(Map<String, InnerHitContextBuilder> innerHits) {
        if (semantic != null) {
            InnerHitContextBuilder.extractInnerHits(semantic, innerHits);
        }
    }

    @Override
    protected Query doToQuery(QueryShardContext context) throws IOException {
        if (pending != null) {
            throw new IllegalStateException("[" + NAME + "] must be rewritten before it runs");
        }
        String index = context.index().getName();
        List<BytesRef> ids = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Explanation> explanations = new ArrayList<>();
        for (Hit hit : hits) {
            if (hit.index().equals(index)) {
                ids.add(Uid.encodeId(hit.id()));
                scores.add(hit.score());
                // The BM25 query is there exactly when a BM25 side ran (hybrid): without one there is no side to explain.
                explanations.add(explain(hit.score(), fusion, highlight != null, hit.lexical(), hit.semantic()));
            }
        }
        float[] scoreArray = new float[scores.size()];
        for (int i = 0; i < scoreArray.length; i++) {
            scoreArray[i] = scores.get(i);
        }
        Query highlightQuery = highlight == null ? null : highlight.toQuery(context);
        return new FusedScoreQuery(IdFieldMapper.NAME, ids.toArray(BytesRef[]::new), scoreArray, explanations, highlightQuery, vector, vectorField);
    }

    /** How a document of a whole-result ranking got its score: the fusion, and what each side that ran made of it. */
    static Explanation explain(float score, String fusion, boolean lexicalRan, @Nullable Side lexical, @Nullable Side semantic) {
        String description = "ranked over the whole result: " + fusion;
        return lexicalRan
            ? Explanation.match(score, description, side(lexical, "bm25"), side(semantic, "semantic"))
            : Explanation.match(score, description, side(semantic, "semantic"));
    }

    private static Explanation side(Side side, String name) {
        return side == null
            ? Explanation.noMatch(name + ": not among its best documents (counted as its lowest)")
            : Explanation.match(side.score(), name + ": rank " + side.rank() + ", score before normalization");
    }

    @Override
    protected boolean doEquals(FusedHitsQueryBuilder other) {
        return hits.equals(other.hits)
            && fusion.equals(other.fusion)
            && Objects.equals(highlight, other.highlight)
            && Objects.equals(pending, other.pending)
            && Arrays.equals(vector, other.vector)
            && Objects.equals(vectorField, other.vectorField)
            && Objects.equals(semantic, other.semantic);
    }

    @Override
    protected int doHashCode() {
        return Objects.hash(hits, fusion, highlight, pending, Arrays.hashCode(vector), vectorField, semantic);
    }
}
