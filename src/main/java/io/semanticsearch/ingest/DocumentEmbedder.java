package io.semanticsearch.ingest;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.InputType;

import org.opensearch.common.Nullable;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.concurrency.OpenSearchRejectedExecutionException;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;
import org.opensearch.transport.client.Client;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Embeds the fields of a batch of ingest documents, for the {@code semantic_embed} and {@code semantic_text}
 * processors: looks up stored targets to reuse (when given a {@link StoredTargets}), cuts the texts left into
 * passages, embeds them with one model call per model, writes the targets and answers every document, each with its
 * own failure or none. Never blocks: the look-up and the inference are asynchronous. Immutable and thread-safe.
 */
final class DocumentEmbedder {

    // Two: one model call running and the next queued behind it, so the inference thread never waits for this request.
    private static final int SUB_BATCHES_IN_FLIGHT = 2;

    /**
     * What one field of one document may give to embed, checked before any of it is: its characters (before it is
     * cut, which costs time in proportion) and its passages (after).
     */
    record Limits(int maxChars, int maxPassages) {}

    private final EmbeddingService service;
    private final int batchSize;
    private final Limits limits;
    @Nullable
    private final StoredTargets storedTargets;
    @Nullable
    private final Client tasks;

    /**
     * @param service       the node's embedding service, whose ingest backlog every bulk is admitted into
     * @param batchSize     documents per model call of a bulk
     * @param limits        what one field of one document may give to embed; more fails that document first
     * @param storedTargets where stored documents are read for reuse; null to embed every field that has no value yet
     * @param tasks         the client that runs each bulk's inference as a {@link BulkInferenceAction} task; null to run
     *                      it without one (unit tests)
     */
    DocumentEmbedder(
        EmbeddingService service,
        int batchSize,
        Limits limits,
        @Nullable StoredTargets storedTargets,
        @Nullable Client tasks
    ) {
        this.service = service;
        this.batchSize = batchSize;
        this.limits = limits;
        this.storedTargets = storedTargets;
        this.tasks = tasks;
    }

    int batchSize() {
        return batchSize;
    }

    boolean readsStored() {
        return storedTargets != null;
    }

    /** One document (an index request, {@code _simulate}, or a processor under an {@code if}): a batch of one. */
    void runOne(
        IngestDocument document,
        Function<IngestDocumentWrapper, EmbedDocument> reader,
        BiConsumer<IngestDocument, Exception> handler
    ) {
        run(List.of(reader.apply(new IngestDocumentWrapper(0, 0, document, null))), () -> false, results -> {
            IngestDocumentWrapper result = results.get(0);
            handler.accept(result.getException() == null ? result.getIngestDocument() : null, result.getException());
        });
    }

    /** Reads every document of {@code wrappers} with {@code reader}. */
    static List<EmbedDocument> read(List<IngestDocumentWrapper> wrappers, Function<IngestDocumentWrapper, EmbedDocument> reader) {
        List<EmbedDocument> read = new ArrayList<>(wrappers.size());
        for (IngestDocumentWrapper wrapper : wrappers) {
            read.add(reader.apply(wrapper));
        }
        return read;
    }

    /**
     * Orders a whole bulk by the length of its text and runs it as sub-batches of {@code batchSize}, with at most
     * {@value #SUB_BATCHES_IN_FLIGHT} waiting for the inference pool at a time, starting the next as one finishes.
     * OpenSearch's own version cuts the bulk in arrival order and starts every sub-batch at once: a model call then
     * pads its short texts to its longest one (or runs them in small batches, which cost more per text), and a bulk
     * of a few thousand documents puts hundreds of model calls into the pool's queue (100 by default) to see most of
     * them rejected, when the pool runs one call at a time anyway. Results go back by slot, so their order does not
     * matter.
     */
    void runSorted(List<EmbedDocument> documents, Consumer<List<IngestDocumentWrapper>> handler) {
        if (documents.isEmpty()) {
            handler.accept(List.of());
            return;
        }
        if (service.admitBatch() == false) {
            // Waiting behind every bulk already admitted would take minutes: refuse now, the client retries later.
            OpenSearchRejectedExecutionException rejected = new OpenSearchRejectedExecutionException(
                "the ingest backlog of this node is full: [" + service.maxPendingBatches() + "] bulk requests are being embedded "
                    + "([plugins.semantic.ingest.max_pending_batches]); retry with back-off"
            );
            List<IngestDocumentWrapper> results = new ArrayList<>(documents.size());
            for (EmbedDocument document : documents) {
                document.failure = document.failure != null ? document.failure : rejected;
                results.add(document.result());
            }
            handler.accept(results);
            return;
        }
        AtomicBoolean released = new AtomicBoolean();
        Consumer<List<IngestDocumentWrapper>> releasing = results -> {
            if (released.compareAndSet(false, true)) {
                service.releaseBatch();
            }
            handler.accept(results);
        };
        List<EmbedDocument> sorted = new ArrayList<>(documents);
        sorted.sort(Comparator.comparingLong(EmbedDocument::textLength));
        List<List<EmbedDocument>> subBatches = new ArrayList<>();
        for (int from = 0; from < sorted.size(); from += batchSize) {
            subBatches.add(sorted.subList(from, Math.min(sorted.size(), from + batchSize)));
        }
        if (tasks == null) {
            new SubBatchRun(subBatches, () -> false, releasing).start();
            return;
        }
        AtomicBoolean started = new AtomicBoolean();
        String[] indices = indices(documents);
        BulkInferenceAction.Request request = new BulkInferenceAction.Request(
            indices,
            "embed " + documents.size() + " documents of a bulk into " + Arrays.toString(indices),
            (cancelled, done) -> {
                started.set(true);
                new SubBatchRun(subBatches, cancelled, results -> {
                    done.run();
                    releasing.accept(results);
                }).start();
            }
        );
        tasks.execute(BulkInferenceAction.INSTANCE, request, ActionListener.wrap(response -> {}, e -> {
            // Refused before it ran (the security plugin denies the action): every document fails with the reason.
            if (started.get() == false) {
                for (EmbedDocument document : documents) {
                    document.failure = document.failure != null ? document.failure : e;
                }
                releasing.accept(documents.stream().map(EmbedDocument::result).toList());
            }
        }));
    }

