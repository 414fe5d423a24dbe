package io.semanticsearch.mapper;

import io.semanticsearch.embed.ModelRegistry;

import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReader;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.xcontent.support.XContentMapValues;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.core.xcontent.XContentParser.Token;
import org.opensearch.index.mapper.FieldMapper;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.index.mapper.ParametrizedFieldMapper;
import org.opensearch.index.mapper.ParseContext;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The {@code semantic_vector} field: one float vector per document in Lucene's HNSW graph (or a quantized or flat
 * variant, see {@link VectorIndexType}), plus the name of the model that embeds query text for it. The vectors
 * format of each field is chosen by {@link SemanticCodecService}; every mapping parameter is fixed at creation,
 * since merges re-read the mapping to write segments.
 */
public final class SemanticVectorFieldMapper extends ParametrizedFieldMapper {

    public static final String CONTENT_TYPE = "semantic_vector";
    /** Lucene's own formats stop at 1024; {@link SemanticCodecService} raises the limit for our fields to this. */
    public static final int MAX_DIMS = 4096;
    /** Index settings of plugins that own the vectors format of their indices (k-NN, neural-search sparse). */
    static final List<String> FOREIGN_CODEC_SETTINGS = List.of("index.knn", "index.sparse");

    private static SemanticVectorFieldMapper toType(FieldMapper in) {
        return (SemanticVectorFieldMapper) in;
    }

    /** Parses {@code semantic_vector} mappings; refuses them in indices whose vectors format another plugin owns. */
    public static TypeParser typeParser(Supplier<ModelRegistry> registry) {
        return typeParser(registry, List.of());
    }

    /** @param yieldTo index settings that hand an index's codec service to another plugin when true */
    public static TypeParser typeParser(Supplier<ModelRegistry> registry, List<String> yieldTo) {
        return new TypeParser((name, parserContext) -> {
            if (parserContext.isWithinMultiField()) {
                // The parent's value is text, never a vector: every document would fail.
                throw new MapperParsingException(
                    "[" + CONTENT_TYPE + "] field [" + name + "] cannot be a multi-field: it takes vectors, not its parent's text; "
                        + "map it as a field of its own and fill it with the [semantic_embed] processor, or use [semantic_text]"
                );
            }
            refuseForeignCodec(name, parserContext.getSettings());
            Builder builder = new Builder(name, registry);
            builder.ownCodec = SemanticCodecService.ownsCodec(parserContext.getSettings(), yieldTo);
            return builder;
        });
    }

    private static void refuseForeignCodec(String name, Settings indexSettings) {
        for (String setting : FOREIGN_CODEC_SETTINGS) {
            if (indexSettings.getAsBoolean(setting, false)) {
                // That plugin's codec would give the field Lucene's default format: our index_options would be lost.
                throw new MapperParsingException(
                    "["
                        + CONTENT_TYPE
                        + "] field ["
                        + name
                        + "] cannot be used in an index with ["
                        + setting
                        + ": true], whose vectors format belongs to another plugin; "
                        + "put it in an index without ["
                        + setting
                        + "]"
                );
            }
        }
    }

    public static final class Builder extends ParametrizedFieldMapper.Builder {

        private final Parameter<Integer> dims = new Parameter<Integer>(
            "dims",
            false,
            () -> null,
            (n, c, o) -> parseDims(o),
            m -> toType(m).fieldType().dims()
        ).setSerializerCheck((includeDefaults, isConfigured, v) -> v != null);

        private final Parameter<String> model = new Parameter<String>(
            "model",
            false,
            () -> null,
            (n, c, o) -> XContentMapValues.nodeStringValue(o),
            m -> toType(m).fieldType().modelName()
        ).setSerializerCheck((includeDefaults, isConfigured, v) -> v != null);

        // Recorded when a user maps the field (SemanticTextMappings): with it, model and dims are what the mapping says,
        // not re-resolved against each node's models. A field mapped before fingerprints were recorded may get one.
        private final Parameter<String> fingerprint = Parameter.stringParam(
            "model_fingerprint",
            true,
            m -> toType(m).fieldType().modelFingerprint(),
            null
        )
            .acceptsNull()
            .setMergeValidator((previous, current) -> previous == null || previous.equals(current))
            .setSerializerCheck((includeDefaults, isConfigured, v) -> v != null);

        private final Parameter<VectorSimilarity> similarity = new Parameter<>(
            "similarity",
            false,
            () -> VectorSimilarity.COSINE,
            (n, c, o) -> parseSimilarity(o),
            m -> toType(m).fieldType().similarity()
        ).setSerializer((b, n, v) -> b.field(n, v.mappingName()), VectorSimilarity::mappingName).alwaysSerialize();

