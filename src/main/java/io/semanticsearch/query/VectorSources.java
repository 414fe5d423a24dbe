package io.semanticsearch.query;

import io.semanticsearch.embed.BertCharClasses;
import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.query.SemanticQueryBuilder.Like;

import org.apache.lucene.util.SetOnce;
import org.opensearch.action.get.GetRequest;
import org.opensearch.action.get.GetResponse;
import org.opensearch.core.action.ActionListener;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.search.fetch.subphase.FetchSourceContext;

import java.util.function.Supplier;

import static io.semanticsearch.query.SemanticQueryBuilder.NAME;

/**
 * Where a {@code semantic} query's vector comes from when the request does not give it: its text, embedded once on
 * the coordinating node, or the vector a stored document holds in the field ({@code like}). Each registers an async
 * action of the rewrite and answers its vector through the supplier once the action ran (null before).
 */
final class VectorSources {

    private VectorSources() {}

    /** The vector of {@code text}, embedded with {@code model} (through the query cache). */
    static Supplier<float[]> embed(QueryEmbedder embedder, EmbeddingModel model, String text, QueryRewriteContext context) {
        model.requireTokens(text, "[" + NAME + "] [query]");
        SetOnce<float[]> vector = new SetOnce<>();
        context.registerAsyncAction((client, listener) -> embedder.embed(model, text, ActionListener.map(listener, v -> {
            vector.set(v);
            return null;
        })));
        return vector::get;
    }

    /**
     * The vector of {@code text}, embedded on another node, for a node that loads no models; its model's name goes
     * into {@code modelName} for the shards to check.
     */
    static Supplier<float[]> embedElsewhere(
        QueryEmbedder embedder,
        QueryModels.QueryModel model,
        String text,
        SetOnce<String> modelName,
        QueryRewriteContext context
    ) {
        // The node that embeds applies its model's rule too; this catches the plainly blank without a round trip.
        if (BertCharClasses.hasContent(text) == false) {
            throw new IllegalArgumentException("[" + NAME + "] [query] has nothing to embed: it holds only spaces, control or invisible characters");
        }
        String[] indices = embedder.models().searchedIndices(context);
        SetOnce<float[]> vector = new SetOnce<>();
        context.registerAsyncAction((client, listener) -> embedder.embedElsewhere(model, indices, text, client, ActionListener.map(listener, r -> {
            modelName.set(r.model());
            vector.set(r.vectors()[0]);
            return null;
        })));
        return vector::get;
    }

    /** The vector of the liked document in {@code field}: read with a get of only its vector paths. */
    static Supplier<float[]> liked(Like like, String index, String field, QueryRewriteContext context) {
        GetRequest get = new GetRequest(index, like.id()).routing(like.routing())
            .fetchSourceContext(new FetchSourceContext(true, DocumentVectors.sourcePaths(field), null));
        SetOnce<float[]> vector = new SetOnce<>();
        context.registerAsyncAction((client, listener) -> client.get(get, ActionListener.map(listener, response -> {
            vector.set(likedVector(response, field));
            return null;
        })));
        return vector::get;
    }

    private static float[] likedVector(GetResponse response, String field) {
        String where = "[" + NAME + "] [like] document [" + response.getId() + "] in index [" + response.getIndex() + "]";
        if (response.isExists() == false) {
            throw new IllegalArgumentException(where + " does not exist");
        }
        return DocumentVectors.of(response.getSourceAsMap(), field, where);
    }
}
