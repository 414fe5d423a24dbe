package io.semanticsearch.query;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.InputType;
import io.semanticsearch.embed.NodesWithModels;
import io.semanticsearch.mapper.MappedModels;
import io.semanticsearch.mapper.SemanticTextFieldMapper.SemanticTextFieldType;
import io.semanticsearch.mapper.SemanticVectorFieldType;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.action.IndicesRequest;
import org.opensearch.action.support.ThreadedActionListener;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.core.action.ActionListener;
import org.opensearch.index.query.QueryCoordinatorContext;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.client.Client;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns the text of a {@code semantic} query into a vector once per search request, on the coordinating node, with
 * the model of the field searched. The coordinator has no mapper service for the searched indices, so it reads the
 * field's {@code model} from their mappings in the cluster state (every {@code semantic_vector} mapping stores the
 * model it resolved); the shards then check that the vector was made by their field's model. Thread-safe.
 */
public final class QueryEmbedder {

    private static final Logger logger = LogManager.getLogger(QueryEmbedder.class);
    /** Marks, in {@link #fieldModels}, a field that has no model. */
    private static final String NO_MODEL = "";

    private final EmbeddingService embeddings;
    private final ClusterService clusterService;
    private final IndexNameExpressionResolver indexResolver;
    private final ThreadPool threadPool;
    private final MappedModels mappedModels = new MappedModels();

    public QueryEmbedder(
        EmbeddingService embeddings,
        ClusterService clusterService,
        IndexNameExpressionResolver indexResolver,
        ThreadPool threadPool
    ) {
        this.embeddings = embeddings;
        this.clusterService = clusterService;
        this.indexResolver = indexResolver;
        this.threadPool = threadPool;
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
        QueryModel wanted = wantedModel(field, requested, context);
        if (wanted.name() == null) {
            try {
                return embeddings.model(null);
            } catch (IllegalStateException e) {
                throw new IllegalArgumentException("[semantic] cannot embed [query] text: " + e.getMessage(), e);
            }
        }
        return wanted.fingerprint() == null ? namedModel(field, wanted.name()) : identifiedModel(field, wanted.name(), wanted.fingerprint());
    }

    /**
     * The model a query text for {@code field} must be embedded with, by identity, without looking at this node's
     * models: {@code name} null for the default model (a field that names none), {@code fingerprint} null where the
     * mapping recorded none.
     */
    record QueryModel(String field, String name, String fingerprint) {}

    QueryModel wantedModel(String field, String requested, QueryRewriteContext context) {
        if (requested != null) {
            return new QueryModel(field, requested, null);
        }
        QueryShardContext shard = context.convertToShardContext();
        if (shard != null) {
            if (shard.fieldMapper(field) instanceof SemanticTextFieldType text) {
                return new QueryModel(field, text.options().model(), text.options().fingerprint());
            }
            SemanticVectorFieldType fieldType = ShardVectorQuery.semanticField(shard, field);
            return new QueryModel(field, fieldType.modelName() == null ? NO_MODEL : fieldType.modelName(), null);
        }
        Map<String, String> fingerprints = new TreeMap<>();
        Map<String, String> models = fieldModels(field, searchRequest(context), fingerprints);
        TreeSet<String> distinct = new TreeSet<>(models.values());
        if (distinct.size() > 1) {
            throw new IllegalArgumentException(
                "[semantic] field [" + field + "] is embedded with different models in the searched indices " + models
                    + ": search them separately, or with [vector]"
            );
        }
        if (distinct.isEmpty() == false) {
            TreeSet<String> distinctFingerprints = new TreeSet<>(fingerprints.values());
            if (distinctFingerprints.size() > 1) {
                throw new IllegalArgumentException(
                    "[semantic] field [" + field + "] is embedded with different files of model [" + distinct.first()
                        + "] in the searched indices " + fingerprints + ": search them separately"
                );
            }
            if (NO_MODEL.equals(distinct.first())) {
                namedModel(field, NO_MODEL); // throws, naming the field
            }
            return new QueryModel(field, distinct.first(), distinctFingerprints.isEmpty() ? null : distinctFingerprints.first());
        }
        return new QueryModel(field, null, null);
    }

    /** Whether this node embeds query texts itself; one that loads no models sends them to a node that does. */
    boolean loadsModels() {
        return embeddings.registry().loadsModels();
    }

