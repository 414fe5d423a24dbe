package io.semanticsearch.ingest;

import org.opensearch.common.Nullable;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One document of a batch: the fields it gives to embed, or why it cannot be embedded (it then fails alone).
 * Confined to one thread at a time.
 */
final class EmbedDocument {

    final IngestDocumentWrapper wrapper;
    final List<EmbedField> fields = new ArrayList<>();
    /** Paths to remove when written: what a source that is gone left behind (a copied target without its text). */
    final List<String> stale = new ArrayList<>();
    /**
     * Target paths to set to null: their source field is there with a null value, which a partial update merges into
     * the stored document, where the target must go too.
     */
    final List<String> cleared = new ArrayList<>();
    Exception failure;

    EmbedDocument(IngestDocumentWrapper wrapper) {
        this.wrapper = wrapper;
    }

    IngestDocument ingestDocument() {
        return wrapper.getIngestDocument();
    }

    /** The index the document goes to, or null when it has none (a simulated document). */
    @Nullable
    String index() {
        IngestDocument document = wrapper.getIngestDocument();
        Object index = document == null ? null : document.getSourceAndMetadata().get(IngestDocument.Metadata.INDEX.getFieldName());
        return index == null ? null : index.toString();
    }

    long textLength() {
        long length = 0;
        for (EmbedField field : fields) {
            length += field.textLength();
        }
        return length;
    }

    /** Whether some field still needs a value: only such documents are worth a stored-document look-up. */
    boolean needsEmbedding() {
        if (failure != null) {
            return false;
        }
        for (EmbedField field : fields) {
            if (field.value == null) {
                return true;
            }
        }
        return false;
    }

    void reuse(@Nullable Map<String, Object> source) {
        if (failure == null) {
            for (EmbedField field : fields) {
                field.reuse(source);
            }
        }
    }

    void write() {
        IngestDocument document = wrapper.getIngestDocument();
        for (String path : stale) {
            if (document.hasField(path)) {
                document.removeField(path);
            }
        }
        for (String path : cleared) {
            document.setFieldValue(path, null);
        }
        for (EmbedField field : fields) {
            if (field.besideKey != null) {
                Map<String, Object> object = new HashMap<>();
                object.put(leaf(field.target), field.value);
                object.put(leaf(field.hashPath), field.hash);
                field.besideKey.parent().put(field.besideKey.key(), object);
                continue;
            }
            if (field.value == TextEmbedder.Pending.NO_VECTOR) {
                if (document.hasField(field.target)) {
                    document.removeField(field.target);
                }
            } else {
                document.setFieldValue(field.target, field.value);
            }
            if (field.hashPath != null) {
                document.setFieldValue(field.hashPath, field.hash);
            }
        }
    }

    private static String leaf(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    IngestDocumentWrapper result() {
        return new IngestDocumentWrapper(wrapper.getSlot(), wrapper.getChildSlot(), wrapper.getIngestDocument(), failure);
    }
}
