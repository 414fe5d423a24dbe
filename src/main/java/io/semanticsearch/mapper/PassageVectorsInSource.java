package io.semanticsearch.mapper;

import org.apache.lucene.util.BytesRef;
import org.opensearch.common.collect.Tuple;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.core.common.bytes.BytesArray;
import org.opensearch.core.common.bytes.BytesReference;
import org.opensearch.core.xcontent.MediaType;
import org.opensearch.core.xcontent.MediaTypeRegistry;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Takes the passage vectors of {@code semantic_text} fields out of a stored {@code _source}, and puts them back: the
 * vectors are in the vector index already, where they take a quarter of the room JSON numbers take. Only whole
 * fields are taken out (every passage with its vector), and only whole fields are put back (every passage without),
 * so a source that does not look like what {@code SemanticTextProcessor} writes is left as it is.
 */
final class PassageVectorsInSource {

    /** Vectors of one field, looked up by the passages' count. */
    @FunctionalInterface
    interface VectorLookup {
        /** The {@code count} vectors of {@code vectorField} of the document, in passage order; null when not found. */
        float[][] vectors(String vectorField, int count) throws IOException;
    }

    private static final byte[] MARKER = SemanticTextFieldMapper.SEMANTIC_SUFFIX.getBytes(StandardCharsets.UTF_8);
    private static final String PASSAGES = SemanticTextFieldMapper.PASSAGES;
    private static final String VECTOR = SemanticTextFieldMapper.VECTOR;

    private PassageVectorsInSource() {}

    /**
     * The source without the passage vectors of the {@code semantic_text} fields at {@code fields} (full paths), or
     * the same bytes when there were none to take.
     */
    static BytesRef strip(BytesRef source, Collection<String> fields) {
        if (fields.isEmpty() || contains(source.bytes, source.offset, source.length, MARKER) == false) {
            return source;
        }
        Tuple<? extends MediaType, Map<String, Object>> parsed = parse(source.bytes, source.offset, source.length);
        boolean changed = false;
        for (String field : fields) {
            if (objectAt(parsed.v2(), field + SemanticTextFieldMapper.SEMANTIC_SUFFIX) instanceof Map<?, ?> semantic) {
                changed |= stripVectors(semantic.get(PASSAGES));
            }
        }
        return changed ? write(parsed.v1(), parsed.v2()) : source;
    }

    /** The source with the passage vectors put back, or the same bytes when none were taken out. */
    static byte[] restore(byte[] source, VectorLookup lookup) throws IOException {
        if (contains(source, 0, source.length, MARKER) == false) {
            return source;
        }
        Tuple<? extends MediaType, Map<String, Object>> parsed = parse(source, 0, source.length);
        boolean changed = restore(parsed.v2(), "", lookup);
        return changed ? BytesRef.deepCopyOf(write(parsed.v1(), parsed.v2())).bytes : source;
    }

    @SuppressWarnings("unchecked")
    private static boolean restore(Map<String, Object> object, String prefix, VectorLookup lookup) throws IOException {
        boolean changed = false;
        for (Map.Entry<String, Object> entry : object.entrySet()) {
            if (entry.getValue() instanceof Map<?, ?> child) {
                String path = prefix + entry.getKey();
                if (entry.getKey().endsWith(SemanticTextFieldMapper.SEMANTIC_SUFFIX) && child.get(PASSAGES) instanceof List<?> passages) {
                    if (withoutVectors(passages)) {
                        changed |= restoreVectors(passages, lookup.vectors(path + "." + PASSAGES + "." + VECTOR, passages.size()));
                    }
                } else {
                    changed |= restore((Map<String, Object>) child, path + ".", lookup);
                }
            }
        }
        return changed;
    }

    @SuppressWarnings("unchecked")
    private static boolean stripVectors(Object passages) {
        if (passages instanceof List<?> == false || ((List<?>) passages).isEmpty()) {
            return false;
        }
        List<?> list = (List<?>) passages;
        for (Object passage : list) {
            if (passage instanceof Map<?, ?> == false || ((Map<?, ?>) passage).get(VECTOR) instanceof List<?> == false) {
                return false; // not all of them: leave the field whole
            }
        }
        for (Object passage : list) {
            ((Map<String, Object>) passage).remove(VECTOR);
        }
        return true;
    }

    /** Whether none of the passages has its vector: a source written with them (before this codec) has them all. */
    private static boolean withoutVectors(List<?> passages) {
        if (passages.isEmpty()) {
            return false;
        }
        for (Object passage : passages) {
            if (passage instanceof Map<?, ?> == false || ((Map<?, ?>) passage).containsKey(VECTOR)) {
                return false;
            }
        }
        return true;
    }

    @SuppressWarnings("unchecked")
    private static boolean restoreVectors(List<?> passages, float[][] vectors) {
        if (vectors == null || vectors.length != passages.size()) {
            return false;
        }
        for (int i = 0; i < vectors.length; i++) {
            List<Float> vector = new ArrayList<>(vectors[i].length);
            for (float v : vectors[i]) {
                vector.add(v);
            }
            ((Map<String, Object>) passages.get(i)).put(VECTOR, vector);
        }
        return true;
    }

    /** The object at a dotted path of nested objects, or null. */
    static Object objectAt(Map<String, Object> source, String path) {
        Object value = source;
        for (String part : path.split("\\.")) {
            if (value instanceof Map<?, ?> == false) {
                return null;
            }
            value = ((Map<?, ?>) value).get(part);
        }
        return value;
    }

    private static Tuple<? extends MediaType, Map<String, Object>> parse(byte[] bytes, int offset, int length) {
        return XContentHelper.convertToMap(new BytesArray(bytes, offset, length), true, (MediaType) null);
    }

    private static BytesRef write(MediaType type, Map<String, Object> source) {
        try (XContentBuilder builder = MediaTypeRegistry.contentBuilder(type)) {
            builder.map(source);
            return BytesReference.bytes(builder).toBytesRef();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // Nothing in the JDK or OpenSearch searches a byte array for a byte sequence; this runs on every stored source.
    static boolean contains(byte[] bytes, int offset, int length, byte[] marker) {
        outer:
        for (int i = offset, end = offset + length - marker.length; i <= end; i++) {
            for (int j = 0; j < marker.length; j++) {
                if (bytes[i + j] != marker[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