    /**
     * Embeds {@code text} on a node that loads models (the same node for the same text, so that its query cache
     * answers a text asked again), for a node that loads none.
     */
    void embedElsewhere(QueryModel model, String[] indices, String text, Client client, ActionListener<RemoteQueryEmbedAction.Response> listener) {
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
            new QueryModel(field, model, fingerprint),
            new String[] { index },
            InputType.PASSAGE,
            sentences,
            "[highlight] cannot embed the sentences of [" + field + "]:",
            client,
            ActionListener.map(listener, RemoteQueryEmbedAction.Response::vectors)
        );
    }

    private void embedElsewhere(
        QueryModel model,
        String[] indices,
        InputType type,
        List<String> texts,
        String failurePrefix,
        Client client,
        ActionListener<RemoteQueryEmbedAction.Response> listener
    ) {
        DiscoveryNode target;
        try {
            target = NodesWithModels.target(clusterService, texts.hashCode(), failurePrefix);
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
        embeddings.embedCached(
            model,
            request.inputType(),
            request.texts(),
            () -> false,
            ActionListener.map(listener, vectors -> new RemoteQueryEmbedAction.Response(vectors, model.name()))
        );
    }

    /** The indices a search covers, for actions it starts; empty where that is not known. */
    String[] searchedIndices(QueryRewriteContext context) {
        IndicesRequest request = searchRequest(context);
        return request == null ? new String[0] : request.indices();
    }

    /**
     * The model of a {@code semantic_text} field: the one of that name on this node, if its files are the ones the
     * mapping recorded; query vectors of other files would be compared with the documents' as if they were alike.
     */
    private EmbeddingModel identifiedModel(String field, String model, String fingerprint) {
        EmbeddingModel local = namedModel(field, model);
        if (local.fingerprint().equals(fingerprint) == false) {
            throw new IllegalArgumentException(
                "[semantic] cannot embed [query] text for field [" + field + "] on node [" + clusterService.getNodeName() + "]: its model ["
                    + model + "] has fingerprint [" + local.fingerprint() + "] here, but the mapping records [" + fingerprint
                    + "]; give every node the same files for [" + model + "], or search with [vector]"
            );
        }
        return local;
    }

    private EmbeddingModel namedModel(String field, String model) {
        if (NO_MODEL.equals(model)) {
            throw new IllegalArgumentException(
                "[semantic] field ["
                    + field
                    + "] has no model to embed [query] text with: its mapping gives only [dims]; "
                    + "search it with [vector] or [like], or map it with a [model]"
            );
        }
        return embeddings.model(model);
    }

    /**
     * The one index a {@code like} without {@code _index} reads from: the index being searched.
     *
     * @throws IllegalArgumentException when the search covers more than one index, or it is not known which
     */
    String searchedIndex(QueryRewriteContext context) {
        QueryShardContext shard = context.convertToShardContext();
        if (shard != null) {
            return shard.index().getName();
        }
        IndicesRequest request = searchRequest(context);
        String[] indices = request == null ? new String[0] : concreteIndices(request);
        if (indices.length != 1) {
            throw new IllegalArgumentException(
                "[semantic] [like] needs [_index] when the search does not cover exactly one index, got " + List.of(indices)
            );
        }
        return indices[0];
    }

    private static IndicesRequest searchRequest(QueryRewriteContext context) {
        QueryCoordinatorContext coordinator = context.convertToCoordinatorContext();
        return coordinator == null ? null : coordinator.getSearchRequest();
    }

    private String[] concreteIndices(IndicesRequest request) {
        try {
            return indexResolver.concreteIndexNames(clusterService.state(), request);
        } catch (RuntimeException e) {
            // e.g. remote cluster indices or a missing index: the search itself reports the latter
            logger.debug("cannot resolve the indices of a semantic query", e);
            return new String[0];
        }
    }

    /**
     * Index name to the model of {@code field} there ({@link #NO_MODEL} when it has none), for indices mapping it as
     * {@code semantic_vector} or {@code semantic_text}; the latter's recorded fingerprints go into {@code fingerprints}.
     */
    Map<String, String> fieldModels(String field, IndicesRequest request, Map<String, String> fingerprints) {
        Map<String, String> models = new TreeMap<>();
        if (request == null) {
            return models;
        }
        ClusterState state = clusterService.state();
        for (String index : concreteIndices(request)) {
            IndexMetadata metadata = state.metadata().index(index);
            if (metadata == null) {
                continue;
            }
            MappedModels.MappedModel found = mappedModels.of(metadata, field);
            if (found.embedded()) {
                models.put(index, found.model() == null ? NO_MODEL : found.model());
                if (found.fingerprint() != null) {
                    fingerprints.put(index, found.fingerprint());
                }
            }
        }
        return models;
    }
}