        private final Parameter<VectorIndexOptions> indexOptions = new Parameter<>(
            "index_options",
            false,
            () -> VectorIndexOptions.DEFAULT,
            (n, c, o) -> VectorIndexOptions.parse(o),
            m -> toType(m).fieldType().indexOptions()
        ).setSerializer((b, n, v) -> v.toXContent(b, n), VectorIndexOptions::toString).alwaysSerialize();

        private final Parameter<Map<String, String>> meta = Parameter.metaParam();

        // OpenSearch would take `index` as a deprecated no-op and say nothing: refused, since it cannot mean anything here.
        private final Parameter<Boolean> index = Parameter.boolParam("index", false, m -> true, true).setValidator(v -> {
            if (v == false) {
                throw new MapperParsingException(
                    "[" + CONTENT_TYPE + "] does not support [index: false]: its vectors are always indexed; to keep vectors in _source "
                        + "only, map them as {\"type\": \"float\", \"index\": false, \"doc_values\": false}"
                );
            }
        }).setSerializerCheck((includeDefaults, isConfigured, v) -> false);

        // OpenSearch would drop `doc_values` and `store` with a deprecation warning only: refused, since a user who sets
        // them expects them to mean something and neither can here.
        private final Parameter<Object> docValues = refused(
            "doc_values",
            "its vectors are read from the vectors format, which every [semantic_vector] field has; remove [doc_values]"
        );
        private final Parameter<Object> store = refused(
            "store",
            "its vectors are kept in the vectors format and in _source; remove [store]"
        );

        private static Parameter<Object> refused(String name, String why) {
            return new Parameter<>(name, false, () -> null, (n, c, o) -> {
                throw new MapperParsingException("[" + CONTENT_TYPE + "] does not support [" + name + "]: " + why);
            }, m -> null).setSerializerCheck((includeDefaults, isConfigured, v) -> false);
        }

        private final Supplier<ModelRegistry> registry;
        // False in an index that turned this plugin's codec service off: Lucene's default vectors format applies.
        private boolean ownCodec = true;

        public Builder(String name, Supplier<ModelRegistry> registry) {
            super(name);
            this.registry = registry;
        }

        @Override
        protected List<Parameter<?>> getParameters() {
            return List.of(dims, model, fingerprint, similarity, indexOptions, index, docValues, store, meta);
        }

        @Override
        public SemanticVectorFieldMapper build(BuilderContext context) {
            String fullName = buildFullName(context);
            if (copyTo.build().copyToFields().isEmpty() == false) {
                throw new MapperParsingException("[" + CONTENT_TYPE + "] field [" + fullName + "] does not support [copy_to]");
            }
            if (ownCodec == false && VectorIndexOptions.DEFAULT.equals(indexOptions.getValue()) == false) {
                throw new MapperParsingException(
                    "[" + CONTENT_TYPE + "] field [" + fullName + "] [index_options] need this plugin's codec, which this index does not "
                        + "use ([" + SemanticCodecService.INDEX_CODEC_SETTING + ": false], or a setting of [plugins.semantic.codec.yield_to]); "
                        + "leave [index_options] out for Lucene's default HNSW, or put the field in an index of its own"
                );
            }
            MultiFields multiFields = multiFieldsBuilder.build(this, context);
            if (multiFields.iterator().hasNext()) {
                throw new MapperParsingException("[" + CONTENT_TYPE + "] field [" + fullName + "] does not support multi-fields [fields]");
            }
            VectorFieldModel resolved = fingerprint.getValue() != null && model.getValue() != null && dims.getValue() != null
                ? new VectorFieldModel(model.getValue(), dims.getValue())
                : VectorFieldModel.resolve(fullName, model.getValue(), dims.getValue(), registry.get());
            SemanticVectorFieldType fieldType = new SemanticVectorFieldType(
                fullName,
                resolved.dims(),
                resolved.name(),
                fingerprint.getValue(),
                similarity.getValue(),
                indexOptions.getValue(),
                meta.getValue()
            );
            return new SemanticVectorFieldMapper(name, fieldType, multiFields, copyTo.build());
        }
    }

    private static Integer parseDims(Object value) {
        if (value instanceof Integer == false && value instanceof Long == false) {
            throw new MapperParsingException("[dims] must be an integer, got [" + value + "]");
        }
        long dims = ((Number) value).longValue();
        if (dims < 1 || dims > MAX_DIMS) {
            throw new MapperParsingException("[dims] must be between 1 and " + MAX_DIMS + ", got [" + dims + "]");
        }
        return (int) dims;
    }

