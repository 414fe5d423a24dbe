package io.semanticsearch;

import io.semanticsearch.embed.ClusterModelsAction;
import io.semanticsearch.embed.EmbedAction;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.ModelRegistry;
import io.semanticsearch.embed.NodesWithModels;
import io.semanticsearch.embed.QueryCacheClearAction;
import io.semanticsearch.embed.QueryVectorCache;
import io.semanticsearch.embed.SemanticStatsAction;
import io.semanticsearch.embed.TransportClusterModelsAction;
import io.semanticsearch.embed.TransportEmbedAction;
import io.semanticsearch.embed.TransportQueryCacheClearAction;
import io.semanticsearch.embed.TransportSemanticStatsAction;
import io.semanticsearch.highlight.SemanticSentenceHighlighter;
import io.semanticsearch.highlight.SentenceVectors;
import io.semanticsearch.ingest.BulkInferenceAction;
import io.semanticsearch.ingest.SemanticEmbedProcessor;
import io.semanticsearch.ingest.SemanticEmbedProcessorFactory;
import io.semanticsearch.ingest.SemanticTextProcessor;
import io.semanticsearch.ingest.SemanticTextProcessorFactory;
import io.semanticsearch.ingest.TransportBulkInferenceAction;
import io.semanticsearch.mapper.HiddenPassagesFetchPhase;
import io.semanticsearch.mapper.HiddenPassagesFilter;
import io.semanticsearch.mapper.PassageIntegrityMapper;
import io.semanticsearch.mapper.PassageVectorsFetchListener;
import io.semanticsearch.mapper.SemanticCodecService;
import io.semanticsearch.mapper.SemanticTextFieldMapper;
import io.semanticsearch.mapper.SemanticTextMappings;
import io.semanticsearch.mapper.SemanticVectorFieldMapper;
import io.semanticsearch.query.FusedHitsQueryBuilder;
import io.semanticsearch.query.ShardFusionQueryBuilder;
import io.semanticsearch.query.QueryEmbedder;
import io.semanticsearch.query.RemoteQueryEmbedAction;
import io.semanticsearch.query.SemanticQueryBuilder;
import io.semanticsearch.query.TransportRemoteQueryEmbedAction;
import io.semanticsearch.rag.LlmConnectors;
import io.semanticsearch.rag.LlmSettings;
import io.semanticsearch.rag.OpenAiChatClient;
import io.semanticsearch.rag.RagAction;
import io.semanticsearch.rag.RagService;
import io.semanticsearch.rag.TransportRagAction;
import io.semanticsearch.rest.PluginInfoAction;
import io.semanticsearch.rest.RestEmbedAction;
import io.semanticsearch.rest.RestModelsAction;
import io.semanticsearch.rest.RestPluginInfoAction;
import io.semanticsearch.rest.RestQueryCacheClearAction;
import io.semanticsearch.rest.RestRagAction;
import io.semanticsearch.rest.RestStatsAction;

import org.opensearch.action.ActionRequest;
import org.opensearch.action.support.ActionFilter;
import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.node.DiscoveryNodes;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.settings.ClusterSettings;
import org.opensearch.common.settings.IndexScopedSettings;
import org.opensearch.common.settings.Setting;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.settings.SettingsFilter;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.common.io.stream.NamedWriteableRegistry;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.env.Environment;
import org.opensearch.env.NodeEnvironment;
import org.opensearch.index.IndexModule;
import org.opensearch.index.IndexSettings;
import org.opensearch.index.codec.CodecServiceFactory;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.index.mapper.MappingTransformer;
import org.opensearch.index.mapper.MetadataFieldMapper;
import org.opensearch.ingest.Processor;
import org.opensearch.node.Node;
import org.opensearch.plugins.ActionPlugin;
import org.opensearch.plugins.EnginePlugin;
import org.opensearch.plugins.IngestPlugin;
import org.opensearch.plugins.MapperPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.plugins.ReloadablePlugin;
import org.opensearch.plugins.SearchPlugin;
import org.opensearch.search.fetch.FetchSubPhase;
import org.opensearch.search.fetch.subphase.highlight.Highlighter;
import org.opensearch.repositories.RepositoriesService;
import org.opensearch.rest.RestController;
import org.opensearch.rest.RestHandler;
import org.opensearch.script.ScriptService;
import org.opensearch.threadpool.ExecutorBuilder;
import org.opensearch.threadpool.FixedExecutorBuilder;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.transport.client.Client;
import org.opensearch.watcher.ResourceWatcherService;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Entry point OpenSearch loads from {@code plugin-descriptor.properties}: it only wires the capabilities
 * (embedding, vector field, query, ingest, answering) into the node.
 */
