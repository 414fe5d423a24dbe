package io.semanticsearch.mapper;

import org.opensearch.action.ActionRequest;
import org.opensearch.action.DocWriteRequest;
import org.opensearch.action.admin.indices.mapping.get.GetMappingsAction;
import org.opensearch.action.admin.indices.mapping.get.GetMappingsResponse;
import org.opensearch.action.bulk.BulkAction;
import org.opensearch.action.bulk.BulkRequest;
import org.opensearch.action.explain.ExplainAction;
import org.opensearch.action.explain.ExplainRequest;
import org.opensearch.action.fieldcaps.FieldCapabilities;
import org.opensearch.action.fieldcaps.FieldCapabilitiesAction;
import org.opensearch.action.fieldcaps.FieldCapabilitiesResponse;
import org.opensearch.action.get.GetAction;
import org.opensearch.action.get.GetRequest;
import org.opensearch.action.get.MultiGetAction;
import org.opensearch.action.get.MultiGetRequest;
import org.opensearch.action.search.SearchAction;
import org.opensearch.action.search.SearchRequest;
import org.opensearch.action.support.ActionFilter;
import org.opensearch.action.support.ActionFilterChain;
import org.opensearch.action.support.ActionRequestMetadata;
import org.opensearch.action.support.IndicesOptions;
import org.opensearch.action.update.UpdateAction;
import org.opensearch.action.update.UpdateRequest;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.metadata.MappingMetadata;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.tasks.TaskId;
import org.opensearch.index.reindex.ReindexAction;
import org.opensearch.index.reindex.UpdateByQueryAction;
import org.opensearch.search.aggregations.AggregationBuilder;
import org.opensearch.search.aggregations.metrics.TopHitsAggregationBuilder;
import org.opensearch.search.builder.SearchSourceBuilder;
import org.opensearch.search.fetch.subphase.FetchSourceContext;
import org.opensearch.tasks.Task;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Keeps the generated passages of {@code semantic_text} fields ({@code f_semantic}) out of what the read APIs return,
 * so that a document and a mapping read back as the user sent them: {@code GET _mapping} and {@code _field_caps} leave
 * the generated objects out; GET, {@code _mget}, {@code _explain}, the {@code _source} of an
 * {@code _update} response and search hits (with scroll and {@code _msearch}, which run searches) get the internal
 * paths of their indices added to their {@code _source} excludes. On the shard, a search whose excludes leave the
 * passage vectors out does not put them back at all ({@link PassageVectorsFetchListener}), so a hit costs what a
 * {@code text} index's does.
 * <p>
 * Whoever wants the raw passages names them: a {@code _source} include of {@code f_semantic} (or a path under it)
 * leaves the request as it is. {@code _reindex} and {@code _update_by_query} read them too, without asking: the
 * searches they run are children of their task, and carrying the passages is what lets the destination keep them
 * instead of embedding again (the destination checks them against the text, {@link PassageIntegrityMapper}).
 */
public final class HiddenPassagesFilter implements ActionFilter {

    private static final String[] NONE = new String[0];

    private final Supplier<ClusterService> clusterService;
    private final Supplier<IndexNameExpressionResolver> resolver;
    /** Local ids of the {@code _reindex} and {@code _update_by_query} tasks running on this node. */
    private final Set<Long> copyingTasks = ConcurrentHashMap.newKeySet();
    /** Internal paths per index, keyed by index UUID, with the mapping version they were read from. */
    private final Map<String, Paths> paths = new ConcurrentHashMap<>();

    private record Paths(long mappingVersion, List<String> internal) {}

    public HiddenPassagesFilter(Supplier<ClusterService> clusterService, Supplier<IndexNameExpressionResolver> resolver) {
        this.clusterService = clusterService;
        this.resolver = resolver;
    }

    @Override
    public int order() {
        return 0;
    }

