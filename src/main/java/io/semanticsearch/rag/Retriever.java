package io.semanticsearch.rag;

import io.semanticsearch.rag.RagRequest.Retrieval;
import io.semanticsearch.ranking.Fusion;
import io.semanticsearch.ranking.HybridRanking;
import io.semanticsearch.ranking.HybridRanking.Ranked;
import io.semanticsearch.ranking.HybridRanking.Side;
import io.semanticsearch.ranking.LexicalText;

import org.opensearch.action.admin.indices.mapping.get.GetFieldMappingsRequest;
import org.opensearch.action.search.MultiSearchRequest;
import org.opensearch.action.search.MultiSearchResponse;
import org.opensearch.action.search.SearchRequest;
import org.opensearch.action.search.SearchResponse;
import org.opensearch.action.search.SearchType;
import org.opensearch.common.xcontent.XContentFactory;
import org.opensearch.common.xcontent.XContentType;
import org.opensearch.common.xcontent.support.XContentMapValues;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.common.bytes.BytesReference;
import org.opensearch.core.xcontent.DeprecationHandler;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.search.SearchHit;
import org.opensearch.search.SearchHits;
import org.opensearch.search.builder.SearchSourceBuilder;
import org.opensearch.transport.client.Client;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Finds the passages for a question with ordinary searches through the caller's client, so the caller's
 * permissions (document and field level security included) apply to what an answer can read. Queries are written
 * in the query DSL and parsed with the node's registry, which keeps this class independent of the query builders.
 * One instance per request.
 */
final class Retriever {

    /** Passages taken from each nested document: its best ones, which is usually where the answer sits. */
    static final int PASSAGES_PER_DOC = 3;
    /**
     * How many more documents the nested kNN search finds when a filter must be applied after it, so that enough
     * pass: the filter is on document fields, which the kNN search over passages (child documents) cannot see.
     */
    static final int FILTERED_OVERSAMPLING = 5;

    // The semantic query's limit on k and num_candidates.
    private static final int MAX_K = 10_000;

    private final Client client;
    private final NamedXContentRegistry registry;

    Retriever(Client client, NamedXContentRegistry registry) {
        this.client = client;
        this.registry = registry;
    }

    /** A document found by one search, with the passages it brought. */
    record Doc(String index, String id, double score, List<Passage> passages) {
        Key key() {
            return new Key(index, id);
        }
    }

    /** A passage of a document and its offset in the document's text (null for a whole field). */
    record Passage(String text, Integer offset) {}

    record Key(String index, String id) {}

    /** Reads the mappings of {@code field} and {@code text_field} in the target indices. */
    void resolve(String[] indices, RagRequest request, ActionListener<PassageField> listener) {
        List<String> fields = new ArrayList<>(List.of(request.field(), request.field() + ".vector", request.field() + ".text"));
        if (request.textField() != null) {
            fields.add(request.textField());
        }
        GetFieldMappingsRequest get = new GetFieldMappingsRequest().indices(indices).fields(fields.toArray(String[]::new));
        client.admin().indices().getFieldMappings(get, ActionListener.wrap(response -> {
            PassageField field;
            try {
                if (response.mappings().isEmpty()) {
                    throw new IllegalArgumentException("no index matches " + List.of(indices) + ": there is nothing to answer from");
                }
                field = PassageField.resolve(request, response.mappings());
            } catch (IllegalArgumentException e) {
                listener.onFailure(e);
                return;
            }
            listener.onResponse(field);
        }, listener::onFailure));
    }

