package io.semanticsearch.ingest;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.InputType;

import org.opensearch.common.Nullable;
import org.opensearch.core.action.ActionListener;
import org.opensearch.ingest.AbstractBatchingProcessor;
import org.opensearch.ingest.ConfigurationUtils;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;
import org.opensearch.ingest.Processor;
import org.opensearch.transport.client.Client;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

import static org.opensearch.ingest.ConfigurationUtils.newConfigurationException;

/**
 * The {@value #TYPE} ingest processor: writes the embedding of each source field of {@code field_map} into its target
 * field, as one vector per string or, with {@code chunking}, as an array of passages with their vectors (see
 * docs/ingest.md). The documents of a bulk request are embedded together, {@code batch_size} documents per model call,
 * through OpenSearch's batch ingest path; a lone document and {@code _simulate} take the same path alone.
 *
 * <p>Never blocks: the look-up of stored documents ({@code skip_existing}) and the inference are asynchronous, and the
 * handler is answered on the inference pool (the rest of the pipeline then runs there until OpenSearch hands the
 * bulk back to its write pool; cheap next to inference). A document whose fields cannot be embedded fails alone.
 * Immutable and thread-safe: one instance serves every ingest thread.
 */
public final class SemanticEmbedProcessor extends AbstractBatchingProcessor {

    public static final String TYPE = "semantic_embed";
    /** Beside each target field, with {@code skip_existing}: the hash of what its value was embedded from. */
    public static final String HASH_SUFFIX = "_hash";
    /**
     * Documents per model call when the pipeline names none. Bigger than OpenSearch's 1 because a model call per
     * document wastes most of the model's time (a batch of one text runs several times slower per text).
     */
    public static final int DEFAULT_BATCH_SIZE = 32;
    // Two: one model call running and the next queued behind it, so the inference thread never waits for this request.
    private static final int SUB_BATCHES_IN_FLIGHT = 2;

    private final Map<String, String> fieldMap;
    private final boolean ignoreMissing;
    private final TextEmbedder embedder;
    @Nullable
    private final StoredTargets storedTargets;

    SemanticEmbedProcessor(
        String tag,
        String description,
        int batchSize,
        Map<String, String> fieldMap,
        boolean ignoreMissing,
        TextEmbedder embedder,
        @Nullable StoredTargets storedTargets
    ) {
        super(tag, description, batchSize);
        this.fieldMap = Collections.unmodifiableMap(new LinkedHashMap<>(fieldMap));
        this.ignoreMissing = ignoreMissing;
        this.embedder = embedder;
        this.storedTargets = storedTargets;
    }

    @Override
    public String getType() {
        return TYPE;
    }

    Map<String, String> fieldMap() {
        return fieldMap;
    }

    boolean ignoreMissing() {
        return ignoreMissing;
    }

    boolean skipExisting() {
        return storedTargets != null;
    }

    int batchSize() {
        return batchSize;
    }

    TextEmbedder embedder() {
        return embedder;
    }

    @Override
    public IngestDocument execute(IngestDocument document) {
        throw new UnsupportedOperationException("[" + TYPE + "] embeds asynchronously: call execute(IngestDocument, BiConsumer)");
    }

    /** One document (an index request, {@code _simulate}, or a processor under an {@code if}): a batch of one. */
    @Override
    public void execute(IngestDocument document, BiConsumer<IngestDocument, Exception> handler) {
        subBatchExecute(List.of(new IngestDocumentWrapper(0, 0, document, null)), results -> {
            IngestDocumentWrapper result = results.get(0);
            handler.accept(result.getException() == null ? result.getIngestDocument() : null, result.getException());
        });
    }

