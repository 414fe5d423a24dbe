package io.semanticsearch.mapper;

import io.semanticsearch.mapper.SemanticTextFieldMapper.SemanticTextFieldType;

import org.opensearch.index.mapper.DocumentMapper;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.mapper.MapperService;
import org.opensearch.index.shard.SearchOperationListener;
import org.opensearch.search.fetch.subphase.FetchSourceContext;
import org.opensearch.search.fetch.subphase.InnerHitsContext;
import org.opensearch.search.internal.SearchContext;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Spares a search's fetch phase the putting back of passage vectors into {@code _source} when nothing it returns can
 * show them: {@code _source} off or filtered so that every passage vector is left out, in the hits and in every inner
 * hit, and no script fields or {@code fields} (which could read them). A {@code semantic} query on a
 * {@code semantic_text} field asks for the best passages of each hit without their vectors, and {@code _rag} asks for
 * text and offsets only: for them, restoring the vectors meant writing hundreds of numbers per passage as JSON and
 * parsing them again, only for the source filter to drop them (most of a query's fetch time).
 * <p>
 * The fetch phase runs on one thread between {@link #onPreFetchPhase} and {@link #onFetchPhase} (or
 * {@link #onFailedFetchPhase}), which OpenSearch pairs; {@link PassageVectorsStoredFieldsFormat}'s reader asks
 * {@link #restoring()} on that thread. Whatever reads {@code _source} outside a fetch phase (GET, {@code _update},
 * {@code _reindex}, scripts and {@code top_hits} in the query phase) sees the vectors, as before.
 */
public final class PassageVectorsFetchListener implements SearchOperationListener {

    private static final ThreadLocal<SearchContext> UNRESTORED_FETCH = new ThreadLocal<>();

    /** The passage vector fields of the mapping last seen; recomputed when the mapping changes. */
    private volatile VectorFields vectorFields = new VectorFields(null, List.of());

    private record VectorFields(DocumentMapper mapper, List<String> paths) {}

    /** Whether a {@code _source} read on this thread must get its passage vectors back. */
    static boolean restoring() {
        return UNRESTORED_FETCH.get() == null;
    }

    @Override
    public void onPreFetchPhase(SearchContext context) {
        List<String> paths = vectorFields(context.mapperService());
        if (paths.isEmpty() == false && showsNoVectors(context, paths)) {
            UNRESTORED_FETCH.set(context);
        }
    }

    @Override
    public void onFetchPhase(SearchContext context, long tookInNanos) {
        end(context);
    }

    @Override
    public void onFailedFetchPhase(SearchContext context) {
        end(context);
    }

    private static void end(SearchContext context) {
        if (UNRESTORED_FETCH.get() == context) {
            UNRESTORED_FETCH.remove();
        }
    }

    private List<String> vectorFields(MapperService mapperService) {
        DocumentMapper mapper = mapperService.documentMapper();
        VectorFields known = vectorFields;
        if (known.mapper() != mapper) {
            List<String> paths = new ArrayList<>();
            if (mapper != null) {
                for (MappedFieldType type : mapperService.fieldTypes()) {
                    if (type instanceof SemanticTextFieldType semanticText) {
                        paths.add(semanticText.vectorField());
                    }
                }
            }
            known = new VectorFields(mapper, List.copyOf(paths));
            vectorFields = known;
        }
        return known.paths();
    }

    /** Whether neither the hits nor any inner hit of {@code context} can return a passage vector. */
    static boolean showsNoVectors(SearchContext context, List<String> vectorPaths) {
        if (context.hasScriptFields() || context.fetchFieldsContext() != null) {
            return false;
        }
        if (context.hasFetchSourceContext() == false) {
            return false; // the fetch phase then returns the whole source, as when _source is true
        }
        if (context.sourceRequested() && dropsAll(context.fetchSourceContext(), vectorPaths) == false) {
            return false;
        }
        InnerHitsContext innerHits = context.innerHits();
        if (innerHits != null) {
            for (SearchContext inner : innerHits.getInnerHits().values()) {
                if (showsNoVectors(inner, vectorPaths) == false) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether the source filter of {@code source} leaves out each of {@code vectorPaths}: asked of the filter itself. */
    static boolean dropsAll(FetchSourceContext source, List<String> vectorPaths) {
        if (source == null || source.fetchSource() == false) {
            return true;
        }
        for (String path : vectorPaths) {
            Map<String, Object> probe = probe(path);
            if (PassageVectorsInSource.objectAt(source.getFilter().apply(probe), path) != null) {
                return false;
            }
        }
        return true;
    }

    /** {@code {"a": {"b": {"vector": [0.5]}}}} for path {@code a.b.vector}. */
    private static Map<String, Object> probe(String path) {
        String[] parts = path.split("\\.");
        Object value = List.of(0.5f);
        for (int i = parts.length - 1; i >= 0; i--) {
            Map<String, Object> object = new HashMap<>();
            object.put(parts[i], value);
            value = object;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) value;
        return root;
    }
}