    /**
     * Retrieves the passages of the best {@code k} documents, best first. A {@code semantic_text} field and a
     * {@code semantic_vector} field are searched with one {@code semantic} query, with {@code hybrid} for hybrid
     * retrieval: the ranking {@code _search} gives the same request, from the same code. Passages in nested objects
     * of the document (the {@code semantic_embed} processor's) are searched with a {@code nested} query per side, which
     * {@code hybrid} cannot stand inside, and fused with the same {@link HybridRanking}.
     */
    void retrieve(String[] indices, RagRequest request, PassageField field, ActionListener<List<RetrievedPassage>> listener) {
        if (field.nested() == false || field.ownText() != null) {
            SearchRequest ranked;
            try {
                ranked = search(indices, rankedSearch(request, field));
            } catch (IOException | RuntimeException e) {
                listener.onFailure(e);
                return;
            }
            String passages = field.ownText() != null ? request.field() : null;
            client.search(ranked, ActionListener.wrap(response -> {
                List<Doc> docs = docs(response, passages, request.textField());
                listener.onResponse(passages(docs.subList(0, Math.min(request.k(), docs.size()))));
            }, listener::onFailure));
            return;
        }
        SearchRequest semantic;
        SearchRequest lexical;
        try {
            int size = request.retrieval() == Retrieval.HYBRID ? window(request.k()) : request.k();
            semantic = search(indices, semanticSearch(request, field, size));
            // BM25 statistics of the whole index, not of each shard: the fusion then ranks alike on any number of shards.
            lexical = request.retrieval() == Retrieval.HYBRID
                ? search(indices, lexicalSearch(request, field, size)).searchType(SearchType.DFS_QUERY_THEN_FETCH)
                : null;
        } catch (IOException | RuntimeException e) {
            listener.onFailure(e);
            return;
        }
        if (lexical == null) {
            client.search(semantic, ActionListener.wrap(response -> {
                List<Doc> docs = docs(response, field.nestedPath(), request.textField());
                listener.onResponse(passages(docs.subList(0, Math.min(request.k(), docs.size()))));
            }, listener::onFailure));
            return;
        }
        MultiSearchRequest both = new MultiSearchRequest().add(semantic).add(lexical);
        client.multiSearch(both, ActionListener.wrap(response -> {
            MultiSearchResponse.Item[] items = response.getResponses();
            for (MultiSearchResponse.Item item : items) {
                if (item.isFailure()) {
                    listener.onFailure(item.getFailure());
                    return;
                }
            }
            List<Doc> semanticDocs = docs(items[0].getResponse(), field.nestedPath(), request.textField());
            List<Doc> lexicalDocs = docs(items[1].getResponse(), field.nestedPath(), request.textField());
            listener.onResponse(fuse(semanticDocs, lexicalDocs, request.fusion(), request.k()));
        }, listener::onFailure));
    }

    /** How many documents each side of a hybrid search brings to the fusion: more than k, so both can vote. */
    static int window(int k) {
        return Math.max(10, 2 * k);
    }

    /**
     * Fuses the two rankings with {@link HybridRanking} and takes the passages of the best {@code k} documents: the
     * semantic search's passages (the best nested ones) where it found the document, the lexical search's otherwise.
     */
    static List<RetrievedPassage> fuse(List<Doc> semantic, List<Doc> lexical, Fusion fusion, int k) {
        Map<Key, Doc> bySemantic = semantic.stream().collect(Collectors.toMap(Doc::key, d -> d, (a, b) -> a, LinkedHashMap::new));
        Map<Key, Doc> byLexical = lexical.stream().collect(Collectors.toMap(Doc::key, d -> d, (a, b) -> a, LinkedHashMap::new));
        List<Ranked<Key>> ranked = HybridRanking.fuse(fusion, side(lexical), side(semantic));
        List<Doc> best = new ArrayList<>();
        for (Ranked<Key> r : ranked.subList(0, Math.min(k, ranked.size()))) {
            Doc doc = bySemantic.get(r.key());
            if (doc == null || doc.passages().isEmpty()) {
                doc = byLexical.getOrDefault(r.key(), doc);
            }
            best.add(new Doc(doc.index(), doc.id(), r.score(), doc.passages()));
        }
        return passages(best);
    }

    private static Map<Key, Side> side(List<Doc> docs) {
        return HybridRanking.side(docs.stream().map(Doc::key).toList(), docs.stream().map(d -> (float) d.score()).toList());
    }

    private static List<RetrievedPassage> passages(List<Doc> docs) {
        List<RetrievedPassage> passages = new ArrayList<>();
        for (Doc doc : docs) {
            for (Passage passage : doc.passages()) {
                passages.add(new RetrievedPassage(doc.index(), doc.id(), passage.text(), passage.offset(), doc.score()));
            }
        }
        return passages;
    }