    private static String[] indices(List<EmbedDocument> documents) {
        return documents.stream().map(EmbedDocument::index).filter(Objects::nonNull).distinct().toArray(String[]::new);
    }

    /** Embeds and writes the targets of {@code documents}, first looking up their stored targets when configured. */
    void run(List<EmbedDocument> documents, BooleanSupplier cancelled, Consumer<List<IngestDocumentWrapper>> handler) {
        if (storedTargets == null) {
            embedAndWrite(documents, cancelled, handler);
            return;
        }
        // Only documents with something to embed are looked up: the others need nothing stored.
        List<IngestDocument> toLookUp = new ArrayList<>(documents.size());
        boolean any = false;
        for (EmbedDocument document : documents) {
            boolean needs = document.needsEmbedding();
            toLookUp.add(needs ? document.ingestDocument() : null);
            any |= needs;
        }
        if (any == false) {
            // Everything came with its passages (a _reindex): no look-up, and no hop to another thread.
            embedAndWrite(documents, cancelled, handler);
            return;
        }
        // The answer comes on a transport thread when a shard is on another node: cutting texts into passages there
        // would hold up the node's networking, so the rest runs on the generic pool.
        storedTargets.fetch(toLookUp, stored -> service.fork(() -> {
            try {
                for (int i = 0; i < documents.size(); i++) {
                    documents.get(i).reuse(stored.get(i));
                }
            } catch (RuntimeException e) {
                // Reuse is an optimisation: whatever went wrong, the documents are embedded afresh.
                for (EmbedDocument document : documents) {
                    for (EmbedField field : document.fields) {
                        field.value = null;
                    }
                }
            }
            embedAndWrite(documents, cancelled, handler);
        }));
    }

    /** What one model embeds for a batch: its texts, and the fields waiting for them. */
    private static final class ModelCall {
        final TextEmbedder embedder;
        final List<String> texts = new ArrayList<>();
        final List<EmbedDocument> documents = new ArrayList<>();

        ModelCall(TextEmbedder embedder) {
            this.embedder = embedder;
        }
    }

    private record ModelKey(EmbeddingModel model, InputType inputType) {}

    /** Embeds the texts of every field without a value, one model call per model, then writes the targets and answers. */
    private void embedAndWrite(List<EmbedDocument> documents, BooleanSupplier cancelled, Consumer<List<IngestDocumentWrapper>> handler) {
        Map<ModelKey, ModelCall> calls = new LinkedHashMap<>();
        for (EmbedDocument document : documents) {
            if (document.failure != null) {
                continue;
            }
            try {
                prepare(document, calls);
            } catch (RuntimeException e) {
                // Texts it already added are embedded for nothing; the other documents go on.
                document.failure = e;
            }
        }
        if (calls.isEmpty()) {
            answer(documents, handler);
            return;
        }
        AtomicInteger unfinished = new AtomicInteger(calls.size());
        for (ModelCall call : calls.values()) {
            // Once: the inference pool reports a failure of our own handler to the listener too, which must not answer twice.
            call.embedder.embed(call.texts, cancelled, ActionListener.notifyOnce(new ActionListener<>() {
                @Override
                public void onResponse(float[][] vectors) {
                    for (EmbedDocument document : call.documents) {
                        fill(document, call.embedder, vectors);
                    }
                    done();
                }

                @Override
                public void onFailure(Exception e) {
                    // The model call failed (a full inference pool, most often): the documents that needed it fail with it.
                    for (EmbedDocument document : call.documents) {
                        if (document.failure == null) {
                            document.failure = e;
                        }
                    }
                    done();
                }

                private void done() {
                    if (unfinished.decrementAndGet() == 0) {
                        answer(documents, handler);
                    }
                }
            }));
        }
    }

