package io.semanticsearch.mapper;

import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.KnnVectorsReader;
import org.apache.lucene.codecs.StoredFieldsFormat;
import org.apache.lucene.codecs.StoredFieldsReader;
import org.apache.lucene.codecs.StoredFieldsWriter;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.FieldInfos;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.MergeState;
import org.apache.lucene.index.SegmentInfo;
import org.apache.lucene.index.SegmentReadState;
import org.apache.lucene.index.StoredFieldDataInput;
import org.apache.lucene.index.StoredFieldVisitor;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.util.Accountable;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.IOUtils;
import org.opensearch.index.mapper.SourceFieldMapper;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * Stored fields whose {@code _source} holds the passages of {@code semantic_text} fields without their vectors
 * ({@link PassageVectorsInSource}): the writer takes them out, the reader puts them back from the segment's vector
 * index, so every reader of {@code _source} (GET, search hits, {@code _update}, {@code _reindex}) sees them as they
 * were indexed. A passage's vector is a nested document of its own, just before its parent in the segment and in
 * passage order (OpenSearch keeps children in order, parents after them), so the {@code n} passages of a document
 * are the {@code n} vectors of that field just before the document.
 */
final class PassageVectorsStoredFieldsFormat extends StoredFieldsFormat {

    private final StoredFieldsFormat delegate;
    private final Supplier<KnnVectorsFormat> vectors;
    private final Supplier<Collection<String>> semanticTextFields;

    /**
     * @param vectors            reads the segment's vectors back
     * @param semanticTextFields the full paths of the {@code semantic_text} fields whose vectors leave {@code _source}
     */
    PassageVectorsStoredFieldsFormat(
        StoredFieldsFormat delegate,
        Supplier<KnnVectorsFormat> vectors,
        Supplier<Collection<String>> semanticTextFields
    ) {
        this.delegate = delegate;
        this.vectors = vectors;
        this.semanticTextFields = semanticTextFields;
    }

    @Override
    public StoredFieldsReader fieldsReader(Directory directory, SegmentInfo si, FieldInfos fn, IOContext context) throws IOException {
        StoredFieldsReader stored = delegate.fieldsReader(directory, si, fn, context);
        if (hasPassageVectors(fn) == false) {
            return stored;
        }
        KnnVectorsReader vectorsReader = null;
        try {
            vectorsReader = vectors.get().fieldsReader(new SegmentReadState(directory, si, fn, context));
            return new Reader(stored, vectorsReader, true);
        } catch (IOException | RuntimeException e) {
            IOUtils.closeWhileHandlingException(stored, vectorsReader);
            throw e;
        }
    }

    @Override
    public StoredFieldsWriter fieldsWriter(Directory directory, SegmentInfo si, IOContext context) throws IOException {
        return new Writer(delegate.fieldsWriter(directory, si, context), semanticTextFields);
    }

