package io.semanticsearch.query;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.InputType;
import io.semanticsearch.embed.ModelIdentity;
import io.semanticsearch.embed.NodesWithModels;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.action.support.ThreadedActionListener;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.core.action.ActionListener;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.client.Client;

import java.util.List;

/**
 * Turns the text of a {@code semantic} query into a vector once per search request, on the coordinating node, with
 * the model of the field searched ({@link QueryModels} says which, from the mappings); the shards then check that the
 * vector was made by their field's model. A node that loads no models has the text embedded by one that does
 * ({@link RemoteQueryEmbedAction}), and so are the sentences its shards highlight; this class also embeds what such
 * nodes send. Thread-safe.
 */
public final class QueryEmbedder {

    private static final Logger logger = LogManager.getLogger(QueryEmbedder.class);

    private final EmbeddingService embeddings;
    private final ClusterService clusterService;
    private final ThreadPool threadPool;
    private final QueryModels models;
    private final SearchedShards shards;

    public QueryEmbedder(
        EmbeddingService embeddings,
        ClusterService clusterService,
        IndexNameExpressionResolver indexResolver,
        ThreadPool threadPool
    ) {
        this.embeddings = embeddings;
        this.clusterService = clusterService;
        this.threadPool = threadPool;
        this.models = new QueryModels(clusterService, indexResolver);
        this.shards = new SearchedShards(clusterService, indexResolver);
    }

    /**
     * Embeds {@code text} as a query on the inference pool. The listener is answered on the search pool: the rest
     * of the search request's coordination continues on the listener's thread, and must not hold the inference one.
     */
    public void embed(EmbeddingModel model, String text, ActionListener<float[]> listener) {
        ActionListener<float[]> onSearchPool = new ThreadedActionListener<>(logger, threadPool, ThreadPool.Names.SEARCH, listener, false);
        embeddings.embedQuery(model, text, onSearchPool);
    }

    /**
     * The model to embed query text for {@code field} with: {@code requested} when the query names one, else the
     * field's model as seen from where the rewrite runs: the shard's mapping on a shard, the searched indices'
     * mappings on the coordinator, and the default model where neither is known (e.g. remote indices); the shards
     * check it in every case.
     *
     * @throws IllegalArgumentException when the field has no model or different ones in different indices, or the
     *                                  model is not loaded on this node
     */
    EmbeddingModel modelFor(String field, String requested, QueryRewriteContext context) {
        QueryModels.QueryModel wanted = models.wanted(field, requested, context);
        if (wanted.name() == null) {
            try {
                return embeddings.model(null);
            } catch (IllegalStateException e) {
                throw new IllegalArgumentException("[semantic] cannot embed [query] text: " + e.getMessage(), e);
            }
        }
        return wanted.fingerprint() == null ? namedModel(field, wanted.name()) : identifiedModel(field, wanted.name(), wanted.fingerprint());
    }

    /** Which shards a search reaches. */
    SearchedShards shards() {
        return shards;
    }

    /** Which model a query text for a field must be embedded with, read from the mappings. */
    QueryModels models() {
        return models;
    }

    /**
     * Whether this node embeds the query text for {@code field} itself: it loads models, among them the field's. One
     * that does not sends the text to a node that has the model.
     */
    boolean embedsHere(String field, String requested, QueryRewriteContext context) {
        if (loadsModels() == false) {
            return false;
        }
        String name = models.wanted(field, requested, context).name();
        return name == null
            || QueryModels.NO_MODEL.equals(name)
            || embeddings.registry().modelNames().contains(name)
            // No node has it: this node's answer names the models it does have.
            || NodesWithModels.holding(clusterService.state().nodes(), name).isEmpty();
    }

    /** Whether this node embeds query texts itself; one that loads no models sends them to a node that does. */
    boolean loadsModels() {
        return embeddings.registry().loadsModels();
    }

