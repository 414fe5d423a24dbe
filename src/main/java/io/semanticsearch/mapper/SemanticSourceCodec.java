package io.semanticsearch.mapper;

import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.FilterCodec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.StoredFieldsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;

import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * The codec of indices with {@code semantic_text} fields: Lucene's default codec (as OpenSearch configures it for the
 * index) but for the stored {@code _source}, which keeps the passages of {@code semantic_text} fields without their
 * vectors, and gets them back from the vector index when read ({@link PassageVectorsStoredFieldsFormat}).
 *
 * <p>Segments record it by {@value #NAME}; Lucene finds it by that name through SPI (see
 * {@code META-INF/services/org.apache.lucene.codecs.Codec}) and reads them with the no-argument form, which is
 * Lucene's codec (whose per-field formats find their own readers by name) plus the restoring reader. Only Lucene's
 * {@code Lucene104} codec family is wrapped (OpenSearch's {@code default}, {@code lz4}, {@code best_compression},
 * {@code zlib}); others keep their sources whole.
 */
public final class SemanticSourceCodec extends FilterCodec {

    public static final String NAME = "SemanticSource104";
    private static final String WRAPPED = "Lucene104";

    private final KnnVectorsFormat vectorsFormat;
    private final StoredFieldsFormat storedFieldsFormat;

    /** The form Lucene's SPI builds to read (and merge) segments written by this codec. */
    public SemanticSourceCodec() {
        this(new Lucene104Codec(), null, List::of);
    }

    /**
     * @param vectorsFormat      the vectors format to write with, or null for the delegate's
     * @param semanticTextFields the full paths of the index's {@code semantic_text} fields, as the mapping says now
     */
    SemanticSourceCodec(Codec delegate, KnnVectorsFormat vectorsFormat, Supplier<Collection<String>> semanticTextFields) {
        super(NAME, delegate);
        this.vectorsFormat = vectorsFormat != null ? vectorsFormat : delegate.knnVectorsFormat();
        this.storedFieldsFormat = new PassageVectorsStoredFieldsFormat(delegate.storedFieldsFormat(), this::knnVectorsFormat, semanticTextFields);
    }

    /** Whether {@code codec} is of the family this codec can stand for (its segments must read back as {@link #NAME}). */
    static boolean canWrap(Codec codec) {
        return WRAPPED.equals(codec.getName());
    }

    @Override
    public KnnVectorsFormat knnVectorsFormat() {
        return vectorsFormat;
    }

    @Override
    public StoredFieldsFormat storedFieldsFormat() {
        return storedFieldsFormat;
    }
}
