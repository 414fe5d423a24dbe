package io.semanticsearch.mapper;

import io.semanticsearch.embed.ClusterModelsAction;
import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.InputType;
import io.semanticsearch.embed.ModelNodesRequest;
import io.semanticsearch.embed.ModelRegistry;

import org.opensearch.common.Nullable;
import org.opensearch.core.action.ActionListener;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.index.mapper.MappingTransformer;
import org.opensearch.transport.client.Client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Expands each {@code semantic_text} field of a mapping when a user creates or updates it (create index, put mapping,
 * index templates): records the model's identity (name, dims, fingerprint) and the chunking in the field, and adds
 * the object {@code <field>_semantic} beside it, which holds the hash of the embedded text and the nested passages
 * with their {@code semantic_vector}. This is the only place a {@code semantic_text} field consults the node's
 * models; nodes that parse the stored mapping later read what was recorded here.
 */
public final class SemanticTextMappings implements MappingTransformer {

    private final Supplier<ModelRegistry> registry;
    // Asks the cluster for a model this node does not hold; null: only this node's models count (unit tests).
    @Nullable
    private final Supplier<Client> client;

    public SemanticTextMappings(Supplier<ModelRegistry> registry) {
        this(registry, null);
    }

    public SemanticTextMappings(Supplier<ModelRegistry> registry, @Nullable Supplier<Client> client) {
        this.registry = registry;
        this.client = client;
    }

    /**
     * A {@code semantic_text} field found in a mapping: its full path, its definition and the properties that hold
     * it (both mutable maps of the mapping).
     */
    public record Field(String path, Map<String, Object> definition, Map<String, Object> siblings) {

        /**
         * The key, in {@link #siblings()}, of the object generated beside the field: its own key as written (for
         * {@code "meta.summary"}, {@code "meta.summary_semantic"}, which OpenSearch expands under {@code meta} as it
         * does the field) with the suffix.
         */
        public String generatedKey() {
            for (Map.Entry<String, Object> sibling : siblings.entrySet()) {
                if (sibling.getValue() == definition) {
                    return sibling.getKey() + SemanticTextFieldMapper.SEMANTIC_SUFFIX;
                }
            }
            throw new IllegalStateException("field [" + path + "] is not among its own properties");
        }
    }

    @Override
    public void transform(Map<String, Object> mapping, TransformContext context, ActionListener<Void> listener) {
        List<Field> elsewhere = new ArrayList<>();
        try {
            List<Field> fields = find(mapping);
            MappingRefusals.refuseDynamicTemplates(mapping);
            for (Field field : fields) {
                if (heldElsewhere(field.definition())) {
                    elsewhere.add(field);
                } else {
                    expand(field);
                }
            }
            for (Map<String, Object> vector : vectorFields(mapping)) {
                recordIdentity(vector);
            }
        } catch (MapperParsingException e) {
            MappingRefusals.refuse(mapping, e, listener);
            return;
        } catch (RuntimeException e) {
            listener.onFailure(e);
            return;
        }
        if (elsewhere.isEmpty()) {
            listener.onResponse(null);
            return;
        }
        // A model this node does not hold (a node that loads none, a cluster manager without a custom model): its
        // identity comes from the nodes that hold it, which must agree.
        client.get().execute(ClusterModelsAction.INSTANCE, new ModelNodesRequest(), ActionListener.wrap(cluster -> {
            try {
                for (Field field : elsewhere) {
                    recordFromCluster(field, cluster);
                    expand(field);
                }
            } catch (MapperParsingException e) {
                MappingRefusals.refuse(mapping, e, listener);
                return;
            } catch (RuntimeException e) {
                listener.onFailure(e);
                return;
            }
            listener.onResponse(null);
        }, listener::onFailure));
    }

    /** Whether the field names a model this node does not hold, and there is a cluster to ask for its identity. */
    private boolean heldElsewhere(Map<String, Object> definition) {
        if (client == null || (definition.get("model_fingerprint") != null && definition.get("dims") != null)) {
            return false;
        }
        Object requested = definition.get("model");
        ModelRegistry models = registry.get();
        return requested != null && (models == null || models.modelNames().contains(requested.toString()) == false);
    }

    private static void recordFromCluster(Field field, ClusterModelsAction.Response cluster) {
        String name = field.definition().get("model").toString();
        ClusterModelsAction.Model model;
        try {
            model = cluster.agreed(name);
        } catch (IllegalArgumentException e) {
            throw new MapperParsingException("[" + SemanticTextFieldMapper.CONTENT_TYPE + "] field [" + field.path() + "] [model]: " + e.getMessage());
        }
        Object dims = field.definition().get("dims");
        if (dims != null && Objects.equals(dims.toString(), Integer.toString(model.dims())) == false) {
            throw new MapperParsingException(
                "[" + SemanticTextFieldMapper.CONTENT_TYPE + "] field [" + field.path() + "] has [dims] [" + dims + "] but [model] ["
                    + name + "] makes vectors of [" + model.dims() + "] dims; leave [dims] out"
            );
        }
        TextChunking defaults = model.chunking() == null ? TextChunking.DEFAULT : TextChunking.of(model.chunking());
        TextChunking chunking = field.definition().containsKey("chunking")
            ? TextChunking.parse(field.definition().get("chunking"), defaults)
            : defaults;
        field.definition().put("dims", model.dims());
        field.definition().put("model_fingerprint", model.fingerprint());
        field.definition().put("chunking", chunking.toMap());
    }