    private static boolean hasPassageVectors(FieldInfos infos) {
        for (FieldInfo info : infos) {
            if (info.hasVectorValues() && isPassageVectorField(info.name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isPassageVectorField(String name) {
        return name.endsWith(SemanticTextFieldMapper.SEMANTIC_SUFFIX + "." + SemanticTextFieldMapper.PASSAGES + "." + SemanticTextFieldMapper.VECTOR);
    }

    /** Takes the passage vectors out of each {@code _source} it writes; merges copy sources as they are stored. */
    private static final class Writer extends StoredFieldsWriter {
        private final StoredFieldsWriter delegate;
        private final Supplier<Collection<String>> fields;

        Writer(StoredFieldsWriter delegate, Supplier<Collection<String>> fields) {
            this.delegate = delegate;
            this.fields = fields;
        }

        @Override
        public void writeField(FieldInfo info, BytesRef value) throws IOException {
            if (SourceFieldMapper.NAME.equals(info.name)) {
                value = PassageVectorsInSource.strip(value, fields.get());
            }
            delegate.writeField(info, value);
        }

        @Override
        public int merge(MergeState mergeState) throws IOException {
            // Merge the stored bytes, not what our readers make of them: the sources stay without their vectors (which
            // the vectors format merges on its own, keeping each document's block in order), and the delegate can
            // copy its compressed blocks whole.
            StoredFieldsReader[] readers = mergeState.storedFieldsReaders;
            for (int i = 0; i < readers.length; i++) {
                if (readers[i] instanceof Reader ours) {
                    readers[i] = ours.delegate;
                }
            }
            return delegate.merge(mergeState);
        }

        @Override
        public void startDocument() throws IOException {
            delegate.startDocument();
        }

        @Override
        public void finishDocument() throws IOException {
            delegate.finishDocument();
        }

        @Override
        public void writeField(FieldInfo info, int value) throws IOException {
            delegate.writeField(info, value);
        }

        @Override
        public void writeField(FieldInfo info, long value) throws IOException {
            delegate.writeField(info, value);
        }

        @Override
        public void writeField(FieldInfo info, float value) throws IOException {
            delegate.writeField(info, value);
        }

        @Override
        public void writeField(FieldInfo info, double value) throws IOException {
            delegate.writeField(info, value);
        }

        @Override
        public void writeField(FieldInfo info, StoredFieldDataInput value) throws IOException {
            delegate.writeField(info, value);
        }

        @Override
        public void writeField(FieldInfo info, String value) throws IOException {
            delegate.writeField(info, value);
        }

        @Override
        public void finish(int numDocs) throws IOException {
            delegate.finish(numDocs);
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }

        @Override
        public long ramBytesUsed() {
            return delegate.ramBytesUsed();
        }

        @Override
        public Collection<Accountable> getChildResources() {
            return delegate.getChildResources();
        }
    }

    /** Puts the passage vectors back into each {@code _source} it reads. Clones share the vectors reader. */
    private static final class Reader extends StoredFieldsReader {
        private final StoredFieldsReader delegate;
        private final KnnVectorsReader vectors;
        private final boolean ownsVectors;

        Reader(StoredFieldsReader delegate, KnnVectorsReader vectors, boolean ownsVectors) {
            this.delegate = delegate;
            this.vectors = vectors;
            this.ownsVectors = ownsVectors;
        }

        @Override
        public void document(int docID, StoredFieldVisitor visitor) throws IOException {
            delegate.document(docID, PassageVectorsFetchListener.restoring() ? new RestoringVisitor(visitor, docID) : visitor);
        }

        @Override
        public void prefetch(int docID) throws IOException {
            delegate.prefetch(docID);
        }

        @Override
        public StoredFieldsReader clone() {
            return new Reader(delegate.clone(), vectors, false);
        }

        @Override
        public StoredFieldsReader getMergeInstance() {
            return new Reader(delegate.getMergeInstance(), vectors, false);
        }

        @Override
        public void checkIntegrity() throws IOException {
            delegate.checkIntegrity();
        }

        @Override
        public void close() throws IOException {
            if (ownsVectors) {
                IOUtils.close(delegate, vectors);
            } else {
                delegate.close();
            }
        }

        /** The {@code count} vectors of {@code field} just before {@code docID}: the passages of that document. */
        private float[][] vectorsBefore(int docID, String field, int count) throws IOException {
            FloatVectorValues values = vectors.getFloatVectorValues(field);
            if (values == null) {
                return null;
            }
            KnnVectorValues.DocIndexIterator iterator = values.iterator();
            int doc = iterator.advance(docID);
            int end = doc == DocIdSetIterator.NO_MORE_DOCS ? values.size() : iterator.index();
            int start = end - count;
            if (start < 0 || (doc != DocIdSetIterator.NO_MORE_DOCS && doc == docID)) {
                return null; // not the layout this reader expects: leave the source as it is
            }
            float[][] found = new float[count][];
            for (int i = 0; i < count; i++) {
                found[i] = values.vectorValue(start + i).clone();
            }
            return found;
        }

        private final class RestoringVisitor extends StoredFieldVisitor {
            private final StoredFieldVisitor in;
            private final int docID;

            RestoringVisitor(StoredFieldVisitor in, int docID) {
                this.in = in;
                this.docID = docID;
            }

            @Override
            public Status needsField(FieldInfo fieldInfo) throws IOException {
                return in.needsField(fieldInfo);
            }

            @Override
            public void binaryField(FieldInfo fieldInfo, StoredFieldDataInput value) throws IOException {
                if (SourceFieldMapper.NAME.equals(fieldInfo.name)) {
                    byte[] bytes = new byte[value.getLength()];
                    value.getDataInput().readBytes(bytes, 0, bytes.length);
                    binaryField(fieldInfo, bytes);
                } else {
                    in.binaryField(fieldInfo, value);
                }
            }

            @Override
            public void binaryField(FieldInfo fieldInfo, byte[] value) throws IOException {
                if (SourceFieldMapper.NAME.equals(fieldInfo.name)) {
                    value = PassageVectorsInSource.restore(value, (field, count) -> vectorsBefore(docID, field, count));
                }
                in.binaryField(fieldInfo, value);
            }

            @Override
            public void stringField(FieldInfo fieldInfo, String value) throws IOException {
                in.stringField(fieldInfo, value);
            }

            @Override
            public void intField(FieldInfo fieldInfo, int value) throws IOException {
                in.intField(fieldInfo, value);
            }

            @Override
            public void longField(FieldInfo fieldInfo, long value) throws IOException {
                in.longField(fieldInfo, value);
            }

            @Override
            public void floatField(FieldInfo fieldInfo, float value) throws IOException {
                in.floatField(fieldInfo, value);
            }

            @Override
            public void doubleField(FieldInfo fieldInfo, double value) throws IOException {
                in.doubleField(fieldInfo, value);
            }
        }
    }
}