    /** Cuts the texts of each field still without a value into the model calls; checks the passage limit first. */
    private void prepare(EmbedDocument document, Map<ModelKey, ModelCall> calls) {
        List<TextEmbedder.Pending> pendings = new ArrayList<>(document.fields.size());
        for (EmbedField field : document.fields) {
            if (field.value == null && field.textLength() > limits.maxChars()) {
                throw new IllegalArgumentException(
                    "field [" + field.source + "] holds [" + field.textLength() + "] characters, more than the [" + limits.maxChars()
                        + "] of [plugins.semantic.ingest.max_text_chars]; split the document, or raise the setting"
                );
            }
            TextEmbedder.Pending pending = field.value == null ? field.embedder.prepare(field.text) : null;
            if (pending != null && pending.texts().size() > limits.maxPassages()) {
                throw new IllegalArgumentException(
                    "field [" + field.source + "] makes [" + pending.texts().size() + "] passages to embed, more than the ["
                        + limits.maxPassages() + "] of [plugins.semantic.ingest.max_passages_per_document]; split the document, raise "
                        + "[chunking.max_tokens], or raise the setting"
                );
            }
            pendings.add(pending);
        }
        for (int i = 0; i < document.fields.size(); i++) {
            EmbedField field = document.fields.get(i);
            TextEmbedder.Pending pending = pendings.get(i);
            if (pending == null) {
                continue;
            }
            if (pending.texts().isEmpty()) {
                // An empty array, or text without a single token: an empty target, no model call.
                field.value = pending.value(new float[0][], 0);
                continue;
            }
            ModelCall call = calls.computeIfAbsent(
                new ModelKey(field.embedder.model(), field.embedder.inputType()),
                k -> new ModelCall(field.embedder)
            );
            field.pending = pending;
            field.from = call.texts.size();
            call.texts.addAll(pending.texts());
            if (call.documents.isEmpty() || call.documents.get(call.documents.size() - 1) != document) {
                call.documents.add(document);
            }
        }
    }

    private static void fill(EmbedDocument document, TextEmbedder embedder, float[][] vectors) {
        for (EmbedField field : document.fields) {
            if (field.pending != null && field.value == null && sameModel(field.embedder, embedder)) {
                field.value = field.pending.value(vectors, field.from);
            }
        }
    }

    private static boolean sameModel(TextEmbedder a, TextEmbedder b) {
        return a.model() == b.model() && a.inputType() == b.inputType();
    }

    private static void answer(List<EmbedDocument> documents, Consumer<List<IngestDocumentWrapper>> handler) {
        List<IngestDocumentWrapper> results = new ArrayList<>(documents.size());
        for (EmbedDocument document : documents) {
            if (document.failure == null) {
                try {
                    document.write();
                } catch (RuntimeException e) {
                    // e.g. a target path that runs through a string: this document's problem only.
                    document.failure = e;
                }
            }
            results.add(document.result());
        }
        handler.accept(results);
    }

    /** The sub-batches of one {@link #runSorted} call, started a few at a time; the handler gets all results once. */
    private final class SubBatchRun {
        private final List<List<EmbedDocument>> subBatches;
        private final BooleanSupplier cancelled;
        private final Consumer<List<IngestDocumentWrapper>> handler;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger unfinished;
        private final List<IngestDocumentWrapper> results;

        SubBatchRun(List<List<EmbedDocument>> subBatches, BooleanSupplier cancelled, Consumer<List<IngestDocumentWrapper>> handler) {
            this.subBatches = subBatches;
            this.cancelled = cancelled;
            this.handler = handler;
            this.unfinished = new AtomicInteger(subBatches.size());
            this.results = Collections.synchronizedList(new ArrayList<>());
        }

        void start() {
            for (int i = 0; i < SUB_BATCHES_IN_FLIGHT; i++) {
                startNext();
            }
        }

        /**
         * Starts the next sub-batch, and goes on with the one after in a loop for as long as they finish before
         * {@link #run} returns (documents with nothing to embed): recursing instead would overflow the stack on a
         * bulk of many such documents. A sub-batch that finishes later starts the next from its handler.
         */
        void startNext() {
            for (int i = next.getAndIncrement(); i < subBatches.size(); i = next.getAndIncrement()) {
                // Whichever of the handler and this loop comes second starts the next sub-batch.
                AtomicBoolean handOver = new AtomicBoolean();
                run(subBatches.get(i), cancelled, subBatchResults -> {
                    results.addAll(subBatchResults);
                    if (unfinished.decrementAndGet() == 0) {
                        handler.accept(new ArrayList<>(results));
                    } else if (handOver.compareAndSet(false, true) == false) {
                        startNext();
                    }
                });
                if (handOver.compareAndSet(false, true)) {
                    return;
                }
            }
        }
    }
}