    /**
     * The {@code semantic_text} fields of a mapping, as create-index takes it ({@code {"properties": ...}}) or as it
     * is stored ({@code {"_doc": {"properties": ...}}}), through objects.
     *
     * @throws MapperParsingException for one inside a {@code nested} field or used as a multi-field
     */
    public static List<Field> find(Map<String, Object> mapping) {
        List<Field> found = new ArrayList<>();
        Map<String, Object> root = mapping;
        if (root.containsKey("properties") == false && root.size() == 1 && root.values().iterator().next() instanceof Map<?, ?> typed) {
            root = asMap(typed);
        }
        collect(root, "", null, found);
        return found;
    }

    private static void collect(Map<String, Object> object, String prefix, String nestedPath, List<Field> found) {
        if (object.get("properties") instanceof Map<?, ?> == false) {
            return;
        }
        Map<String, Object> properties = asMap((Map<?, ?>) object.get("properties"));
        for (Map.Entry<String, Object> entry : properties.entrySet()) {
            if (entry.getValue() instanceof Map<?, ?> == false) {
                continue;
            }
            Map<String, Object> definition = asMap((Map<?, ?>) entry.getValue());
            String path = prefix + entry.getKey();
            Object type = definition.get("type");
            if (SemanticTextFieldMapper.CONTENT_TYPE.equals(type)) {
                if (nestedPath != null) {
                    throw new MapperParsingException(
                        "[" + SemanticTextFieldMapper.CONTENT_TYPE + "] field [" + path + "] cannot be inside the [nested] field ["
                            + nestedPath + "]; map it in the document or in a plain object"
                    );
                }
                found.add(new Field(path, definition, properties));
            }
            if (definition.get("fields") instanceof Map<?, ?> multiFields) {
                for (Map.Entry<?, ?> sub : multiFields.entrySet()) {
                    if (sub.getValue() instanceof Map<?, ?> subDefinition
                        && SemanticTextFieldMapper.CONTENT_TYPE.equals(subDefinition.get("type"))) {
                        throw new MapperParsingException(
                            "[" + SemanticTextFieldMapper.CONTENT_TYPE + "] field [" + path + "." + sub.getKey()
                                + "] cannot be a multi-field; map it as a field of its own"
                        );
                    }
                }
            }
            boolean nested = "nested".equals(type);
            collect(definition, path + ".", nested && nestedPath == null ? path : nestedPath, found);
        }
    }

    /** The definitions of the {@code semantic_vector} fields of a mapping, at any depth. */
    static List<Map<String, Object>> vectorFields(Map<String, Object> mapping) {
        List<Map<String, Object>> found = new ArrayList<>();
        Map<String, Object> root = mapping;
        if (root.containsKey("properties") == false && root.size() == 1 && root.values().iterator().next() instanceof Map<?, ?> typed) {
            root = asMap(typed);
        }
        collectVectors(root, found);
        return found;
    }

    private static void collectVectors(Map<String, Object> object, List<Map<String, Object>> found) {
        if (object.get("properties") instanceof Map<?, ?> properties) {
            for (Object value : properties.values()) {
                if (value instanceof Map<?, ?> definition) {
                    if (SemanticVectorFieldMapper.CONTENT_TYPE.equals(definition.get("type"))) {
                        found.add(asMap(definition));
                    }
                    collectVectors(asMap(definition), found);
                }
            }
        }
    }

    /**
     * Records in a user's {@code semantic_vector} field the identity of the model it resolves to here (name, dims,
     * fingerprint), as {@code semantic_text} does: every node then parses the stored mapping from what it says, never
     * against its own models, and a node with other files under that name is found out. A field for no model, or for
     * a model this node lacks, is left as it is (its parser decides).
     */
    private void recordIdentity(Map<String, Object> definition) {
        if (definition.get("model_fingerprint") != null) {
            return;
        }
        ModelRegistry models = registry.get();
        if (models == null) {
            return;
        }
        Object named = definition.get("model");
        if (named != null && models.modelNames().contains(named.toString()) == false) {
            return; // not loaded here: the parser accepts it with [dims] and a warning, or names what is missing
        }
        Object dims = definition.get("dims");
        Integer parsedDims = dims instanceof Number number ? Integer.valueOf(number.intValue()) : null;
        if (dims != null && parsedDims == null) {
            return; // the parser names the bad value
        }
        VectorFieldModel resolved;
        try {
            resolved = VectorFieldModel.resolve("", named == null ? null : named.toString(), parsedDims, models);
        } catch (RuntimeException e) {
            return; // the parser reports it, with the field's name
        }
        if (resolved.name() == null || models.modelNames().contains(resolved.name()) == false) {
            return;
        }
        EmbeddingModel model = models.get(resolved.name());
        definition.put("model", model.name());
        definition.put("dims", model.dims());
        definition.put("model_fingerprint", model.fingerprint());
    }

