package io.semanticsearch.mapper;

import org.opensearch.common.xcontent.support.XContentMapValues;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.index.mapper.FilterFieldType;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.index.mapper.ParametrizedFieldMapper;
import org.opensearch.index.mapper.ParseContext;
import org.opensearch.index.mapper.TextFieldMapper;

import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code semantic_text} field: full-text searchable like {@code text} (a {@code text} mapper does that part, with
 * the field's {@code analyzer} and every other {@code text} parameter), and embedded at ingest into passages with
 * vectors that live in the object {@code <field>_semantic} beside it ({@link SemanticTextMappings} adds that object when
 * the mapping is created; {@code SemanticTextProcessor} fills it).
 *
 * <p>The model is recorded by identity: name, dims and fingerprint, resolved once when a user creates the mapping.
 * Parsing the mapping back (recovery, every node of a cluster) never consults the node's models: a node whose model
 * differs finds out when it embeds, with an error naming both fingerprints, and never writes other vectors.
 */
public final class SemanticTextFieldMapper extends ParametrizedFieldMapper {

    public static final String CONTENT_TYPE = "semantic_text";
    /** The object beside each {@code semantic_text} field {@code f} is {@code f} + this. */
    public static final String SEMANTIC_SUFFIX = "_semantic";
    /** In that object: the hash of what the passages were embedded from, and the passages (nested). */
    public static final String HASH = "hash";
    public static final String PASSAGES = "passages";
    public static final String VECTOR = "vector";
    /** Parameters of ours; the rest of a {@code semantic_text} mapping is a {@code text} mapping's. */
    static final Set<String> OWN_PARAMETERS = Set.of("model", "dims", "model_fingerprint", "chunking", "index_options");

    private ParametrizedFieldMapper delegate;

    private SemanticTextFieldMapper(String simpleName, SemanticTextFieldType fieldType, ParametrizedFieldMapper delegate) {
        super(simpleName, fieldType, MultiFields.empty(), CopyTo.empty());
        this.delegate = delegate;
    }

    private static SemanticTextFieldMapper toType(Mapper in) {
        return (SemanticTextFieldMapper) in;
    }

    /**
     * Where {@link SemanticTextMappings} leaves the reason it refused a mapping, in each of its fields, so that parsing
     * reports it before anything else (see {@link PassageIntegrityMapper#PARSER}).
     */
    static final String REFUSED = "_semantic_refused";

    /** Splits a mapping into our parameters and a {@code text} mapping, which OpenSearch's own parser reads. */
    public static final Mapper.TypeParser PARSER = (name, node, parserContext) -> {
        if (node.get(REFUSED) instanceof String reason) {
            throw new MapperParsingException(reason);
        }
        Builder builder = new Builder(name);
        Map<String, Object> own = new HashMap<>();
        for (String key : OWN_PARAMETERS) {
            if (node.containsKey(key)) {
                own.put(key, node.remove(key));
            }
        }
        builder.parse(name, parserContext, own);
        Mapper.TypeParser textParser = parserContext.typeParser(TextFieldMapper.CONTENT_TYPE);
        try {
            builder.delegate = (ParametrizedFieldMapper.Builder) textParser.parse(name, node, parserContext);
        } catch (MapperParsingException e) {
            // The text parser names its own type; the user wrote ours.
            String message = e.getMessage().replace("of type [" + TextFieldMapper.CONTENT_TYPE + "]", "of type [" + CONTENT_TYPE + "]");
            throw new MapperParsingException(message, e);
        }
        return builder;
    };

    public static final class Builder extends ParametrizedFieldMapper.Builder {

        private final Parameter<String> model = Parameter.stringParam("model", false, m -> toType(m).fieldType().options().model(), null)
            .acceptsNull()
            .setSerializerCheck((includeDefaults, isConfigured, v) -> v != null);
        private final Parameter<Integer> dims = new Parameter<Integer>(
            "dims",
            false,
            () -> null,
            (n, c, o) -> XContentMapValues.nodeIntegerValue(o),
            m -> toType(m).fieldType().options().dims()
        ).setSerializerCheck((includeDefaults, isConfigured, v) -> v != null);
        private final Parameter<String> fingerprint = Parameter.stringParam(
            "model_fingerprint",
            false,
            m -> toType(m).fieldType().options().fingerprint(),
            null
        ).acceptsNull().setSerializerCheck((includeDefaults, isConfigured, v) -> v != null);
        private final Parameter<TextChunking> chunking = new Parameter<>(
            "chunking",
            false,
            () -> TextChunking.DEFAULT,
            (n, c, o) -> TextChunking.parse(o),
            m -> toType(m).fieldType().options().chunking()
        ).setSerializer((b, n, v) -> v.toXContent(b, n), TextChunking::toString).alwaysSerialize();
        private final Parameter<VectorIndexOptions> indexOptions = new Parameter<>(
            "index_options",
            false,
            () -> VectorIndexOptions.DEFAULT,
            (n, c, o) -> VectorIndexOptions.parse(o),
            m -> toType(m).fieldType().options().indexOptions()
        ).setSerializer((b, n, v) -> v.toXContent(b, n), VectorIndexOptions::toString);

        private ParametrizedFieldMapper.Builder delegate;

        Builder(String name) {
            super(name);
        }

        @Override
        protected List<Parameter<?>> getParameters() {
            return List.of(model, dims, fingerprint, chunking, indexOptions);
        }

        @Override
        public SemanticTextFieldMapper build(BuilderContext context) {
            String fullName = buildFullName(context);
            if (model.getValue() == null || dims.getValue() == null || fingerprint.getValue() == null) {
                throw new MapperParsingException(
                    "[" + CONTENT_TYPE + "] field [" + fullName + "] has no recorded [model], [dims] and [model_fingerprint]: they "
                        + "are filled in when the mapping is created through the index, mapping or template APIs"
                );
            }
            ParametrizedFieldMapper text = delegate.build(context);
            SemanticTextFieldType.Options resolved = new SemanticTextFieldType.Options(
                model.getValue(),
                dims.getValue(),
                fingerprint.getValue(),
                chunking.getValue(),
                indexOptions.getValue()
            );
            return new SemanticTextFieldMapper(name, new SemanticTextFieldType(text.fieldType(), resolved), text);
        }
    }

    @Override
    public Builder getMergeBuilder() {
        Builder builder = (Builder) new Builder(simpleName()).init(this);
        builder.delegate = delegate.getMergeBuilder();
        return builder;
    }

    @Override
    public ParametrizedFieldMapper merge(Mapper mergeWith) {
        if (mergeWith instanceof SemanticTextFieldMapper other) {
            // The text part merges by text's own rules (e.g. a new search_analyzer); ours are all fixed.
            delegate = delegate.merge(other.delegate);
        }
        return super.merge(mergeWith);
    }

    @Override
    protected void parseCreateField(ParseContext context) throws IOException {
        delegate.parse(context);
    }

    @Override
    public Iterator<Mapper> iterator() {
        return delegate.iterator();
    }

    @Override
    public SemanticTextFieldType fieldType() {
        return (SemanticTextFieldType) super.fieldType();
    }

    @Override
    protected String contentType() {
        return CONTENT_TYPE;
    }

    @Override
    protected void doXContentBody(XContentBuilder builder, boolean includeDefaults, Params params) throws IOException {
        builder.field("type", contentType());
        getMergeBuilder().toXContent(builder, includeDefaults);
        delegate.multiFields().toXContent(builder, params);
        delegate.copyTo().toXContent(builder, params);
        delegate.getMergeBuilder().toXContent(builder, includeDefaults);
    }

    /**
     * The query-time view: a {@code text} field (match, highlight, ...) that also knows its model and where its
     * passages are, for the {@code semantic} query and {@code _rag}.
     */
    public static final class SemanticTextFieldType extends FilterFieldType {

        /** What a {@code semantic_text} mapping records: the model's identity, the chunking and the vector index. */
        public record Options(String model, int dims, String fingerprint, TextChunking chunking, VectorIndexOptions indexOptions) {}

        private final Options options;

        SemanticTextFieldType(MappedFieldType text, Options options) {
            super(text);
            this.options = options;
        }

        public Options options() {
            return options;
        }

        @Override
        public String typeName() {
            return CONTENT_TYPE;
        }

        /** The nested object of passages, e.g. {@code body_semantic.passages}. */
        public String passagesPath() {
            return passagesPath(name());
        }

        /** The {@code semantic_vector} field of the passages, e.g. {@code body_semantic.passages.vector}. */
        public String vectorField() {
            return passagesPath() + "." + VECTOR;
        }

        public static String passagesPath(String field) {
            return field + SEMANTIC_SUFFIX + "." + PASSAGES;
        }
    }
}