    /**
     * Embeds {@code text} on a node that loads models (the same node for the same text, so that its query cache
     * answers a text asked again), for a node that loads none.
     */
    void embedElsewhere(QueryModels.QueryModel model, String[] indices, String text, Client client, ActionListener<RemoteQueryEmbedAction.Response> listener) {
        embedElsewhere(model, indices, InputType.QUERY, List.of(text), "[semantic] cannot embed [query] text:", client, listener);
    }

    /**
     * Embeds the sentences a {@code semantic_sentences} highlight ranks on a node that loads models, for a node that
     * loads none: with the model the mapping of {@code field} in {@code index} names, checked against the fingerprint
     * it recorded (null where it recorded none). The same sentences go to the same node, whose query cache holds them.
     */
    public void embedSentencesElsewhere(
        String index,
        String field,
        String model,
        String fingerprint,
        List<String> sentences,
        Client client,
        ActionListener<float[][]> listener
    ) {
        embedElsewhere(
            new QueryModels.QueryModel(field, model, fingerprint),
            new String[] { index },
            InputType.PASSAGE,
            sentences,
            "[highlight] cannot embed the sentences of [" + field + "]:",
            client,
            ActionListener.map(listener, RemoteQueryEmbedAction.Response::vectors)
        );
    }

    private void embedElsewhere(
        QueryModels.QueryModel model,
        String[] indices,
        InputType type,
        List<String> texts,
        String failurePrefix,
        Client client,
        ActionListener<RemoteQueryEmbedAction.Response> listener
    ) {
        DiscoveryNode target;
        try {
            target = model.name() == null || QueryModels.NO_MODEL.equals(model.name())
                ? NodesWithModels.target(clusterService, texts.hashCode(), failurePrefix)
                : NodesWithModels.targetFor(clusterService, model.name(), texts.hashCode(), failurePrefix);
        } catch (IllegalArgumentException e) {
            listener.onFailure(e);
            return;
        }
        client.execute(
            RemoteQueryEmbedAction.INSTANCE,
            new RemoteQueryEmbedAction.Request(indices, model.field(), model.name(), model.fingerprint(), type, texts, target),
            listener
        );
    }

    /** Embeds, on this node, the texts another node sent ({@link RemoteQueryEmbedAction}), through the query cache. */
    void embedHere(RemoteQueryEmbedAction.Request request, ActionListener<RemoteQueryEmbedAction.Response> listener) {
        EmbeddingModel model;
        try {
            model = request.model() == null
                ? embeddings.model(null)
                : request.fingerprint() == null
                    ? namedModel(request.field(), request.model())
                    : identifiedModel(request.field(), request.model(), request.fingerprint());
        } catch (RuntimeException e) {
            listener.onFailure(e instanceof IllegalStateException ? new IllegalArgumentException(e.getMessage(), e) : e);
            return;
        }
        if (request.inputType() == InputType.QUERY) {
            try {
                model.requireTokens(request.texts().get(0), "[semantic] [query]");
            } catch (IllegalArgumentException e) {
                listener.onFailure(e);
                return;
            }
        }
        embeddings.embedCached(
            model,
            request.inputType(),
            request.texts(),
            () -> false,
            ActionListener.map(listener, vectors -> new RemoteQueryEmbedAction.Response(vectors, model.name()))
        );
    }

    /**
     * The model of a {@code semantic_text} field: the one of that name on this node, if its files are the ones the
     * mapping recorded; query vectors of other files would be compared with the documents' as if they were alike.
     */
    private EmbeddingModel identifiedModel(String field, String model, String fingerprint) {
        EmbeddingModel local = namedModel(field, model);
        try {
            new ModelIdentity(model, null, fingerprint).requireSameFiles(local, clusterService.getNodeName());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[semantic] cannot embed [query] text for field [" + field + "]: " + e.getMessage(), e);
        }
        return local;
    }

    /** This node's name, for messages that say where a model is missing or differs. */
    public String nodeName() {
        return clusterService.getNodeName();
    }

    private EmbeddingModel namedModel(String field, String model) {
        if (QueryModels.NO_MODEL.equals(model)) {
            throw QueryModels.noModel(field);
        }
        return embeddings.model(model);
    }
}