    /**
     * Reads every document, orders them by the length of their text and runs them as sub-batches of {@code batch_size},
     * with at most {@value #SUB_BATCHES_IN_FLIGHT} waiting for the inference pool at a time, starting the next as one
     * finishes. OpenSearch's own version cuts the bulk in arrival order and starts every sub-batch at once: a model
     * call then pads its short texts to its longest one (or runs them in small batches, which cost more per text), and
     * a bulk of a few thousand documents puts hundreds of model calls into the pool's queue (100 by default) to see
     * most of them rejected, when the pool runs one call at a time anyway (by default). Results go back by slot, so
     * their order does not matter.
     */
    @Override
    public void batchExecute(List<IngestDocumentWrapper> wrappers, Consumer<List<IngestDocumentWrapper>> handler) {
        if (wrappers.isEmpty()) {
            handler.accept(List.of());
            return;
        }
        List<Document> documents = new ArrayList<>(wrappers.size());
        for (IngestDocumentWrapper wrapper : wrappers) {
            documents.add(read(wrapper));
        }
        documents.sort(Comparator.comparingLong(Document::textLength));
        List<List<Document>> subBatches = new ArrayList<>();
        for (int from = 0; from < documents.size(); from += batchSize) {
            subBatches.add(documents.subList(from, Math.min(documents.size(), from + batchSize)));
        }
        SubBatchRun run = new SubBatchRun(subBatches, handler);
        for (int i = 0; i < SUB_BATCHES_IN_FLIGHT; i++) {
            run.startNext();
        }
    }

    @Override
    protected void subBatchExecute(List<IngestDocumentWrapper> batch, Consumer<List<IngestDocumentWrapper>> handler) {
        List<Document> documents = new ArrayList<>(batch.size());
        for (IngestDocumentWrapper wrapper : batch) {
            documents.add(read(wrapper));
        }
        process(documents, handler);
    }

    /** Embeds and writes the targets of {@code documents}, first looking up their stored targets with {@code skip_existing}. */
    private void process(List<Document> documents, Consumer<List<IngestDocumentWrapper>> handler) {
        if (storedTargets == null) {
            embedAndWrite(documents, handler);
            return;
        }
        // Only documents with something to embed are looked up: the others need nothing stored.
        List<IngestDocument> toLookUp = new ArrayList<>(documents.size());
        for (Document document : documents) {
            toLookUp.add(document.failure == null && document.fields.isEmpty() == false ? document.wrapper.getIngestDocument() : null);
        }
        storedTargets.fetch(toLookUp, stored -> {
            for (int i = 0; i < documents.size(); i++) {
                documents.get(i).reuse(stored.get(i));
            }
            embedAndWrite(documents, handler);
        });
    }

    /** Reads the source fields of one document; a document that cannot be embedded carries its failure from here on. */
    private Document read(IngestDocumentWrapper wrapper) {
        Document document = new Document(wrapper);
        try {
            Map<String, Object> source = wrapper.getIngestDocument().getSourceAndMetadata();
            for (Map.Entry<String, String> entry : fieldMap.entrySet()) {
                SourceText text = SourceText.read(source, entry.getKey(), ignoreMissing);
                if (text != null) {
                    // The hash only serves skip_existing: without it, no SHA-256 of every text on the ingest path.
                    document.fields.add(new Field(entry.getValue(), text, storedTargets == null ? null : embedder.hash(text)));
                }
            }
        } catch (RuntimeException e) {
            document.failure = e;
        }
        return document;
    }

    /** Embeds, in one model call, the texts of every field not reused, then writes the targets and answers. */
    private void embedAndWrite(List<Document> documents, Consumer<List<IngestDocumentWrapper>> handler) {
        List<String> texts = new ArrayList<>();
        List<Document> waiting = new ArrayList<>();
        for (Document document : documents) {
            if (document.failure != null) {
                continue;
            }
            try {
                if (document.prepare(embedder, texts)) {
                    waiting.add(document);
                }
            } catch (RuntimeException e) {
                // Texts it already added are embedded for nothing; the other documents go on.
                document.failure = e;
            }
        }
        if (texts.isEmpty()) {
            answer(documents, handler);
            return;
        }
        // Once: the inference pool reports a failure of our own handler to the listener too, which must not answer twice.
        embedder.embed(texts, ActionListener.notifyOnce(new ActionListener<>() {
            @Override
            public void onResponse(float[][] vectors) {
                for (Document document : waiting) {
                    document.fill(vectors);
                }
                answer(documents, handler);
            }

            @Override
            public void onFailure(Exception e) {
                // The model call failed (a full inference pool, most often): the documents that needed it fail with it.
                failAll(waiting, e);
                answer(documents, handler);
            }
        }));
    }