    /** The object that holds {@code properties}: the mapping itself, or its one typed entry ({@code _doc}). */
    static Map<String, Object> root(Map<String, Object> mapping) {
        if (mapping.containsKey("properties") == false && mapping.size() == 1 && mapping.values().iterator().next() instanceof Map<?, ?> typed) {
            return asMap(typed);
        }
        return mapping;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> asMap(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }

    /** Records the field's model identity and chunking, and puts the generated passages object beside it. */
    private void expand(Field field) {
        Map<String, Object> definition = field.definition();
        String path = field.path();
        if (definition.get("model_fingerprint") == null || definition.get("dims") == null) {
            resolve(path, definition);
        }
        Map<String, Object> vector = new LinkedHashMap<>();
        vector.put("type", SemanticVectorFieldMapper.CONTENT_TYPE);
        vector.put("model", definition.get("model"));
        vector.put("dims", definition.get("dims"));
        vector.put("model_fingerprint", definition.get("model_fingerprint"));
        if (definition.get("index_options") != null) {
            vector.put("index_options", definition.get("index_options"));
        }
        Map<String, Object> passageProperties = new LinkedHashMap<>();
        // The passage text and where it starts in its value: read back by _rag and shown with each hit; never searched.
        passageProperties.put("text", Map.of("type", "text", "index", false));
        passageProperties.put("offset", Map.of("type", "integer"));
        passageProperties.put("element", Map.of("type", "integer"));
        passageProperties.put(SemanticTextFieldMapper.VECTOR, vector);
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put(SemanticTextFieldMapper.HASH, Map.of("type", "keyword", "index", false, "doc_values", false));
        properties.put(SemanticTextFieldMapper.PASSAGES, Map.of("type", "nested", "dynamic", "strict", "properties", passageProperties));
        Map<String, Object> generated = new LinkedHashMap<>();
        generated.put("dynamic", "strict");
        generated.put("properties", properties);
        String name = field.generatedKey();
        if (field.siblings().containsKey(name) && generatedShape(field.siblings().get(name)) == false) {
            throw new MapperParsingException(
                "[" + SemanticTextFieldMapper.CONTENT_TYPE + "] field [" + path + "] keeps its passages in [" + path
                    + SemanticTextFieldMapper.SEMANTIC_SUFFIX + "], which the mapping also defines as a field of its own; rename one of them"
            );
        }
        // A definition of ours sent back (a mapping read and put again) is replaced: it must match what the processor writes.
        field.siblings().put(name, generated);
    }

    /** Whether a mapping's definition is one this class generated: an object of exactly {@code hash} and {@code passages}. */
    private static boolean generatedShape(Object definition) {
        return definition instanceof Map<?, ?> object
            && object.get("properties") instanceof Map<?, ?> properties
            && properties.keySet().equals(Set.of(SemanticTextFieldMapper.HASH, SemanticTextFieldMapper.PASSAGES));
    }

    private void resolve(String path, Map<String, Object> definition) {
        ModelRegistry models = Objects.requireNonNull(registry.get(), "the model registry is not loaded yet");
        Object requested = definition.get("model");
        EmbeddingModel model;
        try {
            model = requested == null ? models.defaultModel() : models.get(requested.toString());
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new MapperParsingException("[" + SemanticTextFieldMapper.CONTENT_TYPE + "] field [" + path + "] [model]: " + e.getMessage());
        }
        Object dims = definition.get("dims");
        if (dims != null && Objects.equals(dims.toString(), Integer.toString(model.dims())) == false) {
            throw new MapperParsingException(
                "[" + SemanticTextFieldMapper.CONTENT_TYPE + "] field [" + path + "] has [dims] [" + dims + "] but [model] ["
                    + model.name() + "] makes vectors of [" + model.dims() + "] dims; leave [dims] out"
            );
        }
        TextChunking defaults = TextChunking.of(model.config().chunking());
        TextChunking chunking = definition.containsKey("chunking") ? TextChunking.parse(definition.get("chunking"), defaults) : defaults;
        int limit = model.textTokenLimit(InputType.PASSAGE);
        if (chunking.enabled() && chunking.maxTokens() > limit) {
            if (definition.containsKey("chunking")) {
                throw new MapperParsingException(
                    "[" + SemanticTextFieldMapper.CONTENT_TYPE + "] field [" + path + "] [chunking.max_tokens] must be at most [" + limit
                        + "] for model [" + model.name() + "], got [" + chunking.maxTokens() + "]"
                );
            }
            chunking = new TextChunking(true, limit, Math.min(chunking.overlapTokens(), limit / 5));
        }
        definition.put("model", model.name());
        definition.put("dims", model.dims());
        definition.put("model_fingerprint", model.fingerprint());
        definition.put("chunking", chunking.toMap());
    }
}