    private static VectorSimilarity parseSimilarity(Object value) {
        try {
            return VectorSimilarity.fromMapping(String.valueOf(value));
        } catch (IllegalArgumentException e) {
            throw new MapperParsingException(e.getMessage());
        }
    }



    private final FieldType luceneFieldType;

    private SemanticVectorFieldMapper(String simpleName, SemanticVectorFieldType fieldType, MultiFields multiFields, CopyTo copyTo) {
        super(simpleName, fieldType, multiFields, copyTo);
        this.luceneFieldType = KnnFloatVectorField.createFieldType(fieldType.dims(), fieldType.similarity().function());
    }

    @Override
    public SemanticVectorFieldType fieldType() {
        return (SemanticVectorFieldType) super.fieldType();
    }

    @Override
    public boolean parsesArrayValue() {
        return true;
    }

    @Override
    protected void parseCreateField(ParseContext context) throws IOException {
        XContentParser parser = context.parser();
        if (parser.currentToken() == Token.VALUE_NULL) {
            return;
        }
        String name = fieldType().name();
        if (parser.currentToken() != Token.START_ARRAY) {
            throw new IllegalArgumentException(
                "field [" + name + "] takes an array of [" + fieldType().dims() + "] numbers, got [" + describe(parser) + "]"
            );
        }
        float[] vector = new float[fieldType().dims()];
        int length = 0;
        for (Token token = parser.nextToken(); token != Token.END_ARRAY; token = parser.nextToken()) {
            if (token == Token.START_ARRAY) {
                throw new IllegalArgumentException(
                    "field [" + name + "] takes one vector per document, got an array of vectors; index several vectors per "
                        + "document as objects of a [nested] field"
                );
            }
            if (token != Token.VALUE_NUMBER) {
                throw new IllegalArgumentException(
                    "field [" + name + "] takes numbers, got [" + describe(parser) + "] at position [" + length + "]"
                );
            }
            if (length < vector.length) {
                double value = parser.doubleValue();
                // Said as written: cast to a float first, it would be reported as Infinity.
                if (Double.isFinite(value) && Math.abs(value) > Float.MAX_VALUE) {
                    throw new IllegalArgumentException(
                        "field [" + name + "] takes numbers that fit a float, got [" + parser.text() + "] at position [" + length + "]"
                    );
                }
                vector[length] = (float) value;
            }
            length++;
        }
        if (length != vector.length) {
            throw new IllegalArgumentException(
                "field [" + name + "] takes vectors of [" + vector.length + "] dims, got a vector of [" + length + "]"
            );
        }
        fieldType().checkVector(vector);
        if (context.doc().getByKey(name) != null) {
            // e.g. an array of plain objects that each hold the field: Lucene allows one vector per field and document.
            throw new IllegalArgumentException(
                "field [" + name + "] takes one vector per document, got a second one; index several vectors per document "
                    + "as objects of a [nested] field"
            );
        }
        context.doc().addWithKey(name, new KnnFloatVectorField(name, vector, luceneFieldType));
    }

    /** The current value for an error message; the parser has no text for nulls and objects. */
    private static String describe(XContentParser parser) throws IOException {
        return switch (parser.currentToken()) {
            case VALUE_NULL -> "null";
            case START_OBJECT -> "an object";
            default -> parser.text();
        };
    }

    /**
     * Supports {@code index.derived_source.enabled}: OpenSearch then stores no {@code _source} and asks each field to
     * write its value back from the index. Every vectors format we use keeps each document's vector in full precision
     * (the quantized ones too, to rescore with), so the vector comes back as indexed: float32, which can differ from
     * the JSON that was sent in the last digits. Copy-to and multi-fields, which derived source refuses, are refused
     * by the mapping already.
     */
    @Override
    public void canDeriveSource() {}

    @Override
    public void deriveSource(XContentBuilder builder, LeafReader leafReader, int docId) throws IOException {
        FloatVectorValues values = leafReader.getFloatVectorValues(fieldType().name());
        if (values == null) {
            return;
        }
        KnnVectorValues.DocIndexIterator iterator = values.iterator();
        if (iterator.advance(docId) == docId) {
            builder.array(simpleName(), values.vectorValue(iterator.index()));
        }
    }

    @Override
    public ParametrizedFieldMapper.Builder getMergeBuilder() {
        // The registry is not needed: a merge keeps the model and dims this mapper already resolved.
        return new Builder(simpleName(), () -> null).init(this);
    }

    @Override
    protected String contentType() {
        return CONTENT_TYPE;
    }
}
