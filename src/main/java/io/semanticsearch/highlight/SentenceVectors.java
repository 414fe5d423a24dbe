package io.semanticsearch.highlight;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.InputType;
import io.semanticsearch.embed.ModelIdentity;
import io.semanticsearch.query.QueryEmbedder;

import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.transport.client.Client;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The vectors of the sentences a {@code semantic_sentences} highlight ranks, made by the model the mapping names: on
 * this node, on the search lane through the query cache; on a node that loads no models ({@code
 * plugins.semantic.models.load: false}), on a node that does, as that node's query texts are. OpenSearch calls a
 * highlighter in the fetch phase and waits for its fragments, so this waits for the vectors too, at most
 * {@link #TIMEOUT_SECONDS}. Thread-safe; one per node.
 */
public final class SentenceVectors {

    static final long TIMEOUT_SECONDS = 30;

    private final EmbeddingService embeddings;
    private final QueryEmbedder queryEmbedder;
    private final Client client;

    public SentenceVectors(EmbeddingService embeddings, QueryEmbedder queryEmbedder, Client client) {
        this.embeddings = embeddings;
        this.queryEmbedder = queryEmbedder;
        this.client = client;
    }

    /**
     * One vector per sentence of {@code field} in {@code index}.
     *
     * @param model       the model the query's vector was made by, by name
     * @param fingerprint the files the mapping recorded for it; null where it recorded none
     * @throws IllegalArgumentException when this node's files of {@code model} are not the recorded ones (sentence
     *                                  vectors would be compared with the query's as if they were alike), or no
     *                                  node loads models
     */
    float[][] embed(String index, String field, String model, String fingerprint, List<String> sentences) {
        PlainActionFuture<float[][]> vectors = PlainActionFuture.newFuture();
        if (embeddings.registry().loadsModels()) {
            embeddings.embedCached(local(field, model, fingerprint), InputType.PASSAGE, sentences, () -> false, vectors);
        } else {
            queryEmbedder.embedSentencesElsewhere(index, field, model, fingerprint, sentences, client, vectors);
        }
        return vectors.actionGet(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private EmbeddingModel local(String field, String name, String fingerprint) {
        EmbeddingModel model = embeddings.model(name);
        try {
            new ModelIdentity(name, null, fingerprint).requireSameFiles(model, queryEmbedder.nodeName());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("[highlight] [type] [" + SemanticSentenceHighlighter.NAME + "] on [" + field + "]: " + e.getMessage(), e);
        }
        return model;
    }
}