public class SemanticSearchPlugin extends Plugin
    implements
        ActionPlugin,
        MapperPlugin,
        SearchPlugin,
        EnginePlugin,
        IngestPlugin,
        ReloadablePlugin {

    /** The plugin's folder name under {@code plugins/} and {@code config/}. */
    public static final String NAME = "opensearch-semantic";

    private final Settings settings;
    // Set in createComponents, which runs after getMappers and getQueries: those read them through suppliers.
    private EmbeddingService embeddings;
    private QueryEmbedder queryEmbedder;
    private SentenceVectors sentenceVectors;
    private volatile Client client;
    private RagService rag;
    private volatile int maxTexts;
    private volatile ClusterService clusterService;
    private volatile IndexNameExpressionResolver indexNameResolver;

    public SemanticSearchPlugin(Settings settings) {
        this.settings = settings;
    }

    @Override
    public Settings additionalSettings() {
        // Tells the other nodes whether this one embeds, and with which models: a node without a model sends query texts
        // to one that has it, and names those nodes when it cannot.
        boolean loads = SemanticSettings.MODELS_LOAD.get(settings);
        List<String> names = List.of();
        if (loads && settings.get(Environment.PATH_HOME_SETTING.getKey()) != null) {
            Environment environment = new Environment(settings, null);
            names = ModelRegistry.declaredNames(ModelRegistry.standardRoots(environment.pluginsDir().resolve(NAME), environment.configDir()));
        }
        return Settings.builder()
            .put("node.attr." + NodesWithModels.ATTRIBUTE, loads)
            .put("node.attr." + NodesWithModels.MODELS_ATTRIBUTE, String.join(",", names))
            .build();
    }

    @Override
    public List<Setting<?>> getSettings() {
        List<Setting<?>> all = new ArrayList<>(SemanticSettings.all());
        all.addAll(LlmSettings.all());
        return all;
    }

    @Override
    public List<ExecutorBuilder<?>> getExecutorBuilders(Settings settings) {
        return List.of(
            new FixedExecutorBuilder(
                settings,
                EmbeddingService.THREAD_POOL,
                SemanticSettings.defaultPoolSize(settings),
                SemanticSettings.DEFAULT_POOL_QUEUE,
                SemanticSettings.POOL_PREFIX
            ),
            new FixedExecutorBuilder(
                settings,
                EmbeddingService.SEARCH_THREAD_POOL,
                SemanticSettings.defaultPoolSize(settings),
                SemanticSettings.DEFAULT_SEARCH_POOL_QUEUE,
                SemanticSettings.SEARCH_POOL_PREFIX
            )
        );
    }

    @Override
    public Collection<Object> createComponents(
        Client client,
        ClusterService clusterService,
        ThreadPool threadPool,
        ResourceWatcherService resourceWatcherService,
        ScriptService scriptService,
        NamedXContentRegistry xContentRegistry,
        Environment environment,
        NodeEnvironment nodeEnvironment,
        NamedWriteableRegistry namedWriteableRegistry,
        IndexNameExpressionResolver indexNameExpressionResolver,
        Supplier<RepositoriesService> repositoriesServiceSupplier
    ) {
        this.client = client;
        this.clusterService = clusterService;
        this.indexNameResolver = indexNameExpressionResolver;
        Path pluginDir = environment.pluginsDir().resolve(NAME);
        ModelRegistry registry = SemanticSettings.MODELS_LOAD.get(settings)
            ? ModelRegistry.load(
                ModelRegistry.standardRoots(pluginDir, environment.configDir()),
                SemanticSettings.INFERENCE_THREADS.get(settings),
                SemanticSettings.MODELS_MAX_MEMORY.get(settings).getBytes()
            )
            : ModelRegistry.none(
                "node [" + clusterService.getNodeName() + "] loads no models ([plugins.semantic.models.load: false]); send this "
                    + "request to a node that does, or install the models here"
            );
        embeddings = new EmbeddingService(
            registry,
            threadPool,
            SemanticSettings.EMBED_BATCH_SIZE.get(settings),
            SemanticSettings.INGEST_CALL_TOKENS.get(settings),
            new QueryVectorCache(SemanticSettings.QUERY_CACHE_SIZE.get(settings).getBytes())
        );
        embeddings.maxPendingBatches(SemanticSettings.MAX_PENDING_BATCHES.get(settings));
        embeddings.ingestNice(clusterService.getNodeName(), SemanticSettings.INGEST_POOL_NICE.get(settings));
        clusterService.getClusterSettings().addSettingsUpdateConsumer(SemanticSettings.MAX_PENDING_BATCHES, embeddings::maxPendingBatches);
        // Fingerprints hash every model file (about 100 MB each): compute them now, off the threads that will ask.
        threadPool.generic().execute(() -> registry.modelNames().forEach(name -> registry.get(name).fingerprint()));
        queryEmbedder = new QueryEmbedder(embeddings, clusterService, indexNameExpressionResolver, threadPool);
        sentenceVectors = new SentenceVectors(embeddings, queryEmbedder, client);
        maxTexts = SemanticSettings.EMBED_MAX_TEXTS.get(settings);
        clusterService.getClusterSettings().addSettingsUpdateConsumer(SemanticSettings.EMBED_MAX_TEXTS, v -> maxTexts = v);
        // The keystore is open only while the node is being built: the connectors copy their keys now.
        rag = new RagService(embeddings, LlmConnectors.load(environment.settings()), new OpenAiChatClient(), clusterService.getNodeName());
        return List.of(embeddings, queryEmbedder, rag);
    }

    @Override
    public Map<String, Mapper.TypeParser> getMappers() {
        return Map.of(
            SemanticVectorFieldMapper.CONTENT_TYPE,
            SemanticVectorFieldMapper.typeParser(() -> embeddings == null ? null : embeddings.registry(), SemanticSettings.CODEC_YIELD_TO.get(settings)),
            SemanticTextFieldMapper.CONTENT_TYPE,
            SemanticTextFieldMapper.PARSER
        );
    }

    @Override
    public List<FetchSubPhase> getFetchSubPhases(FetchPhaseConstructionContext context) {
        return List.of(new HiddenPassagesFetchPhase());
    }

    @Override
    public List<ActionFilter> getActionFilters() {
        return List.of(new HiddenPassagesFilter(() -> clusterService, () -> indexNameResolver));
    }

    @Override
    public Map<String, MetadataFieldMapper.TypeParser> getMetadataMappers() {
        return Map.of(PassageIntegrityMapper.NAME, PassageIntegrityMapper.PARSER);
    }

    @Override
    public List<MappingTransformer> getMappingTransformers() {
        return List.of(new SemanticTextMappings(() -> embeddings == null ? null : embeddings.registry(), () -> client));
    }

    @Override
    public Map<String, Highlighter> getHighlighters() {
        return Map.of(SemanticSentenceHighlighter.NAME, new SemanticSentenceHighlighter(() -> sentenceVectors));
    }

    @Override
    public List<QuerySpec<?>> getQueries() {
        Supplier<QueryEmbedder> embedder = () -> queryEmbedder;
        return List.of(
            new QuerySpec<>(
                SemanticQueryBuilder.NAME,
                in -> new SemanticQueryBuilder(in, embedder),
                parser -> SemanticQueryBuilder.fromXContent(parser, embedder)
            ),
            new QuerySpec<>(FusedHitsQueryBuilder.NAME, FusedHitsQueryBuilder::new, FusedHitsQueryBuilder::fromXContent),
            new QuerySpec<>(ShardFusionQueryBuilder.NAME, ShardFusionQueryBuilder::new, ShardFusionQueryBuilder::fromXContent)
        );
    }

    @Override
    public void onIndexModule(IndexModule indexModule) {
        // Per index, so that it knows the index's semantic_text fields; it acts only in fetch phases that need no vectors.
        indexModule.addSearchOperationListener(new PassageVectorsFetchListener());
    }

    @Override
    public Optional<CodecServiceFactory> getCustomCodecServiceFactory(IndexSettings indexSettings) {
        boolean ours = SemanticCodecService.appliesTo(indexSettings, SemanticSettings.CODEC_YIELD_TO.get(settings));
        return ours ? Optional.of(SemanticCodecService::new) : Optional.empty();
    }

    @Override
    public List<ActionHandler<? extends ActionRequest, ? extends ActionResponse>> getActions() {
        return List.of(
            new ActionHandler<>(SemanticStatsAction.INSTANCE, TransportSemanticStatsAction.class),
            new ActionHandler<>(QueryCacheClearAction.INSTANCE, TransportQueryCacheClearAction.class),
            new ActionHandler<>(ClusterModelsAction.INSTANCE, TransportClusterModelsAction.class),
            new ActionHandler<>(EmbedAction.INSTANCE, TransportEmbedAction.class),
            new ActionHandler<>(RagAction.INSTANCE, TransportRagAction.class),
            new ActionHandler<>(BulkInferenceAction.INSTANCE, TransportBulkInferenceAction.class),
            new ActionHandler<>(PluginInfoAction.INSTANCE, PluginInfoAction.Transport.class),
            new ActionHandler<>(RemoteQueryEmbedAction.INSTANCE, TransportRemoteQueryEmbedAction.class)
        );
    }

    @Override
    public Map<String, Processor.Factory> getProcessors(Processor.Parameters parameters) {
        // OpenSearch asks for processors before createComponents builds the embedding service: hand over a supplier.
        // Pipelines are created once the node runs, on threads started after createComponents returned.
        return Map.of(
            SemanticEmbedProcessor.TYPE,
            new SemanticEmbedProcessorFactory(
                () -> embeddings,
                parameters.client,
                parameters.ingestService == null ? null : parameters.ingestService.getClusterService(),
                SemanticSettings.MAX_TEXT_CHARS.get(settings),
                SemanticSettings.MAX_PASSAGES.get(settings)
            )
        );
    }

    /** The system pipeline that embeds {@code semantic_text} fields: OpenSearch builds it from each index's mapping. */
    @Override
    public Map<String, Processor.Factory> getSystemIngestProcessors(Processor.Parameters parameters) {
        return Map.of(
            SemanticTextProcessor.TYPE,
            new SemanticTextProcessorFactory(
                () -> embeddings,
                parameters.client,
                Node.NODE_NAME_SETTING.get(parameters.env.settings()),
                SemanticSettings.MAX_TEXT_CHARS.get(settings),
                SemanticSettings.MAX_PASSAGES.get(settings),
                model -> parameters.ingestService == null
                    ? List.of()
                    : NodesWithModels.namesHolding(parameters.ingestService.getClusterService().state().nodes(), model)
            )
        );
    }

    @Override
    public List<RestHandler> getRestHandlers(
        Settings settings,
        RestController restController,
        ClusterSettings clusterSettings,
        IndexScopedSettings indexScopedSettings,
        SettingsFilter settingsFilter,
        IndexNameExpressionResolver indexNameExpressionResolver,
        Supplier<DiscoveryNodes> nodesInCluster
    ) {
        return List.of(
            new RestPluginInfoAction(embeddings.registry()),
            new RestModelsAction(embeddings.registry()),
            new RestEmbedAction(embeddings, () -> maxTexts),
            new RestStatsAction(),
            new RestQueryCacheClearAction(),
            new RestRagAction(rag)
        );
    }

    /** {@code _nodes/reload_secure_settings}: the LLM connectors take their new API keys. */
    @Override
    public void reload(Settings settings) {
        if (rag != null) {
            rag.connectors().reload(settings);
        }
    }

    @Override
    public void close() throws IOException {
        if (rag != null) {
            rag.close();
        }
        if (embeddings != null) {
            embeddings.close();
        }
    }
}
