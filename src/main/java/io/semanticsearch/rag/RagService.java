package io.semanticsearch.rag;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.ModelIdentity;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.action.support.ContextPreservingActionListener;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.tasks.TaskCancelledException;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.transport.client.Client;

import java.io.Closeable;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Answers a question from an index: reads the field's mapping, retrieves passages through the caller's client,
 * fits them into the context budget and hands them to the generator (extractive or an LLM connector). Every step
 * is asynchronous; the listener is called back in the caller's thread context. Thread-safe; one per node.
 */
public final class RagService implements Closeable {

    private static final Logger logger = LogManager.getLogger(RagService.class);

    private final EmbeddingService embeddings;
    private final LlmConnectors connectors;
    private final OpenAiChatClient chat;
    private final ExtractiveAnswerer extractive;
    private final String nodeName;

    public RagService(EmbeddingService embeddings, LlmConnectors connectors, OpenAiChatClient chat, String nodeName) {
        this.nodeName = nodeName;
        this.embeddings = embeddings;
        this.connectors = connectors;
        this.chat = chat;
        this.extractive = new ExtractiveAnswerer(embeddings);
    }

    public LlmConnectors connectors() {
        return connectors;
    }

    /**
     * The connector a request names, checked before any work is done.
     *
     * @return null for the extractive generator
     * @throws IllegalArgumentException naming {@code [generator]} when the connector is unknown or unusable
     */
    public LlmConnector connector(RagRequest request) {
        return ExtractiveAnswerer.NAME.equals(request.generator()) ? null : connectors.get(request.generator());
    }

    /**
     * Answers {@code request} over {@code indices}.
     *
     * @param client   the caller's client: its searches run with the caller's identity and permissions
     * @param registry parses the searches written in the query DSL
     * @throws IllegalArgumentException (to the listener) naming {@code [answer_model]} when this node has no such model
     */
    public void answer(Client client, NamedXContentRegistry registry, String[] indices, RagRequest request, ActionListener<RagResponse> listener) {
        answer(client, registry, indices, request, () -> false, listener);
    }

    /**
     * As {@link #answer(Client, NamedXContentRegistry, String[], RagRequest, ActionListener)}, for a caller that may
     * give up: {@code cancelled} is asked before generation starts and before each model run of it.
     */
    public void answer(
        Client client,
        NamedXContentRegistry registry,
        String[] indices,
        RagRequest request,
        BooleanSupplier cancelled,
        ActionListener<RagResponse> listener
    ) {
        ActionListener<RagResponse> respond = ContextPreservingActionListener.wrapPreservingContext(
            listener,
            client.threadPool().getThreadContext()
        );
        LlmConnector connector;
        try {
            connector = connector(request);
        } catch (IllegalArgumentException e) {
            respond.onFailure(e);
            return;
        }
        // A named answer model is resolved before any work, so that an unknown one is a 400 at once.
        EmbeddingModel namedAnswerModel;
        try {
            namedAnswerModel = request.answerModel() == null ? null : embeddings.model(request.answerModel());
        } catch (IllegalArgumentException e) {
            respond.onFailure(new IllegalArgumentException("[answer_model] " + e.getMessage(), e));
            return;
        }
        long start = System.nanoTime();
        Retriever retriever = new Retriever(client, registry);
        retriever.resolve(indices, request, ActionListener.wrap(field -> {
            EmbeddingModel model = embeddings.model(field.model());
            model.requireTokens(request.question(), "[question]");
            try {
                // Another model's files under the same name would embed the question unlike the passages.
                new ModelIdentity(field.model(), null, field.fingerprint()).requireSameFiles(model, nodeName);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("[field] [" + request.field() + "]: " + e.getMessage(), e);
            }
            RagRequest effective = request.forField(field);
            retriever.retrieve(indices, effective, field, ActionListener.wrap(passages -> {
                if (cancelled.getAsBoolean()) {
                    throw new TaskCancelledException("[_rag] was cancelled after retrieval");
                }
                List<Citation> citations = ContextWindow.fit(passages, model.tokenizer(), request.maxContextTokens());
                long generationStart = System.nanoTime();
                long retrievalMillis = TimeUnit.NANOSECONDS.toMillis(generationStart - start);
                EmbeddingModel answering = connector == null ? answeringModel(namedAnswerModel, model) : null;
                generate(request, connector, answering, citations, cancelled, ActionListener.wrap(generated -> {
                    if (cancelled.getAsBoolean()) {
                        // An LLM call is not stopped halfway; what it said is not wanted any more.
                        throw new TaskCancelledException("[_rag] was cancelled during generation");
                    }
                    long generationMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - generationStart);
                    respond.onResponse(
                        new RagResponse(
                            generated.answer,
                            citations,
                            request.generator(),
                            answering == null ? null : answering.name(),
                            retrievalMillis,
                            generationMillis,
                            generated.error
                        )
                    );
                }, respond::onFailure));
            }, respond::onFailure));
        }, respond::onFailure));
    }

    /**
     * The model the extractive answerer embeds the question and the sentences with: {@code named}, the request's
     * {@code answer_model}; else the field model's quantized variant where this node loaded one
     * ({@code quantized_from} in its model.json); else the field's model. The answerer needs the sentences' order by
     * similarity to the question, not reference vectors, and all-minilm-l6-v2-int8 scores them in half the time
     * with the same cite rates (docs/benchmarks.md, "_rag generation: the quantized variant scores").
     */
    private EmbeddingModel answeringModel(EmbeddingModel named, EmbeddingModel fieldModel) {
        if (named != null) {
            return named;
        }
        EmbeddingModel variant = embeddings.registry().quantizedVariant(fieldModel.name());
        return variant != null ? variant : fieldModel;
    }

    private record Generated(String answer, LlmException error) {}

    private void generate(
        RagRequest request,
        LlmConnector connector,
        EmbeddingModel model,
        List<Citation> citations,
        BooleanSupplier cancelled,
        ActionListener<Generated> listener
    ) {
        if (citations.isEmpty()) {
            // Nothing to answer from: asking an LLM anyway would only invite a guess.
            listener.onResponse(new Generated(ExtractiveAnswerer.NO_ANSWER, null));
            return;
        }
        if (connector == null) {
            extractive.answer(
                model,
                request.question(),
                citations,
                request.minScore(),
                cancelled,
                ActionListener.wrap(answer -> listener.onResponse(new Generated(answer, null)), listener::onFailure)
            );
            return;
        }
        chat.complete(connector, PromptBuilder.build(request.prompt(), request.question(), citations), new ActionListener<>() {
            @Override
            public void onResponse(String answer) {
                listener.onResponse(new Generated(answer, null));
            }

            @Override
            public void onFailure(Exception e) {
                // The citations are still worth having: a failed generation is reported, never turned into a 5xx.
                LlmException error = e instanceof LlmException llm
                    ? llm
                    : new LlmException(LlmException.CONNECTION, connector.redact("connector [" + connector.name() + "] failed: " + e));
                logger.warn("LLM connector [{}] gave no answer: [{}] {}", connector.name(), error.type(), error.getMessage());
                listener.onResponse(new Generated(null, error));
            }
        });
    }

    @Override
    public void close() {
        chat.close();
    }
}
