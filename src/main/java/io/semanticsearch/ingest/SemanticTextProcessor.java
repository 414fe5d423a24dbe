package io.semanticsearch.ingest;

import io.semanticsearch.mapper.PassageIntegrity;
import io.semanticsearch.mapper.SemanticTextFieldMapper;
import io.semanticsearch.mapper.SourcePaths;
import io.semanticsearch.mapper.SourceText;

import org.opensearch.common.Nullable;
import org.opensearch.ingest.AbstractBatchingSystemProcessor;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;

import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Embeds the {@code semantic_text} fields of the documents of one index, in the system ingest pipeline that OpenSearch
 * builds from the index's mapping and runs after its default and final pipelines: writes, beside each such field
 * {@code f}, {@code f_semantic.passages} (the passages of its text with their vectors) and {@code f_semantic.hash}.
 *
 * <p>Text is embedded only when nothing holds its passages yet: a document that carries passages that belong to its text
 * ({@link PassageIntegrity}: their hash, and each passage a slice of the text; {@code _reindex} from another
 * {@code semantic_text} index of the same model) keeps them; passages that do not are dropped and the text embedded, and so does one whose
 * stored version has them (a document indexed again, or a partial update of other fields: the processor then only
 * sees the fields the update sends). A document whose value is gone loses its passages. Immutable and thread-safe.
 */
public final class SemanticTextProcessor extends AbstractBatchingSystemProcessor {

    public static final String TYPE = "semantic_text";

    /**
     * One {@code semantic_text} field of the index, and how this node embeds it.
     *
     * @param embedder    null when this node cannot embed it
     * @param unavailable why not (model missing, other files under its name), then
     */
    record Target(String path, @Nullable TextEmbedder embedder, @Nullable Supplier<String> unavailable, List<String> copiedFrom) {

        Target(String path, @Nullable TextEmbedder embedder, @Nullable Supplier<String> unavailable) {
            this(path, embedder, unavailable, List.of());
        }

        String semanticPath() {
            return path + SemanticTextFieldMapper.SEMANTIC_SUFFIX;
        }
    }

    private final List<Target> targets;
    private final DocumentEmbedder documents;

    SemanticTextProcessor(String tag, String description, List<Target> targets, DocumentEmbedder documents) {
        super(tag, description, documents.batchSize());
        this.targets = List.copyOf(targets);
        this.documents = documents;
    }

    @Override
    public String getType() {
        return TYPE;
    }

    List<Target> targets() {
        return targets;
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

    /** Reads the semantic_text fields of one document, keeping passages that came with their text's hash. */
    private EmbedDocument read(IngestDocumentWrapper wrapper) {
        EmbedDocument document = new EmbedDocument(wrapper);
        try {
            Map<String, Object> source = wrapper.getIngestDocument().getSourceAndMetadata();
            for (Target target : targets) {
                SourceText text = SourceText.readWithCopies(source, target.path(), target.copiedFrom());
                if (text == null) {
                    // Passages of a value that is not there (copied, or sent by hand) must not stay searchable; a value
                    // set to null clears them, also in the stored document that a partial update is merged into.
                    if (wrapper.getIngestDocument().hasField(target.path())) {
                        document.cleared.add(target.semanticPath());
                    } else {
                        document.stale.add(target.semanticPath());
                    }
                    continue;
                }
                if (target.embedder() == null) {
                    // As the query side answers the same node problem: a 400 that names the node, the model and the fix.
                    throw new IllegalArgumentException(target.unavailable().get());
                }
                EmbedField field = new EmbedField(
                    target.path(),
                    target.semanticPath() + "." + SemanticTextFieldMapper.PASSAGES,
                    target.semanticPath() + "." + SemanticTextFieldMapper.HASH,
                    text,
                    target.embedder()
                );
                SourcePaths.Location written = SourcePaths.locate(source, target.path());
                if (written != null && written.key().contains(".")) {
                    field.besideKey = new SourcePaths.Location(written.parent(), written.key() + SemanticTextFieldMapper.SEMANTIC_SUFFIX);
                }
                SourcePaths.Location sentAt = SourcePaths.locate(source, target.semanticPath());
                if (sentAt != null && PassageIntegrity.mismatch(field.hash, text.strings(), text.array(), sentAt.parent().get(sentAt.key())) != null) {
                    // Passages that are not slices of this text (forged, or left from an earlier text) are never kept:
                    // the field is embedded again instead, from the text alone.
                    sentAt.parent().remove(sentAt.key());
                }
                field.reuse(source);
                document.fields.add(field);
            }
        } catch (RuntimeException e) {
            document.failure = e;
        }
        return document;
    }
}
