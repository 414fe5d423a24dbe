package io.semanticsearch.mapper;

import io.semanticsearch.SemanticSettings;
import io.semanticsearch.mapper.SemanticTextFieldMapper.SemanticTextFieldType;

import org.apache.lucene.codecs.Codec;
import org.apache.lucene.codecs.FilterCodec;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.perfield.PerFieldKnnVectorsFormat;
import org.opensearch.common.settings.Settings;
import org.opensearch.index.IndexSettings;
import org.opensearch.index.codec.CodecService;
import org.opensearch.index.codec.CodecServiceConfig;
import org.opensearch.index.mapper.DocumentMapper;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.mapper.MapperService;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Gives each {@code semantic_vector} field the Lucene vectors format of its {@code index_options}: every codec the
 * index may use ({@code index.codec}: default, best_compression, zstd, composite...) is wrapped so that only its
 * vectors format changes. Segments record each field's format by its SPI name, so they are read back by stock
 * Lucene, with or without this plugin. Core OpenSearch has no per-field vectors-format hook, hence this codec service.
 * Indices with {@code semantic_text} fields also keep passage vectors out of their stored {@code _source}
 * ({@link SemanticSourceCodec}); their segments then need this plugin to be read.
 */
public final class SemanticCodecService extends CodecService {

    private final MapperService mapperService;
    private final Map<String, Codec> wrapped = new ConcurrentHashMap<>();
    private final Map<String, Codec> withSemanticText = new ConcurrentHashMap<>();
    private volatile FieldsOfMapping semanticTextFields;

    public SemanticCodecService(CodecServiceConfig config) {
        super(config.getMapperService(), config.getIndexSettings(), config.getLogger(), config.getAdditionalCodecs());
        this.mapperService = config.getMapperService();
    }

    /**
     * Whether an index gets this codec service: all but those whose codec the k-NN plugin ({@code index.knn}) or
     * neural-search ({@code index.sparse}) provide, since two plugins providing one for the same index make it fail.
     */
    /** The index setting that turns this codec service off for an index. */
    public static final String INDEX_CODEC_SETTING = SemanticSettings.INDEX_CODEC.getKey();

    /**
     * Whether an index gets this codec service. OpenSearch takes one codec service per index, so it steps aside where
     * another plugin's applies: indices of the k-NN and neural sparse plugins, indices where one of {@code yieldTo}
     * (index settings of other plugins, {@code plugins.semantic.codec.yield_to}) is true, and indices with
     * {@code index.semantic.codec: false}.
     */
    public static boolean appliesTo(IndexSettings indexSettings, List<String> yieldTo) {
        Settings settings = indexSettings.getSettings();
        for (String setting : SemanticVectorFieldMapper.FOREIGN_CODEC_SETTINGS) {
            // Read raw: those settings are registered by the other plugins, which may not be installed.
            if (settings.getAsBoolean(setting, false)) {
                return false;
            }
        }
        return ownsCodec(settings, yieldTo);
    }

    /** As {@link #appliesTo} for the settings a mapping parser sees, but for the k-NN and sparse indices (refused there). */
    public static boolean ownsCodec(Settings indexSettings, List<String> yieldTo) {
        if (indexSettings.getAsBoolean(INDEX_CODEC_SETTING, true) == false) {
            return false;
        }
        for (String setting : yieldTo) {
            if (indexSettings.getAsBoolean(setting, false)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Codec codec(String name) {
        Codec codec = super.codec(name);
        if (mapperService == null) {
            return codec; // no mappings to read formats from, e.g. when a shard is only being inspected
        }
        Codec vectors = wrapped.computeIfAbsent(name, n -> new SemanticVectorsCodec(codec, mapperService));
        // Asked each time an engine opens: an index that got its first semantic_text field since then writes its new
        // segments with the source codec from its next start. Indices without one never depend on this plugin's codec.
        if (SemanticSourceCodec.canWrap(codec) && semanticTextFields().isEmpty() == false) {
            return withSemanticText.computeIfAbsent(name, n -> new SemanticSourceCodec(codec, vectors.knnVectorsFormat(), this::semanticTextFields));
        }
        return vectors;
    }

    /**
     * The full paths of the index's {@code semantic_text} fields, as its mapping says now. Asked for every stored
     * source: computed once per mapping (a new mapping is a new {@link DocumentMapper}).
     */
    private Collection<String> semanticTextFields() {
        FieldsOfMapping cached = semanticTextFields;
        DocumentMapper mapper = mapperService.documentMapper();
        if (cached != null && cached.mapper == mapper) {
            return cached.fields;
        }
        List<String> fields = new ArrayList<>();
        for (MappedFieldType fieldType : mapperService.fieldTypes()) {
            if (fieldType instanceof SemanticTextFieldType) {
                fields.add(fieldType.name());
            }
        }
        FieldsOfMapping found = new FieldsOfMapping(mapper, List.copyOf(fields));
        semanticTextFields = found;
        return found.fields();
    }

    private record FieldsOfMapping(DocumentMapper mapper, List<String> fields) {}

    /** A codec that is its delegate in everything but the vectors format of semantic_vector fields. */
    static final class SemanticVectorsCodec extends FilterCodec {

        private final KnnVectorsFormat vectorsFormat;

        SemanticVectorsCodec(Codec delegate, MapperService mapperService) {
            super(delegate.getName(), delegate);
            KnnVectorsFormat fallback = delegate.knnVectorsFormat();
            this.vectorsFormat = new PerFieldKnnVectorsFormat() {
                @Override
                public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                    if (mapperService.fieldType(field) instanceof SemanticVectorFieldType semantic) {
                        return semantic.indexOptions().format();
                    }
                    // Nesting one per-field format in another would record the outer one's name: unwrap.
                    return fallback instanceof PerFieldKnnVectorsFormat perField ? perField.getKnnVectorsFormatForField(field) : fallback;
                }

                @Override
                public int getMaxDimensions(String field) {
                    if (mapperService.fieldType(field) instanceof SemanticVectorFieldType) {
                        return SemanticVectorFieldMapper.MAX_DIMS;
                    }
                    return fallback.getMaxDimensions(field);
                }
            };
        }

        @Override
        public KnnVectorsFormat knnVectorsFormat() {
            return vectorsFormat;
        }
    }
}
