package io.semanticsearch.query;

import io.semanticsearch.WireFormat;
import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.mapper.SemanticTextFieldMapper.SemanticTextFieldType;

import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.Query;
import org.apache.lucene.util.SetOnce;
import org.opensearch.action.search.SearchRequest;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.index.query.AbstractQueryBuilder;
import org.opensearch.index.query.InnerHitContextBuilder;
import org.opensearch.index.query.MatchNoneQueryBuilder;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryBuilderVisitor;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.index.query.QueryShardContext;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The {@code semantic} query: the documents nearest in meaning to a text, a vector or another document, in one
 * {@code semantic_vector} field. Text and documents become a vector once per request, during the rewrite on the
 * coordinating node (see {@link QueryEmbedder}); only the vector travels to the shards, which run Lucene's kNN
 * search ({@code k} hits per shard from {@code num_candidates}, with {@code filter} applied during the graph
 * search) or, with {@code exact}, score every matching document.
 */
public final class SemanticQueryBuilder extends AbstractQueryBuilder<SemanticQueryBuilder> {

    public static final String NAME = "semantic";
    public static final int DEFAULT_K = 10;
    /** Most candidates one shard searches per segment: beyond this an exact search is cheaper and honest. */
    public static final int MAX_NUM_CANDIDATES = 10_000;
    private static final int MIN_DEFAULT_NUM_CANDIDATES = 100;

    /**
     * A stored document whose vector to search with; {@code index} null means the one index searched, {@code routing}
     * is the document's routing in an index with custom routing (else null).
     */
    public record Like(String id, String index, String routing) {
        public Like {
            Objects.requireNonNull(id, "id");
        }

        public Like(String id, String index) {
            this(id, index, null);
        }
    }

    private final Supplier<QueryEmbedder> embedder;
    private final String field;
    private final String text;
    private final float[] vector;
    private final Like like;
    /** The model that made {@link #vector}, or must embed {@link #text}; checked against the field's on the shards. */
    private String model;
    /** Filled by the rewrite's async action with the vector of {@link #text} or {@link #like}. */
    private final Supplier<float[]> pendingVector;
    private int k = DEFAULT_K;
    private Integer numCandidates;
    private QueryBuilder filter;
    private Float minScore;
    private boolean exact;
    private HybridOptions hybrid;
    private DiversityOptions diversity;
    // With a vector embedded on another node: the model that made it, known once it arrives.
    private Supplier<String> modelOnArrival;

    private SemanticQueryBuilder(
        Supplier<QueryEmbedder> embedder,
        String field,
        String text,
        float[] vector,
        Like like,
        String model,
        Supplier<float[]> pendingVector
    ) {
        if (field == null || field.isEmpty()) {
            throw new IllegalArgumentException("[" + NAME + "] requires [field]");
        }
        this.embedder = embedder;
        this.field = field;
        this.text = text;
        this.vector = vector;
        this.like = like;
        this.model = model;
        this.pendingVector = pendingVector;
    }

    /** Searches {@code field} with the embedding of {@code text}, made with the field's model. */
    public static SemanticQueryBuilder text(String field, String text, QueryEmbedder embedder) {
        return text(field, text, () -> embedder);
    }

