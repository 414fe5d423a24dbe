package io.semanticsearch.ingest;

import io.semanticsearch.mapper.SourcePaths;
import io.semanticsearch.mapper.SourceText;

import org.opensearch.common.Nullable;

import java.util.Map;

/**
 * One source field of one document being embedded, and, once known, the value of its target: reused from a stored
 * or copied document whose hash matches, or embedded. Confined to one thread at a time.
 */
final class EmbedField {

    /** The source field's path, for messages. */
    final String source;
    final String target;
    /** Where the hash of the text is read and written; null when nothing reads it (no {@code skip_existing}). */
    @Nullable
    final String hashPath;
    final SourceText text;
    @Nullable
    final String hash;
    final TextEmbedder embedder;
    /**
     * Where the target object goes when the source wrote the field under a literal dotted key ({@code "meta.summary"}):
     * beside it, under the key as written plus the suffix, so that the document reads back with only its own keys.
     * Null to write {@link #target} and {@link #hashPath} as paths.
     */
    @Nullable
    SourcePaths.Location besideKey;
    Object value;
    TextEmbedder.Pending pending;
    int from;

    EmbedField(String source, String target, @Nullable String hashPath, SourceText text, TextEmbedder embedder) {
        this.source = source;
        this.target = target;
        this.hashPath = hashPath;
        this.text = text;
        this.embedder = embedder;
        // The hash only serves the reuse of stored targets: without it, no SHA-256 of every text on the ingest path.
        this.hash = hashPath == null ? null : embedder.hash(text);
    }

    /**
     * Takes the target value of {@code source} when its hash equals this text's: embedding again would give the same.
     * A source of any other shape is a miss: only equal hashes count.
     */
    boolean reuse(@Nullable Map<String, Object> source) {
        if (value != null || source == null || hashPath == null) {
            return false;
        }
        Object stored = SourceText.valueAt(source, target);
        if (stored != null && hash.equals(SourceText.valueAt(source, hashPath))) {
            value = stored;
            return true;
        }
        return false;
    }

    /** Characters to embed: what the model's cost grows with, known before tokenizing. */
    long textLength() {
        long length = 0;
        for (String string : text.strings()) {
            length += string.length();
        }
        return length;
    }
}