    private void answer(List<Document> documents, Consumer<List<IngestDocumentWrapper>> handler) {
        List<IngestDocumentWrapper> results = new ArrayList<>(documents.size());
        for (Document document : documents) {
            if (document.failure == null) {
                try {
                    document.write(skipExisting());
                } catch (RuntimeException e) {
                    // e.g. a target path that runs through a string: this document's problem only.
                    document.failure = e;
                }
            }
            IngestDocumentWrapper wrapper = document.wrapper;
            results.add(new IngestDocumentWrapper(wrapper.getSlot(), wrapper.getChildSlot(), wrapper.getIngestDocument(), document.failure));
        }
        handler.accept(results);
    }

    private static void failAll(List<Document> documents, Exception e) {
        for (Document document : documents) {
            if (document.failure == null) {
                document.failure = e;
            }
        }
    }

    /** The sub-batches of one {@link #batchExecute} call, started a few at a time; the handler gets all results once. */
    private final class SubBatchRun {
        private final List<List<Document>> subBatches;
        private final Consumer<List<IngestDocumentWrapper>> handler;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger unfinished;
        private final List<IngestDocumentWrapper> results;

        SubBatchRun(List<List<Document>> subBatches, Consumer<List<IngestDocumentWrapper>> handler) {
            this.subBatches = subBatches;
            this.handler = handler;
            this.unfinished = new AtomicInteger(subBatches.size());
            this.results = Collections.synchronizedList(new ArrayList<>());
        }