    /**
     * The search body of a field the {@code semantic} query searches directly: with {@code hybrid} (BM25 on
     * {@code text_field}, the field itself for {@code semantic_text}) for hybrid retrieval.
     */
    static Map<String, Object> rankedSearch(RagRequest request, PassageField field) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("field", request.field());
        params.put("query", request.question());
        params.put("k", request.k());
        params.put("num_candidates", Math.min(MAX_K, Math.max(100, 2 * request.k())));
        if (request.filter() != null) {
            params.put("filter", request.filter());
        }
        if (request.retrieval() == Retrieval.HYBRID) {
            Map<String, Object> hybrid = new LinkedHashMap<>();
            if (request.textField() != null && request.textField().equals(field.ownText()) == false) {
                hybrid.put("text_field", request.textField());
            }
            // The window is the hybrid option's default for a page of k: the window() of the nested path.
            hybrid.putAll(request.fusion().options());
            params.put("hybrid", hybrid);
        }
        return body(request.k(), request, field, Map.of("semantic", params));
    }

    /** The search body of the {@code semantic} side over nested passages, with the best passages of each document. */
    static Map<String, Object> semanticSearch(RagRequest request, PassageField field, int size) {
        // The nested query scores a document by its best passage (k counts documents) and its inner hits bring the
        // best passages; the filter applies to the documents, outside, where their fields are visible.
        int k = request.filter() == null ? size : Math.min(MAX_K, size * FILTERED_OVERSAMPLING);
        return body(size, request, field, filtered(nested(field, semantic(field.vectorField(), request.question(), k)), request));
    }

    /** The search body of the BM25 side: a {@code match} on {@code text_field}, nested when the field is a passage field. */
    static Map<String, Object> lexicalSearch(RagRequest request, PassageField field, int size) {
        String words = LexicalText.bounded(request.question(), LexicalText.maxWords());
        Map<String, Object> match = Map.of("match", Map.of(request.textField(), Map.of("query", words)));
        Object query = field.holds(request.textField()) ? nested(field, match) : match;
        return body(size, request, field, filtered(query, request));
    }

    private static Map<String, Object> semantic(String vectorField, String question, int k) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("field", vectorField);
        params.put("query", question);
        params.put("k", k);
        params.put("num_candidates", Math.min(MAX_K, Math.max(100, 2 * k)));
        return Map.of("semantic", params);
    }

    private static Map<String, Object> nested(PassageField field, Object query) {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("path", field.nestedPath());
        nested.put("query", query);
        nested.put("score_mode", "max");
        nested.put("inner_hits", Map.of("_source", List.of(field.nestedText(), field.nestedOffset()), "size", PASSAGES_PER_DOC));
        return Map.of("nested", nested);
    }

    private static Object filtered(Object query, RagRequest request) {
        if (request.filter() == null) {
            return query;
        }
        return Map.of("bool", Map.of("must", List.of(query), "filter", List.of(request.filter())));
    }

    private static Map<String, Object> body(int size, RagRequest request, PassageField field, Object query) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("size", size);
        // Vectors can be most of a document's source: fetch only the text the answer needs. A semantic_text field's
        // passages come as each hit's inner hits, with their text: no source at all.
        String textField = request.textField();
        boolean textInSource = field.ownText() == null && textField != null && field.holds(textField) == false;
        body.put("_source", textInSource ? List.of(textField) : false);
        body.put("query", query);
        return body;
    }

    private SearchRequest search(String[] indices, Map<String, Object> body) throws IOException {
        try (
            XContentBuilder json = XContentFactory.jsonBuilder().map(body);
            XContentParser parser = XContentType.JSON.xContent()
                .createParser(registry, DeprecationHandler.THROW_UNSUPPORTED_OPERATION, BytesReference.bytes(json).streamInput())
        ) {
            return new SearchRequest(indices).source(SearchSourceBuilder.fromXContent(parser));
        }
    }

    /** The documents of one search response, best first, each with its passages (the inner hits called {@code passagesName}). */
    static List<Doc> docs(SearchResponse response, String passagesName, String textField) {
        List<Doc> docs = new ArrayList<>();
        for (SearchHit hit : response.getHits().getHits()) {
            List<Passage> passages = new ArrayList<>();
            SearchHits inner = passagesName != null && hit.getInnerHits() != null ? hit.getInnerHits().get(passagesName) : null;
            if (inner != null) {
                for (SearchHit passage : inner.getHits()) {
                    Map<String, Object> source = passage.getSourceAsMap();
                    if (source != null && source.get("text") instanceof String text && text.isBlank() == false) {
                        Integer offset = source.get("offset") instanceof Number n ? n.intValue() : null;
                        passages.add(new Passage(text, offset));
                    }
                }
            }
            if (passages.isEmpty() && textField != null && hit.hasSource()) {
                String text = text(XContentMapValues.extractValue(textField, hit.getSourceAsMap()));
                if (text.isBlank() == false) {
                    passages.add(new Passage(text, null));
                }
            }
            docs.add(new Doc(hit.getIndex(), hit.getId(), hit.getScore(), passages));
        }
        return docs;
    }

    private static String text(Object value) {
        if (value instanceof List<?> list) {
            return list.stream().map(Retriever::text).filter(s -> s.isBlank() == false).collect(Collectors.joining("\n\n"));
        }
        return value == null ? "" : value.toString();
    }
}
