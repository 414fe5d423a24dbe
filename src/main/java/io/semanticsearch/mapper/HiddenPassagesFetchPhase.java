package io.semanticsearch.mapper;

import io.semanticsearch.mapper.SemanticTextFieldMapper.SemanticTextFieldType;

import org.apache.lucene.index.LeafReaderContext;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.search.fetch.FetchContext;
import org.opensearch.search.fetch.FetchSubPhase;
import org.opensearch.search.fetch.FetchSubPhaseProcessor;
import org.opensearch.search.fetch.subphase.FetchFieldsContext;
import org.opensearch.search.fetch.subphase.FieldAndFormat;

import java.util.ArrayList;
import java.util.List;

/**
 * Takes the generated passages of {@code semantic_text} fields out of a hit's {@code fields} (the search API's
 * {@code "fields": ["*"]} reads them from the source, as any mapped field), unless the request names them: the
 * {@code fields} counterpart of what {@link HiddenPassagesFilter} does for {@code _source}. Runs after OpenSearch's own
 * sub-phases, which plugin sub-phases follow.
 */
public final class HiddenPassagesFetchPhase implements FetchSubPhase {

    @Override
    public FetchSubPhaseProcessor getProcessor(FetchContext context) {
        FetchFieldsContext fields = context.fetchFieldsContext();
        if (fields == null || fields.fields().isEmpty()) {
            return null;
        }
        List<String> internal = new ArrayList<>();
        for (MappedFieldType type : context.mapperService().fieldTypes()) {
            if (type instanceof SemanticTextFieldType semanticText) {
                internal.add(semanticText.name() + SemanticTextFieldMapper.SEMANTIC_SUFFIX);
            }
        }
        for (FieldAndFormat requested : fields.fields()) {
            for (String path : internal) {
                if (requested.field.equals(path) || requested.field.startsWith(path + ".")) {
                    return null; // asked for by name
                }
            }
        }
        if (internal.isEmpty()) {
            return null;
        }
        return new FetchSubPhaseProcessor() {
            @Override
            public void setNextReader(LeafReaderContext readerContext) {}

            @Override
            public void process(HitContext hit) {
                for (String name : hit.hit().getDocumentFields().keySet()) {
                    if (internal.stream().anyMatch(path -> name.startsWith(path + "."))) {
                        hit.hit().removeDocumentField(name);
                    }
                }
            }
        };
    }
}
