package io.semanticsearch.ingest;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.ModelIdentity;
import io.semanticsearch.mapper.SemanticTextFieldMapper;
import io.semanticsearch.mapper.CopyToSources;
import io.semanticsearch.mapper.SemanticTextMappings;
import io.semanticsearch.mapper.TextChunking;

import org.opensearch.ingest.AbstractBatchingSystemProcessor;
import org.opensearch.plugins.IngestPlugin.SystemIngestPipelineConfigKeys;
import org.opensearch.transport.client.Client;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Builds the {@link SemanticTextProcessor} of an index from its mapping (or, for an index a bulk request is about to
 * create, from the mappings of its templates); none for an index without {@code semantic_text} fields. Each field's
 * recorded model identity is checked against this node's model once here: a node without the model, or with other
 * files under its name, fails the documents that carry such a field with a message naming the node, the model and
 * both fingerprints, instead of writing vectors of another model.
 */
public final class SemanticTextProcessorFactory extends AbstractBatchingSystemProcessor.Factory {

    private final Supplier<EmbeddingService> embeddings;
    private final Client client;
    private final String nodeName;
    private final DocumentEmbedder.Limits limits;
    private final Function<String, List<String>> nodesHolding;

    public SemanticTextProcessorFactory(Supplier<EmbeddingService> embeddings, Client client, String nodeName, int maxChars, int maxPassages) {
        this(embeddings, client, nodeName, maxChars, maxPassages, model -> List.of());
    }

    /** @param nodesHolding the names of the nodes that hold a model, for the error of a node that does not */
    public SemanticTextProcessorFactory(
        Supplier<EmbeddingService> embeddings,
        Client client,
        String nodeName,
        int maxChars,
        int maxPassages,
        Function<String, List<String>> nodesHolding
    ) {
        super(SemanticTextProcessor.TYPE);
        this.embeddings = embeddings;
        this.client = client;
        this.nodeName = nodeName;
        this.limits = new DocumentEmbedder.Limits(maxChars, maxPassages);
        this.nodesHolding = nodesHolding;
    }

    @Override
    protected SemanticTextProcessor newProcessor(String tag, String description, Map<String, Object> config) {
        Map<String, Map<String, Object>> fields = new LinkedHashMap<>();
        Map<String, List<String>> copies = new HashMap<>();
        if (config.get(SystemIngestPipelineConfigKeys.INDEX_MAPPINGS) instanceof Map<?, ?> mapping) {
            collect(mapping, fields, copies);
        } else if (config.get(SystemIngestPipelineConfigKeys.INDEX_TEMPLATE_MAPPINGS) instanceof List<?> templates) {
            // Later templates override earlier ones, as when the index is created from them.
            for (Object mapping : templates) {
                if (mapping instanceof Map<?, ?> map) {
                    collect(map, fields, copies);
                }
            }
        }
        if (fields.isEmpty()) {
            return null;
        }
        EmbeddingService service = Objects.requireNonNull(embeddings.get(), "the embedding service is not created yet");
        List<SemanticTextProcessor.Target> targets = new ArrayList<>();
        List<String> includes = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> field : fields.entrySet()) {
            SemanticTextProcessor.Target target = target(service, field.getKey(), field.getValue());
            List<String> copiedFrom = copies.getOrDefault(field.getKey(), List.of()).stream().sorted().distinct().toList();
            targets.add(new SemanticTextProcessor.Target(target.path(), target.embedder(), target.unavailable(), copiedFrom));
            includes.add(target.semanticPath());
        }
        return new SemanticTextProcessor(
            tag,
            description,
            targets,
            new DocumentEmbedder(service, SemanticEmbedProcessor.DEFAULT_BATCH_SIZE, limits, new StoredTargets(client, includes), client)
        );
    }

    @SuppressWarnings("unchecked")
    private static void collect(Map<?, ?> mapping, Map<String, Map<String, Object>> fields, Map<String, List<String>> copies) {
        for (SemanticTextMappings.Field field : SemanticTextMappings.find((Map<String, Object>) mapping)) {
            fields.put(field.path(), field.definition());
        }
        CopyToSources.of((Map<String, Object>) mapping)
            .forEach((target, sources) -> copies.computeIfAbsent(target, t -> new ArrayList<>()).addAll(sources));
    }

    private String loadedOn(String model) {
        List<String> nodes = nodesHolding.apply(model);
        return nodes.isEmpty() ? "" : " (nodes that have it: " + nodes + ")";
    }

    private SemanticTextProcessor.Target target(EmbeddingService service, String path, Map<String, Object> definition) {
        String modelName = String.valueOf(definition.get("model"));
        Object recorded = definition.get("model_fingerprint");
        String where = "node [" + nodeName + "] cannot embed [" + SemanticTextFieldMapper.CONTENT_TYPE + "] field [" + path + "]: ";
        EmbeddingModel model;
        try {
            model = service.model(modelName);
        } catch (IllegalArgumentException | IllegalStateException e) {
            String missing = where + e.getMessage() + "; install model [" + modelName + "] on every node that runs ingest";
            // Which nodes have it is read when a document needs it, not while the pipeline is built.
            return new SemanticTextProcessor.Target(path, null, () -> missing + loadedOn(modelName));
        }
        try {
            new ModelIdentity(modelName, null, recorded == null ? null : recorded.toString()).requireSameFiles(model, nodeName);
        } catch (IllegalArgumentException e) {
            String otherFiles = "cannot embed [" + SemanticTextFieldMapper.CONTENT_TYPE + "] field [" + path + "]: " + e.getMessage();
            return new SemanticTextProcessor.Target(path, null, () -> otherFiles);
        }
        TextChunking chunking = definition.containsKey("chunking") ? TextChunking.parse(definition.get("chunking")) : TextChunking.DEFAULT;
        PassageChunker chunker = chunking.enabled()
            ? new PassageChunker(model.tokenizer(), chunking.maxTokens(), chunking.overlapTokens())
            : null;
        return new SemanticTextProcessor.Target(path, TextEmbedder.forPassages(service, model, chunker), null);
    }
}