    static SemanticQueryBuilder text(String field, String text, Supplier<QueryEmbedder> embedder) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("[" + NAME + "] [query] must not be empty");
        }
        int characters = text.codePointCount(0, text.length());
        if (characters > EmbeddingModel.MAX_QUERY_CHARS) {
            throw new IllegalArgumentException(
                "[" + NAME + "] [query] must be at most [" + EmbeddingModel.MAX_QUERY_CHARS + "] characters, got [" + characters + "]: the model reads "
                    + "only its first few hundred tokens; search with the passage that matters, or with [like]"
            );
        }
        return new SemanticQueryBuilder(embedder, field, text, null, null, null, null);
    }

    /** Searches {@code field} with a vector of its dims. */
    public static SemanticQueryBuilder vector(String field, float[] vector) {
        if (vector == null || vector.length == 0) {
            throw new IllegalArgumentException("[" + NAME + "] [vector] must not be empty");
        }
        return new SemanticQueryBuilder(null, field, null, vector, null, null, null);
    }

    /** Searches {@code field} with the vector stored in that field of another document. */
    public static SemanticQueryBuilder like(String field, Like like, QueryEmbedder embedder) {
        return like(field, like, () -> embedder);
    }

    static SemanticQueryBuilder like(String field, Like like, Supplier<QueryEmbedder> embedder) {
        return new SemanticQueryBuilder(embedder, field, null, null, like, null, null);
    }

    /** Reads a rewritten query: only vectors are ever sent (see {@link #doWriteTo}). */
    public SemanticQueryBuilder(StreamInput in, Supplier<QueryEmbedder> embedder) throws IOException {
        super(in);
        WireFormat.readHeader(in, NAME + " query");
        this.embedder = embedder;
        this.field = in.readString();
        this.text = null;
        this.like = null;
        this.pendingVector = null;
        this.vector = in.readFloatArray();
        this.model = in.readOptionalString();
        this.k = in.readVInt();
        this.numCandidates = in.readOptionalVInt();
        this.filter = in.readOptionalNamedWriteable(QueryBuilder.class);
        this.minScore = in.readOptionalFloat();
        this.exact = in.readBoolean();
    }

    @Override
    protected void doWriteTo(StreamOutput out) throws IOException {
        if (hybrid != null || diversity != null) {
            throw new IllegalStateException(
                "[" + NAME + "] [hybrid] and [diversity] rank on the coordinating node before the query is sent: missing rewrite?"
            );
        }
        if (vector == null) {
            // Embedding per shard would cost one inference per shard and could differ between nodes.
            throw new IllegalStateException("[" + NAME + "] query text or [like] must be turned into a vector before it is sent: missing rewrite?");
        }
        WireFormat.writeHeader(out);
        out.writeString(field);
        out.writeFloatArray(vector);
        out.writeOptionalString(model);
        out.writeVInt(k);
        out.writeOptionalVInt(numCandidates);
        out.writeOptionalNamedWriteable(filter);
        out.writeOptionalFloat(minScore);
        out.writeBoolean(exact);
    }

    private SemanticQueryBuilder copy(float[] vector, String model, Supplier<float[]> pendingVector, QueryBuilder filter) {
        String keptText = vector == null ? text : null;
        Like keptLike = vector == null ? like : null;
        SemanticQueryBuilder copy = new SemanticQueryBuilder(embedder, field, keptText, vector, keptLike, model, pendingVector);
        copy.k = k;
        copy.numCandidates = numCandidates;
        copy.filter = filter;
        copy.minScore = minScore;
        copy.exact = exact;
        copy.hybrid = hybrid;
        copy.diversity = diversity;
        copy.modelOnArrival = vector == null ? modelOnArrival : null;
        copy.boost(boost());
        copy.queryName(queryName());
        return copy;
    }

    public String fieldName() {
        return field;
    }

    public String queryText() {
        return text;
    }

    /** The query vector, or {@code null} until text or {@code like} has been rewritten into one. */
    public float[] queryVector() {
        return vector;
    }

    public Like likeDocument() {
        return like;
    }

    public String model() {
        return model;
    }

    public int k() {
        return k;
    }

    /** At most {@link #MAX_NUM_CANDIDATES}; at least 1; {@code numCandidates}, when set, must not be smaller. */
    public SemanticQueryBuilder k(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("[" + NAME + "] [k] must be at least 1, got [" + k + "]");
        }
        if (k > MAX_NUM_CANDIDATES) {
            throw new IllegalArgumentException("[" + NAME + "] [k] must be at most " + MAX_NUM_CANDIDATES + ", got [" + k + "]");
        }
        checkCandidates(k, numCandidates);
        this.k = k;
        return this;
    }

    /** Candidates each segment's graph search collects before the best {@code k} are kept; defaults to max(100, 2k). */
    public int numCandidates() {
        return numCandidates != null ? numCandidates : Math.min(MAX_NUM_CANDIDATES, Math.max(MIN_DEFAULT_NUM_CANDIDATES, 2 * k));
    }

    public SemanticQueryBuilder numCandidates(int numCandidates) {
        if (numCandidates > MAX_NUM_CANDIDATES) {
            throw new IllegalArgumentException(
                "[" + NAME + "] [num_candidates] must be at most " + MAX_NUM_CANDIDATES + ", got [" + numCandidates + "]"
            );
        }
        checkCandidates(k, numCandidates);
        this.numCandidates = numCandidates;
        return this;
    }

    private static void checkCandidates(int k, Integer numCandidates) {
        if (numCandidates != null && numCandidates < k) {
            throw new IllegalArgumentException(
                "[" + NAME + "] [num_candidates] must be at least [k] = [" + k + "], got [" + numCandidates + "]"
            );
        }
    }

    public QueryBuilder filter() {
        return filter;
    }

    /** Only documents matching {@code filter} are candidates; it is applied during the graph search, not after it. */
    public SemanticQueryBuilder filter(QueryBuilder filter) {
        this.filter = filter;
        return this;
    }

    public Float minScore() {
        return minScore;
    }

    /** Drops hits whose similarity score (before {@code boost}) is under {@code minScore}. */
    public SemanticQueryBuilder minScore(float minScore) {
        if (Float.isFinite(minScore) == false || minScore < 0) {
            throw new IllegalArgumentException(
                "[" + NAME + "] [min_score] must be a finite number of at least 0 (similarity scores are never negative), got [" + minScore + "]"
            );
        }
        this.minScore = minScore;
        return this;
    }

    public boolean exact() {
        return exact;
    }

    /** Scores every document that has a vector and passes the filter exactly, instead of searching the graph. */
    public SemanticQueryBuilder exact(boolean exact) {
        this.exact = exact;
        return this;
    }

    /** The model that must have made the vector (checked on the shards); with text, the model to embed it with. */
    public SemanticQueryBuilder model(String model) {
        this.model = model;
        return this;
    }

    /** Fuse with BM25 over the whole result (see {@link WholeResultRewrite}); null for the semantic ranking alone. */
    public HybridOptions hybrid() {
        return hybrid;
    }

    public SemanticQueryBuilder hybrid(HybridOptions hybrid) {
        if (hybrid != null && text == null) {
            throw new IllegalArgumentException("[" + NAME + "] [hybrid] needs [query]: its text is what BM25 searches, which a [vector] or [like] has none of");
        }
        this.hybrid = hybrid;
        return this;
    }

    /** Reorder the best documents by maximal marginal relevance (see {@link WholeResultRewrite}); null for no. */
    public DiversityOptions diversity() {
        return diversity;
    }

    public SemanticQueryBuilder diversity(DiversityOptions diversity) {
        this.diversity = diversity;
        return this;
    }

    @Override
    public String getWriteableName() {
        return NAME;
    }

    public static SemanticQueryBuilder fromXContent(XContentParser parser, Supplier<QueryEmbedder> embedder) throws IOException {
        return SemanticQueryParser.parse(parser, embedder);
    }

    @Override
    protected void doXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject(NAME);
        builder.field("field", field);
        if (text != null) {
            builder.field("query", text);
        }
        if (vector != null) {
            builder.array("vector", vector);
        }
        if (like != null) {
            builder.startObject("like").field("_id", like.id());
            if (like.index() != null) {
                builder.field("_index", like.index());
            }
            if (like.routing() != null) {
                builder.field("routing", like.routing());
            }
            builder.endObject();
        }
        if (model != null) {
            builder.field("model", model);
        }
        builder.field("k", k);
        if (numCandidates != null) {
            builder.field("num_candidates", numCandidates);
        }
        if (filter != null) {
            builder.field("filter", filter);
        }
        if (minScore != null) {
            builder.field("min_score", minScore);
        }
        if (exact) {
            builder.field("exact", true);
        }
        if (hybrid != null) {
            hybrid.toXContent(builder, params);
        }
        if (diversity != null) {
            diversity.toXContent(builder, params);
        }
        printBoostAndQueryName(builder);
        builder.endObject();
    }

    @Override
    protected QueryBuilder doRewrite(QueryRewriteContext context) throws IOException {
        if (filter != null) {
            QueryBuilder rewrittenFilter = filter.rewrite(context);
            if (rewrittenFilter instanceof MatchNoneQueryBuilder) {
                return rewrittenFilter;
            }
            if (rewrittenFilter != filter) {
                return copy(vector, model, pendingVector, rewrittenFilter);
            }
        }
        if (pendingVector != null) {
            float[] fetched = pendingVector.get();
            if (fetched == null) {
                return this;
            }
            String madeBy = modelOnArrival == null ? null : modelOnArrival.get();
            SemanticQueryBuilder withVector = copy(fetched, madeBy != null ? madeBy : model, null, filter);
            // The text is still known here, and only here: the vector query that goes on no longer carries it.
            return hybrid == null && diversity == null ? withVector : wholeResult(withVector, text, context);
        }
        if (vector != null) {
            if (diversity != null) {
                return wholeResult(copy(vector, model, null, filter), null, context);
            }
            QueryShardContext shard = context.convertToShardContext();
            if (shard != null && shard.fieldMapper(field) instanceof SemanticTextFieldType semanticText) {
                return PassageQueryRewrite.rewrite(this, semanticText, shard);
            }
            return this;
        }
        if (text != null) {
            QueryEmbedder queryEmbedder = embedder();
            if (queryEmbedder.embedsHere(field, model, context) == false) {
                return textEmbeddedElsewhere(queryEmbedder, context);
            }
            EmbeddingModel embeddingModel = queryEmbedder.modelFor(field, model, context);
            return copy(null, embeddingModel.name(), VectorSources.embed(queryEmbedder, embeddingModel, text, context), filter);
        }
        QueryModels models = embedder().models();
        String index = like.index() != null ? like.index() : models.searchedIndex(context);
        // The liked document's vectors are its field's model's: the shards compare that model with theirs.
        String likedModel = models.modelOf(index, field, model);
        return copy(null, likedModel, VectorSources.liked(like, index, field, context), filter);
    }

    /**
     * On a node that loads no models: the text goes to a node that does, and the query waits for its vector and the
     * name of the model that made it (which the shards check) before it goes on.
     */
    private QueryBuilder textEmbeddedElsewhere(QueryEmbedder queryEmbedder, QueryRewriteContext context) {
        QueryModels.QueryModel wanted = queryEmbedder.models().wanted(field, model, context);
        SetOnce<String> madeBy = new SetOnce<>();
        Supplier<float[]> vector = VectorSources.embedElsewhere(queryEmbedder, wanted, text, madeBy, context);
        SemanticQueryBuilder pending = copy(null, wanted.name(), vector, filter);
        pending.modelOnArrival = madeBy::get;
        return pending;
    }

    /** Hands a query with {@code hybrid} or {@code diversity} to the coordinating node's ranking of the whole result. */
    private QueryBuilder wholeResult(SemanticQueryBuilder withVector, String queryText, QueryRewriteContext context) {
        withVector.hybrid = null;
        withVector.diversity = null;
        QueryEmbedder queryEmbedder = embedder == null ? null : embedder.get();
        Predicate<SearchRequest> oneShard = queryEmbedder == null ? search -> false : queryEmbedder.shards()::reachesOne;
        return WholeResultRewrite.start(withVector, queryText, hybrid, diversity, filter, oneShard, context).boost(boost()).queryName(queryName());
    }

    private QueryEmbedder embedder() {
        QueryEmbedder queryEmbedder = embedder == null ? null : embedder.get();
        if (queryEmbedder == null) {
            throw new IllegalStateException("[" + NAME + "] query was built without a query embedder, so it can only search with [vector]");
        }
        return queryEmbedder;
    }


    @Override
    protected Query doToQuery(QueryShardContext context) throws IOException {
        if (vector == null) {
            throw new IllegalStateException("[" + NAME + "] query must be rewritten into a vector before it runs");
        }
        return ShardVectorQuery.build(this, context);
    }

    @Override
    public void visit(QueryBuilderVisitor visitor) {
        visitor.accept(this);
        if (filter != null) {
            filter.visit(visitor.getChildVisitor(BooleanClause.Occur.FILTER));
        }
    }

    @Override
    protected void extractInnerHitBuilders(Map<String, InnerHitContextBuilder> innerHits) {
        if (filter != null) {
            InnerHitContextBuilder.extractInnerHits(filter, innerHits);
        }
    }

    @Override
    protected boolean doEquals(SemanticQueryBuilder other) {
        return field.equals(other.field)
            && Objects.equals(text, other.text)
            && Arrays.equals(vector, other.vector)
            && Objects.equals(like, other.like)
            && Objects.equals(model, other.model)
            && Objects.equals(pendingVector, other.pendingVector)
            && k == other.k
            && Objects.equals(numCandidates, other.numCandidates)
            && Objects.equals(filter, other.filter)
            && Objects.equals(minScore, other.minScore)
            && exact == other.exact
            && Objects.equals(hybrid, other.hybrid)
            && Objects.equals(diversity, other.diversity);
    }

    @Override
    protected int doHashCode() {
        return Objects.hash(field, text, Arrays.hashCode(vector), like, model, pendingVector, k, numCandidates, filter, minScore, exact, hybrid, diversity);
    }
}
