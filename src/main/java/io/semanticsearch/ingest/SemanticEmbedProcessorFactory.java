package io.semanticsearch.ingest;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.InputType;

import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.Nullable;
import org.opensearch.ingest.ConfigurationUtils;
import org.opensearch.ingest.Processor;
import org.opensearch.transport.client.Client;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

import static io.semanticsearch.ingest.SemanticEmbedProcessor.DEFAULT_BATCH_SIZE;
import static io.semanticsearch.ingest.SemanticEmbedProcessor.HASH_SUFFIX;
import static io.semanticsearch.ingest.SemanticEmbedProcessor.TYPE;
import static org.opensearch.ingest.AbstractBatchingProcessor.BATCH_SIZE_FIELD;
import static org.opensearch.ingest.ConfigurationUtils.newConfigurationException;

/**
 * Reads and validates the whole configuration, so that a bad pipeline is refused at {@code PUT _ingest/pipeline}
 * with the parameter named; keys left over are refused by OpenSearch.
 */
public final class SemanticEmbedProcessorFactory implements Processor.Factory {

    static final Set<String> CHUNKING_KEYS = Set.of("max_tokens", "overlap_tokens");

    private final Supplier<EmbeddingService> embeddings;
    private final Client client;
    @Nullable
    private final TargetModels targetModels;
    private final DocumentEmbedder.Limits limits;

    /**
     * @param embeddings the node's embedding service; a supplier because OpenSearch asks for processors before it
     *                   creates the plugin's components
     */
    /**
     * @param clusterService where the mappings of target fields are read, to check their model; null to skip that
     */
    public SemanticEmbedProcessorFactory(
        Supplier<EmbeddingService> embeddings,
        Client client,
        @Nullable ClusterService clusterService,
        int maxChars,
        int maxPassages
    ) {
        this.embeddings = embeddings;
        this.client = client;
        this.targetModels = clusterService == null ? null : new TargetModels(clusterService);
        this.limits = new DocumentEmbedder.Limits(maxChars, maxPassages);
    }

    @Override
    public SemanticEmbedProcessor create(
        Map<String, Processor.Factory> processorFactories,
        String tag,
        String description,
        Map<String, Object> config
    ) {
        EmbeddingService service = Objects.requireNonNull(embeddings.get(), "the embedding service is not created yet");
        Map<String, String> fieldMap = fieldMap(tag, ConfigurationUtils.readMap(TYPE, tag, config, "field_map"));
        String modelName = ConfigurationUtils.readOptionalStringProperty(TYPE, tag, config, "model");
        EmbeddingModel model;
        try {
            model = service.model(modelName);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw newConfigurationException(TYPE, tag, "model", e.getMessage());
        }
        InputType inputType = inputType(tag, ConfigurationUtils.readStringProperty(TYPE, tag, config, "input_type", "passage"));
        Map<String, Object> chunking = ConfigurationUtils.readOptionalMap(TYPE, tag, config, "chunking");
        PassageChunker chunker = chunking == null ? null : chunker(tag, new HashMap<>(chunking), model, inputType);
        boolean skipExisting = ConfigurationUtils.readBooleanProperty(TYPE, tag, config, "skip_existing", false);
        boolean ignoreMissing = ConfigurationUtils.readBooleanProperty(TYPE, tag, config, "ignore_missing", false);
        int batchSize = readInt(tag, config, BATCH_SIZE_FIELD, DEFAULT_BATCH_SIZE);
        if (batchSize < 1) {
            throw newConfigurationException(TYPE, tag, BATCH_SIZE_FIELD, "must be at least 1, got [" + batchSize + "]");
        }
        StoredTargets storedTargets = null;
        if (skipExisting) {
            List<String> includes = new ArrayList<>();
            for (String target : fieldMap.values()) {
                includes.add(target);
                includes.add(target + HASH_SUFFIX);
            }
            storedTargets = new StoredTargets(client, includes);
        }
        return new SemanticEmbedProcessor(
            tag,
            description,
            fieldMap,
            ignoreMissing,
            new TextEmbedder(service, model, inputType, chunker),
            new DocumentEmbedder(service, batchSize, limits, storedTargets, client),
            targetModels
        );
    }