        /**
         * Starts the next sub-batch, and goes on with the one after in a loop for as long as they finish before
         * {@link #process} returns (documents with nothing to embed): recursing instead would overflow the
         * stack on a bulk of many such documents. A sub-batch that finishes later starts the next from its handler.
         */
        void startNext() {
            for (int i = next.getAndIncrement(); i < subBatches.size(); i = next.getAndIncrement()) {
                // Whichever of the handler and this loop comes second starts the next sub-batch.
                AtomicBoolean handOver = new AtomicBoolean();
                process(subBatches.get(i), subBatchResults -> {
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

    /** One document of a batch: what its fields give to embed, or why it cannot be embedded. Confined to one thread at a time. */
    private static final class Document {
        final IngestDocumentWrapper wrapper;
        final List<Field> fields = new ArrayList<>();
        Exception failure;

        Document(IngestDocumentWrapper wrapper) {
            this.wrapper = wrapper;
        }

        /** Characters to embed: what the model's cost grows with, known before tokenizing. */
        long textLength() {
            long length = 0;
            for (Field field : fields) {
                for (String string : field.text.strings()) {
                    length += string.length();
                }
            }
            return length;
        }

        /**
         * Takes the stored target of each field whose stored hash matches, instead of embedding it again. A stored
         * document of any other shape is a cache miss: only equal hashes count.
         */
        void reuse(@Nullable Map<String, Object> stored) {
            if (stored == null || failure != null) {
                return;
            }
            for (Field field : fields) {
                Object storedValue = SourceText.valueAt(stored, field.target);
                if (storedValue != null && field.hash.equals(SourceText.valueAt(stored, field.target + HASH_SUFFIX))) {
                    field.value = storedValue;
                }
            }
        }

        /** Adds the texts of the fields still to embed to {@code texts}; whether there were any. */
        boolean prepare(TextEmbedder embedder, List<String> texts) {
            boolean any = false;
            for (Field field : fields) {
                if (field.value == null) {
                    TextEmbedder.Pending pending = embedder.prepare(field.text);
                    if (pending.texts().isEmpty()) {
                        // An empty array, or text without a single token: an empty target, no model call.
                        field.value = pending.value(new float[0][], 0);
                    } else {
                        field.pending = pending;
                        field.from = texts.size();
                        texts.addAll(pending.texts());
                        any = true;
                    }
                }
            }
            return any;
        }

        void fill(float[][] vectors) {
            for (Field field : fields) {
                if (field.pending != null) {
                    field.value = field.pending.value(vectors, field.from);
                }
            }
        }

        void write(boolean withHash) {
            IngestDocument document = wrapper.getIngestDocument();
            for (Field field : fields) {
                document.setFieldValue(field.target, field.value);
                if (withHash) {
                    document.setFieldValue(field.target + HASH_SUFFIX, field.hash);
                }
            }
        }
    }

    /** One source field of one document and, once known, the value of its target. */
    private static final class Field {
        final String target;
        final SourceText text;
        // Null without skip_existing, the only reader of it.
        @Nullable
        final String hash;
        Object value;
        TextEmbedder.Pending pending;
        int from;

        Field(String target, SourceText text, @Nullable String hash) {
            this.target = target;
            this.text = text;
            this.hash = hash;
        }
    }

    /**
     * Reads and validates the whole configuration, so that a bad pipeline is refused at {@code PUT _ingest/pipeline}
     * with the parameter named; keys left over are refused by OpenSearch.
     */
    public static final class Factory implements Processor.Factory {

        static final Set<String> CHUNKING_KEYS = Set.of("max_tokens", "overlap_tokens");

        private final Supplier<EmbeddingService> embeddings;
        private final Client client;

        /**
         * @param embeddings the node's embedding service; a supplier because OpenSearch asks for processors before it
         *                   creates the plugin's components
         */
        public Factory(Supplier<EmbeddingService> embeddings, Client client) {
            this.embeddings = embeddings;
            this.client = client;
        }

        @Override
        public SemanticEmbedProcessor create(
            Map<String, Processor.Factory> processorFactories,
            String tag,
            String description,
            Map<String, Object> config
        ) {
            EmbeddingService service = Objects.requireNonNull(embeddings.get(), "the embedding service is not created yet");
            Map<String, String> fieldMap = fieldMap(tag, ConfigurationUtils.readMap(TYPE, tag, config, "field_map"));
            String modelName = ConfigurationUtils.readOptionalStringProperty(TYPE, tag, config, "model");
            EmbeddingModel model;
            try {
                model = service.model(modelName);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw newConfigurationException(TYPE, tag, "model", e.getMessage());
            }
            InputType inputType = inputType(tag, ConfigurationUtils.readStringProperty(TYPE, tag, config, "input_type", "passage"));
            Map<String, Object> chunking = ConfigurationUtils.readOptionalMap(TYPE, tag, config, "chunking");
            PassageChunker chunker = chunking == null ? null : chunker(tag, new HashMap<>(chunking), model, inputType);
            boolean skipExisting = ConfigurationUtils.readBooleanProperty(TYPE, tag, config, "skip_existing", false);
            boolean ignoreMissing = ConfigurationUtils.readBooleanProperty(TYPE, tag, config, "ignore_missing", false);
            int batchSize = readInt(tag, config, BATCH_SIZE_FIELD, DEFAULT_BATCH_SIZE);
            if (batchSize < 1) {
                throw newConfigurationException(TYPE, tag, BATCH_SIZE_FIELD, "must be at least 1, got [" + batchSize + "]");
            }
            return new SemanticEmbedProcessor(
                tag,
                description,
                batchSize,
                fieldMap,
                ignoreMissing,
                new TextEmbedder(service, model, inputType, chunker),
                skipExisting ? new StoredTargets(client, fieldMap.values(), HASH_SUFFIX) : null
            );
        }

        private static Map<String, String> fieldMap(String tag, Map<String, Object> raw) {
            if (raw.isEmpty()) {
                throw newConfigurationException(TYPE, tag, "field_map", "must map at least one source field to a target field, got [{}]");
            }
            Map<String, String> fieldMap = new LinkedHashMap<>();
            Map<String, String> sourceOfTarget = new HashMap<>();
            for (Map.Entry<String, Object> entry : raw.entrySet()) {
                String source = entry.getKey();
                if (source.isBlank()) {
                    throw newConfigurationException(TYPE, tag, "field_map", "source field names must not be empty, got [" + source + "]");
                }
                String target = entry.getValue() instanceof String string ? string : "";
                if (target.isBlank()) {
                    throw newConfigurationException(
                        TYPE,
                        tag,
                        "field_map",
                        "the target of [" + source + "] must be a field name, got [" + entry.getValue() + "]"
                    );
                }
                String other = sourceOfTarget.put(target, source);
                if (other != null) {
                    throw newConfigurationException(
                        TYPE,
                        tag,
                        "field_map",
                        "[" + other + "] and [" + source + "] have the same target [" + target + "]"
                    );
                }
                fieldMap.put(source, target);
            }
            for (String target : sourceOfTarget.keySet()) {
                // A target that is also a source would be read as text by one mapping and overwritten by another.
                if (fieldMap.containsKey(target)) {
                    throw newConfigurationException(TYPE, tag, "field_map", "[" + target + "] is both a source and a target");
                }
            }
            return fieldMap;
        }

        private static InputType inputType(String tag, String value) {
            for (InputType type : InputType.values()) {
                if (type.name().toLowerCase(Locale.ROOT).equals(value)) {
                    return type;
                }
            }
            throw newConfigurationException(TYPE, tag, "input_type", "must be one of [passage, query], got [" + value + "]");
        }

        private static PassageChunker chunker(String tag, Map<String, Object> chunking, EmbeddingModel model, InputType inputType) {
            // What the model reads besides the passage: [CLS], [SEP] and the prefix it was trained with.
            int prefixTokens = model.tokenizer().tokenCount(inputType.prefix(model.config()));
            int limit = model.config().maxTokens() - 2 - prefixTokens;
            int maxTokens = readInt(tag, chunking, "max_tokens", "chunking.max_tokens", limit);
            int overlapTokens = readInt(tag, chunking, "overlap_tokens", "chunking.overlap_tokens", 0);
            if (chunking.isEmpty() == false) {
                throw newConfigurationException(
                    TYPE,
                    tag,
                    "chunking",
                    "does not support " + chunking.keySet().stream().sorted().toList() + "; it takes " + CHUNKING_KEYS.stream().sorted().toList()
                );
            }
            if (maxTokens < 1) {
                throw newConfigurationException(TYPE, tag, "chunking.max_tokens", "must be at least 1, got [" + maxTokens + "]");
            }
            if (maxTokens > limit) {
                throw newConfigurationException(
                    TYPE,
                    tag,
                    "chunking.max_tokens",
                    "must be at most ["
                        + limit
                        + "] for model ["
                        + model.name()
                        + "] (its max_tokens ["
                        + model.config().maxTokens()
                        + "] less [CLS], [SEP] and "
                        + prefixTokens
                        + " tokens of prefix), got ["
                        + maxTokens
                        + "]"
                );
            }
            if (overlapTokens < 0 || overlapTokens >= maxTokens) {
                throw newConfigurationException(
                    TYPE,
                    tag,
                    "chunking.overlap_tokens",
                    "must be at least 0 and less than [chunking.max_tokens] [" + maxTokens + "], got [" + overlapTokens + "]"
                );
            }
            return new PassageChunker(model.tokenizer(), maxTokens, overlapTokens);
        }

        private static int readInt(String tag, Map<String, Object> config, String key, int defaultValue) {
            return readInt(tag, config, key, key, defaultValue);
        }

        /** Removes and reads an integer; JSON numbers and strings of digits are accepted, as ConfigurationUtils does. */
        private static int readInt(String tag, Map<String, Object> config, String key, String name, int defaultValue) {
            Object value = config.remove(key);
            if (value == null) {
                return defaultValue;
            }
            if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof String) {
                try {
                    return Integer.parseInt(value.toString());
                } catch (NumberFormatException e) {
                    // the message below says it
                }
            }
            throw newConfigurationException(TYPE, tag, name, "must be an integer, got [" + value + "]");
        }
    }
}