    @Override
    public <Request extends ActionRequest, Response extends ActionResponse> void apply(
        Task task,
        String action,
        Request request,
        ActionRequestMetadata<Request, Response> metadata,
        ActionListener<Response> listener,
        ActionFilterChain<Request, Response> chain
    ) {
        if (clusterService.get() == null) {
            chain.proceed(task, action, request, listener);
            return;
        }
        switch (action) {
            case ReindexAction.NAME, UpdateByQueryAction.NAME -> {
                long id = task.getId();
                copyingTasks.add(id);
                chain.proceed(task, action, request, ActionListener.runBefore(listener, () -> copyingTasks.remove(id)));
                return;
            }
            case GetMappingsAction.NAME -> {
                chain.proceed(task, action, request, withResponse(listener, response -> withoutInternals((GetMappingsResponse) response)));
                return;
            }
            case FieldCapabilitiesAction.NAME -> {
                chain.proceed(task, action, request, withResponse(listener, response -> withoutInternals((FieldCapabilitiesResponse) response)));
                return;
            }
            case SearchAction.NAME -> hide((SearchRequest) request, task);
            case GetAction.NAME -> {
                GetRequest get = (GetRequest) request;
                get.fetchSourceContext(hide(get.fetchSourceContext(), internalPaths(get.index())));
            }
            case MultiGetAction.NAME -> {
                for (MultiGetRequest.Item item : ((MultiGetRequest) request).getItems()) {
                    item.fetchSourceContext(hide(item.fetchSourceContext(), internalPaths(item.index())));
                }
            }
            case ExplainAction.NAME -> {
                ExplainRequest explain = (ExplainRequest) request;
                explain.fetchSourceContext(hide(explain.fetchSourceContext(), internalPaths(explain.index())));
            }
            case BulkAction.NAME -> {
                // An update inside a bulk answers with its source when asked (_source on the bulk or the item).
                for (DocWriteRequest<?> item : ((BulkRequest) request).requests()) {
                    if (item instanceof UpdateRequest update && update.fetchSource() != null) {
                        update.fetchSource(hide(update.fetchSource(), internalPaths(update.index())));
                    }
                }
            }
            case UpdateAction.NAME -> {
                UpdateRequest update = (UpdateRequest) request;
                if (update.fetchSource() != null) {
                    update.fetchSource(hide(update.fetchSource(), internalPaths(update.index())));
                }
            }
            default -> {}
        }
        chain.proceed(task, action, request, listener);
    }

    @SuppressWarnings("unchecked")
    private static <Response> ActionListener<Response> withResponse(ActionListener<Response> listener, UnaryOperator<Object> rewrite) {
        return ActionListener.wrap(response -> listener.onResponse((Response) rewrite.apply(response)), listener::onFailure);
    }

    /** The mappings with the generated objects taken out: a {@code semantic_text} field shows once, with its settings. */
    static GetMappingsResponse withoutInternals(GetMappingsResponse response) {
        Map<String, MappingMetadata> shown = new HashMap<>();
        boolean changed = false;
        for (Map.Entry<String, MappingMetadata> index : response.mappings().entrySet()) {
            MappingMetadata mapping = index.getValue();
            Map<String, Object> source = mapping == null ? Map.of() : mapping.sourceAsMap();
            List<SemanticTextMappings.Field> fields = SemanticTextMappings.find(source);
            if (fields.isEmpty()) {
                shown.put(index.getKey(), mapping);
                continue;
            }
            for (SemanticTextMappings.Field field : fields) {
                field.siblings().remove(field.generatedKey());
            }
            shown.put(index.getKey(), new MappingMetadata(mapping.type(), Map.of(mapping.type(), source)));
            changed = true;
        }
        return changed ? new GetMappingsResponse(shown) : response;
    }

    /** The field capabilities without the generated fields of the indices answered. */
    FieldCapabilitiesResponse withoutInternals(FieldCapabilitiesResponse response) {
        List<String> internal = internalPaths(response.getIndices());
        if (internal.isEmpty()) {
            return response;
        }
        Map<String, Map<String, FieldCapabilities>> shown = new HashMap<>(response.get());
        shown.keySet().removeIf(name -> internal.stream().anyMatch(path -> name.equals(path) || name.startsWith(path + ".")));
        return new FieldCapabilitiesResponse(response.getIndices(), shown);
    }