    private static Map<String, String> fieldMap(String tag, Map<String, Object> raw) {
        if (raw.isEmpty()) {
            throw newConfigurationException(TYPE, tag, "field_map", "must map at least one source field to a target field, got [{}]");
        }
        Map<String, String> fieldMap = new LinkedHashMap<>();
        Map<String, String> sourceOfTarget = new HashMap<>();
        for (Map.Entry<String, Object> entry : raw.entrySet()) {
            String source = entry.getKey();
            if (source.isBlank()) {
                throw newConfigurationException(TYPE, tag, "field_map", "source field names must not be empty, got [" + source + "]");
            }
            String target = entry.getValue() instanceof String string ? string : "";
            if (target.isBlank()) {
                throw newConfigurationException(
                    TYPE,
                    tag,
                    "field_map",
                    "the target of [" + source + "] must be a field name, got [" + entry.getValue() + "]"
                );
            }
            String problem = targetProblem(target);
            if (problem != null) {
                throw newConfigurationException(TYPE, tag, "field_map", "the target of [" + source + "] " + problem + ", got [" + target + "]");
            }
            String other = sourceOfTarget.put(target, source);
            if (other != null) {
                throw newConfigurationException(
                    TYPE,
                    tag,
                    "field_map",
                    "[" + other + "] and [" + source + "] have the same target [" + target + "]"
                );
            }
            fieldMap.put(source, target);
        }
        for (String target : sourceOfTarget.keySet()) {
            // A target that is also a source would be read as text by one mapping and overwritten by another.
            if (fieldMap.containsKey(target)) {
                throw newConfigurationException(TYPE, tag, "field_map", "[" + target + "] is both a source and a target");
            }
        }
        return fieldMap;
    }

    /**
     * Why a target path cannot be written, or null: metadata fields ({@code _id}, {@code _source}, ...) are not the
     * document's to hold vectors, and empty path segments ({@code a..b}, {@code .a}) name no field.
     */
    static String targetProblem(String target) {
        for (String part : target.split("\\.", -1)) {
            if (part.isEmpty()) {
                return "must be a field path without empty parts";
            }
        }
        if (target.startsWith("_")) {
            return "must not be a metadata field or start with [_]";
        }
        return null;
    }

    private static InputType inputType(String tag, String value) {
        for (InputType type : InputType.values()) {
            if (type.name().toLowerCase(Locale.ROOT).equals(value)) {
                return type;
            }
        }
        throw newConfigurationException(TYPE, tag, "input_type", "must be one of [passage, query], got [" + value + "]");
    }

    private static PassageChunker chunker(String tag, Map<String, Object> chunking, EmbeddingModel model, InputType inputType) {
        // What the model reads besides the passage: [CLS], [SEP] and the prefix it was trained with.
        int limit = model.textTokenLimit(inputType);
        int prefixTokens = model.config().maxTokens() - 2 - limit;
        int maxTokens = readInt(tag, chunking, "max_tokens", "chunking.max_tokens", limit);
        int overlapTokens = readInt(tag, chunking, "overlap_tokens", "chunking.overlap_tokens", 0);
        if (chunking.isEmpty() == false) {
            throw newConfigurationException(
                TYPE,
                tag,
                "chunking",
                "does not support " + chunking.keySet().stream().sorted().toList() + "; it takes " + CHUNKING_KEYS.stream().sorted().toList()
            );
        }
        if (maxTokens < 1) {
            throw newConfigurationException(TYPE, tag, "chunking.max_tokens", "must be at least 1, got [" + maxTokens + "]");
        }
        if (maxTokens > limit) {
            throw newConfigurationException(
                TYPE,
                tag,
                "chunking.max_tokens",
                "must be at most ["
                    + limit
                    + "] for model ["
                    + model.name()
                    + "] (its max_tokens ["
                    + model.config().maxTokens()
                    + "] less [CLS], [SEP] and "
                    + prefixTokens
                    + " tokens of prefix), got ["
                    + maxTokens
                    + "]"
            );
        }
        if (overlapTokens < 0 || overlapTokens >= maxTokens) {
            throw newConfigurationException(
                TYPE,
                tag,
                "chunking.overlap_tokens",
                "must be at least 0 and less than [chunking.max_tokens] [" + maxTokens + "], got [" + overlapTokens + "]"
            );
        }
        return new PassageChunker(model.tokenizer(), maxTokens, overlapTokens);
    }

    private static int readInt(String tag, Map<String, Object> config, String key, int defaultValue) {
        return readInt(tag, config, key, key, defaultValue);
    }

    /** Removes and reads an integer; JSON numbers and strings of digits are accepted, as ConfigurationUtils does. */
    private static int readInt(String tag, Map<String, Object> config, String key, String name, int defaultValue) {
        Object value = config.remove(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof String) {
            try {
                return Integer.parseInt(value.toString());
            } catch (NumberFormatException e) {
                // the message below says it
            }
        }
        throw newConfigurationException(TYPE, tag, name, "must be an integer, got [" + value + "]");
    }
}
