package io.semanticsearch.ingest;

import io.semanticsearch.embed.ModelIdentity;
import io.semanticsearch.mapper.SourceText;

import org.opensearch.common.Nullable;
import org.opensearch.ingest.AbstractBatchingProcessor;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The {@value #TYPE} ingest processor: writes the embedding of each source field of {@code field_map} into its target
 * field, as one vector per string or, with {@code chunking}, as an array of passages with their vectors (see
 * docs/ingest.md). The documents of a bulk request are embedded together, {@code batch_size} documents per model call,
 * through OpenSearch's batch ingest path; a lone document and {@code _simulate} take the same path alone
 * ({@link DocumentEmbedder} does the work; {@link SemanticEmbedProcessorFactory} reads the configuration).
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

    private final Map<String, String> fieldMap;
    private final boolean ignoreMissing;
    private final TextEmbedder embedder;
    private final DocumentEmbedder documents;
    @Nullable
    private final TargetModels targetModels;

    SemanticEmbedProcessor(
        String tag,
        String description,
        Map<String, String> fieldMap,
        boolean ignoreMissing,
        TextEmbedder embedder,
        DocumentEmbedder documents,
        @Nullable TargetModels targetModels
    ) {
        super(tag, description, documents.batchSize());
        this.fieldMap = Collections.unmodifiableMap(new LinkedHashMap<>(fieldMap));
        this.ignoreMissing = ignoreMissing;
        this.embedder = embedder;
        this.documents = documents;
        this.targetModels = targetModels;
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
        return documents.readsStored();
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

    @Override
    public void execute(IngestDocument document, BiConsumer<IngestDocument, Exception> handler) {
        documents.runOne(document, this::read, handler);
    }

    /** The whole bulk at once, so that {@link DocumentEmbedder#runSorted} can order it by length before cutting it. */
    @Override
    public void batchExecute(List<IngestDocumentWrapper> wrappers, Consumer<List<IngestDocumentWrapper>> handler) {
        documents.runSorted(DocumentEmbedder.read(wrappers, this::read), handler);
    }

    @Override
    protected void subBatchExecute(List<IngestDocumentWrapper> batch, Consumer<List<IngestDocumentWrapper>> handler) {
        documents.run(DocumentEmbedder.read(batch, this::read), () -> false, handler);
    }

    /** Refuses to write this pipeline's vectors into a field mapped for another model's. */
    private void checkTargetModel(Object index, String target) {
        if (targetModels == null || index instanceof String == false) {
            return;
        }
        // With chunking, the vectors are in the passages' [vector] field.
        String vectorField = embedder.chunker() != null ? target + "." + TextEmbedder.VECTOR : target;
        String mapped = targetModels.modelOf((String) index, vectorField);
        if (mapped == null) {
            return; // a field mapped without a model takes any vectors of its dims
        }
        ModelIdentity field = new ModelIdentity(mapped, null, targetModels.fingerprintOf((String) index, vectorField));
        String model = embedder.model().name();
        try {
            field.requireComparable(model, "field [" + vectorField + "] of index [" + index + "]");
            field.requireSameFiles(embedder.model(), targetModels.nodeName());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                "[" + TYPE + "] embeds with [model] [" + model + "]: " + e.getMessage() + "; embed with the field's model, on every node "
                    + "that runs ingest",
                e
            );
        }
    }

    /** Reads the source fields of one document; a document that cannot be embedded carries its failure from here on. */
    private EmbedDocument read(IngestDocumentWrapper wrapper) {
        EmbedDocument document = new EmbedDocument(wrapper);
        try {
            Map<String, Object> source = wrapper.getIngestDocument().getSourceAndMetadata();
            for (Map.Entry<String, String> entry : fieldMap.entrySet()) {
                SourceText text = SourceText.read(source, entry.getKey(), ignoreMissing);
                if (text != null) {
                    checkTargetModel(source.get(IngestDocument.Metadata.INDEX.getFieldName()), entry.getValue());
                    String hashPath = skipExisting() ? entry.getValue() + HASH_SUFFIX : null;
                    document.fields.add(new EmbedField(entry.getKey(), entry.getValue(), hashPath, text, embedder));
                }
            }
        } catch (RuntimeException e) {
            document.failure = e;
        }
        return document;
    }
}
