package io.semanticsearch.mapper;

import io.semanticsearch.mapper.SemanticTextFieldMapper.SemanticTextFieldType;

import org.apache.lucene.search.Query;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.index.mapper.DocumentMapper;
import org.opensearch.index.mapper.FieldMapper;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.index.mapper.Mapper;
import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.index.mapper.MetadataFieldMapper;
import org.opensearch.index.mapper.ParseContext;
import org.opensearch.index.mapper.SourceToParse;
import org.opensearch.index.mapper.TextSearchInfo;
import org.opensearch.index.mapper.ValueFetcher;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.search.lookup.SearchLookup;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks every document of an index with {@code semantic_text} fields against {@link PassageIntegrity} once it is
 * parsed, and refuses it (HTTP 400, the document alone) when a field's passages do not belong to its text. Document
 * parsing is the one step that every write goes through: index and create, {@code _update} with a document or a
 * script, {@code _bulk} updates with a script and scripted upserts (which no ingest pipeline sees),
 * {@code _update_by_query}, {@code _reindex}, and the replay on replicas. A metadata field, so that it runs once per
 * document whatever fields the document holds; it indexes nothing.
 */
public final class PassageIntegrityMapper extends MetadataFieldMapper {

    public static final String NAME = "_semantic_passage_check";

    /** Where {@link SemanticTextMappings} leaves the reason it refused a mapping, for parsing to report. */
    static final String REFUSED = "refused";

    /**
     * Not configurable, except that a mapping carrying {@link #REFUSED} fails with that reason: a mapping transformer's
     * own failure is logged by OpenSearch as a node error, where a refused mapping is a user's mistake (a 400).
     */
    public static final TypeParser PARSER = new FixedTypeParser(c -> new PassageIntegrityMapper()) {
        @Override
        public Builder parse(String name, Map<String, Object> node, ParserContext parserContext) throws MapperParsingException {
            if (node.get(REFUSED) instanceof String reason) {
                throw new MapperParsingException(reason);
            }
            return super.parse(name, node, parserContext);
        }
    };

    private static final String HOW_TO_UPDATE = "a script inside [_bulk] (an update with [script], or a scripted upsert) runs where no "
        + "ingest pipeline can embed: send it as POST /{index}/_update/{id} or with _update_by_query, or index the whole document";

    /** The {@code semantic_text} fields of the mapping last seen; recomputed when the mapping changes. */
    private volatile Fields fields = new Fields(null, List.of(), Map.of());

    /** @param copies the fields whose {@code copy_to} names each {@code semantic_text} field, sorted */
    private record Fields(DocumentMapper mapper, List<SemanticTextFieldType> types, Map<String, List<String>> copies) {}

    private PassageIntegrityMapper() {
        super(CheckFieldType.INSTANCE);
    }

    @Override
    public void postParse(ParseContext context) {
        Fields known = semanticTextFields(context.docMapper());
        if (known.types().isEmpty()) {
            return;
        }
        SourceToParse source = context.sourceToParse();
        Map<String, Object> document = XContentHelper.convertToMap(source.source(), false, source.getMediaType()).v2();
        for (SemanticTextFieldType type : known.types()) {
            check(type, document, known.copies().getOrDefault(type.name(), List.of()));
        }
    }

    /** @throws MapperParsingException naming the field, what is wrong and what to do, when the passages don't belong */
    static void check(SemanticTextFieldType type, Map<String, Object> document) {
        check(type, document, List.of());
    }

    /** @param copiedFrom the fields whose {@code copy_to} names this one: their values are embedded after its own */
    static void check(SemanticTextFieldType type, Map<String, Object> document, List<String> copiedFrom) {
        String field = type.name();
        String semanticField = field + SemanticTextFieldMapper.SEMANTIC_SUFFIX;
        Object semantic = SourcePaths.valueAt(document, semanticField);
        SourceText text;
        try {
            text = SourceText.readWithCopies(document, field, copiedFrom);
        } catch (IllegalArgumentException notText) {
            if (semantic != null) {
                // Passages of a value that is not text (a copy_to source holding a number, say) cannot be checked.
                throw new MapperParsingException("field [" + semanticField + "] holds passages that cannot be checked: " + notText.getMessage());
            }
            return; // the field's own parser names the value
        }
        if (text == null) {
            if (semantic != null) {
                throw new MapperParsingException(
                    "field [" + semanticField + "] holds passages but [" + field + "] has no value: passages are made by the node from the "
                        + "field's text and cannot be sent without it; leave [" + semanticField + "] out"
                );
            }
            return;
        }
        List<String> strings = text.strings();
        boolean array = text.array();
        if (semantic == null) {
            throw new MapperParsingException(
                "field [" + field + "] was not embedded (it has no [" + semanticField + "]): " + HOW_TO_UPDATE
                    + "; with [cluster.ingest.system_pipeline_enabled] false no document is embedded"
            );
        }
        String problem = PassageIntegrity.mismatch(PassageIntegrity.hash(type, strings, array), strings, array, semantic);
        if (problem != null) {
            throw new MapperParsingException(
                "field [" + semanticField + "] does not belong to the text of [" + field + "]: " + problem + ". Passages are made by the "
                    + "node from the field's text: do not send [" + semanticField + "]; if the text was changed by a script, " + HOW_TO_UPDATE
            );
        }
    }

    private Fields semanticTextFields(DocumentMapper mapper) {
        Fields known = fields;
        if (known.mapper() != mapper) {
            List<SemanticTextFieldType> types = new ArrayList<>();
            for (Mapper field : mapper.mappers()) {
                if (field instanceof SemanticTextFieldMapper semanticText) {
                    types.add(semanticText.fieldType());
                }
            }
            Map<String, List<String>> copies = new HashMap<>();
            for (Mapper field : mapper.mappers()) {
                if (field instanceof FieldMapper source) {
                    for (String target : source.copyTo().copyToFields()) {
                        copies.computeIfAbsent(target, t -> new ArrayList<>()).add(source.name());
                    }
                }
            }
            copies.values().forEach(list -> list.sort(null));
            known = new Fields(mapper, List.copyOf(types), copies);
            fields = known;
        }
        return known;
    }

    @Override
    protected String contentType() {
        return NAME;
    }

    /** Nothing is indexed under this name: it only names the check. */
    static final class CheckFieldType extends MappedFieldType {

        static final CheckFieldType INSTANCE = new CheckFieldType();

        private CheckFieldType() {
            super(NAME, false, false, false, TextSearchInfo.NONE, Collections.emptyMap());
        }

        @Override
        public String typeName() {
            return NAME;
        }

        @Override
        public ValueFetcher valueFetcher(QueryShardContext context, SearchLookup lookup, String format) {
            throw new IllegalArgumentException("[" + NAME + "] holds no values");
        }

        @Override
        public Query termQuery(Object value, QueryShardContext context) {
            throw new IllegalArgumentException("[" + NAME + "] cannot be searched");
        }
    }
}
