package io.semanticsearch.highlight;

import io.semanticsearch.mapper.SemanticTextFieldMapper.SemanticTextFieldType;
import io.semanticsearch.mapper.SemanticVectorFieldType;
import io.semanticsearch.query.QueryVectors;
import io.semanticsearch.ranking.SentenceSplitter.Sentence;

import org.opensearch.common.document.DocumentField;
import org.opensearch.core.common.text.Text;
import org.opensearch.index.mapper.MappedFieldType;
import org.opensearch.search.fetch.subphase.highlight.FieldHighlightContext;
import org.opensearch.search.fetch.subphase.highlight.HighlightField;
import org.opensearch.search.fetch.subphase.highlight.HighlightUtils;
import org.opensearch.search.fetch.subphase.highlight.Highlighter;
import org.opensearch.search.fetch.subphase.highlight.SearchHighlightContext;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The {@code semantic_sentences} highlighter: the sentences of a hit's field closest in meaning to the search's
 * {@code semantic} query, best first, each a fragment between the tags. Their scores (cosine similarity to the
 * query vector) and offsets into the field's text ({@code element} for the value of an array) come in the hit's
 * {@code fields}, under {@code _semantic_sentences.<field>}: a highlight fragment can only be a string.
 *
 * <p>Sentences are embedded with the model of the vectors the query searched, through the query cache (the same
 * documents keep being highlighted), on this node or, where it loads no models, on one that does
 * ({@link SentenceVectors}); the fetch phase waits for them. Unlike a lexical highlighter it needs the query's
 * vector, so a search without a {@code semantic} query gets a 400 saying so.
 */
public final class SemanticSentenceHighlighter implements Highlighter {

    public static final String NAME = "semantic_sentences";
    /** Most sentences of one field embedded per hit: bounds the work of a long document. */
    static final int MAX_SENTENCES = 100;

    // Highlighters are registered before the node's components exist.
    private final Supplier<SentenceVectors> vectors;

    public SemanticSentenceHighlighter(Supplier<SentenceVectors> vectors) {
        this.vectors = vectors;
    }

    @Override
    public boolean canHighlight(MappedFieldType fieldType) {
        return fieldType instanceof SemanticTextFieldType || "text".equals(fieldType.typeName()) || "match_only_text".equals(fieldType.typeName());
    }

    @Override
    public HighlightField highlight(FieldHighlightContext context) throws IOException {
        QueryVectors.Found found = QueryVectors.find(context.query);
        if (found == null) {
            throw new IllegalArgumentException(
                "[highlight] [type] [" + NAME + "] on [" + context.fieldName + "] needs a [semantic] query by text, vector or like in the search: "
                    + "it ranks sentences by their similarity to that query's vector"
            );
        }
        SearchHighlightContext.FieldOptions options = context.field.fieldOptions();
        RankedSentences.fragmentCount(options.numberOfFragments(), 0, context.fieldName); // a bad value is a 400 on any hit
        SentenceModel model = model(context, found);
        // As the other highlighters read a field: stored, or from _source through the field's own fetcher.
        List<Object> values = HighlightUtils.loadFieldValues(
            context.fieldType,
            context.context.getQueryShardContext(),
            context.hitContext,
            context.forceSource
        );
        List<RankedSentences.Candidate> candidates = RankedSentences.split(values, MAX_SENTENCES);
        if (candidates.isEmpty()) {
            return null;
        }
        float[][] embedded = vectors.get()
            .embed(
                context.context.getQueryShardContext().index().getName(),
                context.fieldName,
                model.name(),
                model.fingerprint(),
                candidates.stream().map(c -> c.sentence().text()).toList()
            );
        int count = RankedSentences.fragmentCount(options.numberOfFragments(), candidates.size(), context.fieldName);
        List<RankedSentences.Ranked> best = RankedSentences.best(candidates, found.vector(), embedded, count);
        String pre = options.preTags() == null || options.preTags().length == 0 ? "<em>" : options.preTags()[0];
        String post = options.postTags() == null || options.postTags().length == 0 ? "</em>" : options.postTags()[0];
        Text[] fragments = new Text[best.size()];
        List<Object> details = new ArrayList<>(best.size());
        for (int rank = 0; rank < best.size(); rank++) {
            RankedSentences.Ranked ranked = best.get(rank);
            Sentence sentence = ranked.candidate().sentence();
            fragments[rank] = new Text(pre + sentence.text() + post);
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("text", sentence.text());
            detail.put("score", ranked.score());
            detail.put("start", sentence.start());
            detail.put("end", sentence.end());
            if (values.size() > 1) {
                detail.put("element", ranked.candidate().element());
            }
            details.add(detail);
        }
        String detailField = "_semantic_sentences." + context.fieldName;
        context.hitContext.hit().setDocumentField(detailField, new DocumentField(detailField, details));
        return new HighlightField(context.fieldName, fragments);
    }

    /** A model by name and the fingerprint of the files its mapping recorded (null where it recorded none). */
    record SentenceModel(String name, String fingerprint) {}

    /**
     * The model of the vectors the query searched: the highlighted field's own, else the vector field's, as the
     * mapping records it.
     */
    private static SentenceModel model(FieldHighlightContext context, QueryVectors.Found found) {
        String name = null;
        String fingerprint = null;
        if (context.fieldType instanceof SemanticTextFieldType semanticText) {
            name = semanticText.options().model();
            fingerprint = semanticText.options().fingerprint();
        } else if (found.field() != null
            && context.context.getQueryShardContext().fieldMapper(found.field()) instanceof SemanticVectorFieldType vectors) {
                name = vectors.modelName();
                fingerprint = vectors.modelFingerprint();
            }
        if (name == null) {
            throw new IllegalArgumentException(
                "[highlight] [type] [" + NAME + "] on [" + context.fieldName + "] cannot tell which model made the query's vector"
            );
        }
        return new SentenceModel(name, fingerprint);
    }
}