    private void hide(SearchRequest search, Task task) {
        TaskId parent = task.getParentTaskId();
        if (parent.isSet()
            && parent.getNodeId().equals(clusterService.get().localNode().getId())
            && copyingTasks.contains(parent.getId())) {
            return;
        }
        List<String> internal = internalPaths(search.indices());
        if (internal.isEmpty()) {
            return;
        }
        SearchSourceBuilder source = search.source() == null ? new SearchSourceBuilder() : search.source();
        source.fetchSource(hide(source.fetchSource(), internal));
        if (source.aggregations() != null) {
            hideInTopHits(source.aggregations().getAggregatorFactories(), internal);
        }
        search.source(source);
    }

    /** {@code top_hits} fetch documents of their own, at any depth of the aggregation tree. */
    static void hideInTopHits(Collection<AggregationBuilder> aggregations, List<String> internal) {
        for (AggregationBuilder aggregation : aggregations) {
            if (aggregation instanceof TopHitsAggregationBuilder topHits) {
                topHits.fetchSource(hide(topHits.fetchSource(), internal));
            }
            hideInTopHits(aggregation.getSubAggregations(), internal);
        }
    }

    /** {@code fetch} with {@code internal} added to its excludes, unless it fetches no source or names them. */
    static FetchSourceContext hide(FetchSourceContext fetch, List<String> internal) {
        if (internal.isEmpty() || (fetch != null && fetch.fetchSource() == false)) {
            return fetch;
        }
        String[] includes = fetch == null ? NONE : fetch.includes();
        for (String include : includes) {
            for (String path : internal) {
                if (include.equals(path) || include.startsWith(path + ".")) {
                    return fetch; // asked for by name: shown
                }
            }
        }
        Set<String> excludes = new LinkedHashSet<>(Arrays.asList(fetch == null ? NONE : fetch.excludes()));
        excludes.addAll(internal);
        return new FetchSourceContext(true, includes, excludes.toArray(NONE));
    }

    /** The {@code f_semantic} paths of the indices {@code expressions} resolve to (leniently: errors are the action's). */
    List<String> internalPaths(String... expressions) {
        ClusterState state = clusterService.get().state();
        String[] indices;
        try {
            indices = resolver.get().concreteIndexNames(state, IndicesOptions.lenientExpandOpen(), expressions);
        } catch (RuntimeException e) {
            return List.of();
        }
        Set<String> found = new LinkedHashSet<>();
        for (String index : indices) {
            IndexMetadata metadata = state.metadata().index(index);
            if (metadata != null) {
                found.addAll(internalPaths(metadata, state));
            }
        }
        return List.copyOf(found);
    }

    private List<String> internalPaths(IndexMetadata metadata, ClusterState state) {
        Paths known = paths.get(metadata.getIndexUUID());
        if (known == null || known.mappingVersion() != metadata.getMappingVersion()) {
            List<String> internal = new ArrayList<>();
            MappingMetadata mapping = metadata.mapping();
            if (mapping != null) {
                for (SemanticTextMappings.Field field : SemanticTextMappings.find(mapping.sourceAsMap())) {
                    internal.add(field.path() + SemanticTextFieldMapper.SEMANTIC_SUFFIX);
                }
            }
            known = new Paths(metadata.getMappingVersion(), List.copyOf(internal));
            paths.put(metadata.getIndexUUID(), known);
            if (paths.size() > 2 * state.metadata().indices().size()) {
                // Deleted indices leave their entries: drop those no longer in the cluster.
                Set<String> live = new HashSet<>();
                for (IndexMetadata index : state.metadata().indices().values()) {
                    live.add(index.getIndexUUID());
                }
                paths.keySet().retainAll(live);
            }
        }
        return known.internal();
    }
}
