package io.semanticsearch.rag;

import io.semanticsearch.rag.RagRequest.Retrieval;
import io.semanticsearch.ranking.Fusion;
import io.semanticsearch.ranking.LinearFusion.Normalizer;

import org.opensearch.common.settings.Settings;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.common.bytes.BytesArray;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.index.query.TermQueryBuilder;
import org.opensearch.search.SearchModule;
import org.opensearch.test.OpenSearchTestCase;

import java.util.List;
import java.util.Map;

public class RagRequestTests extends OpenSearchTestCase {

    private static final NamedXContentRegistry REGISTRY = new NamedXContentRegistry(
        new SearchModule(Settings.EMPTY, List.of()).getNamedXContents()
    );

    private static RagRequest parse(String json) {
        Map<String, Object> body = XContentHelper.convertToMap(JsonXContent.jsonXContent, new BytesArray(json).streamInput(), false);
        return RagRequest.parse(body, REGISTRY);
    }

    private static void assertRejected(String json, String message) {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> parse(json));
        assertEquals(message, e.getMessage());
    }

    public void testDefaults() {
        RagRequest request = parse("{\"question\": \"如何配置日志轮转?\", \"field\": \"passages\"}");
        assertEquals("如何配置日志轮转?", request.question());
        assertEquals("passages", request.field());
        assertNull(request.textField());
        // Decided by the field: semantic on passages or a vector field, hybrid on a semantic_text field's own text.
        assertNull(request.retrieval());
        RagRequest onPassages = request.forField(new PassageField("passages.vector", "passages", null));
        assertEquals(Retrieval.SEMANTIC, onPassages.retrieval());
        assertNull(onPassages.textField());
        RagRequest onSemanticText = request.forField(new PassageField("passages_semantic.passages.vector", "passages_semantic.passages", "m", "passages"));
        assertEquals(Retrieval.HYBRID, onSemanticText.retrieval());
        assertEquals("passages", onSemanticText.textField());
        assertEquals(5, request.k());
        assertEquals(Fusion.DEFAULT, request.fusion());
        assertEquals(Fusion.linear(0.5, Normalizer.Z_SCORE), Fusion.DEFAULT);
        assertNull(request.filter());
        assertEquals("extractive", request.generator());
        assertEquals(2000, request.maxContextTokens());
        assertNull(request.prompt());
        assertEquals(ExtractiveAnswerer.DEFAULT_MIN_SCORE, request.minScore(), 0);
        assertNull("the answer model is chosen by the node (RagService#answeringModel)", request.answerModel());
    }

    public void testATextFieldMakesRetrievalHybridUnlessToldOtherwise() {
        assertEquals(Retrieval.HYBRID, parse("{\"question\": \"q\", \"field\": \"f\", \"text_field\": \"body\"}").retrieval());
        assertEquals(
            Retrieval.SEMANTIC,
            parse("{\"question\": \"q\", \"field\": \"f\", \"text_field\": \"body\", \"retrieval\": \"semantic\"}").retrieval()
        );
    }

    public void testEverythingSet() {
        RagRequest request = parse("""
            {"question": "q", "field": "f", "text_field": "body", "retrieval": "HYBRID", "k": 7, "rank_constant": 10,
             "filter": {"term": {"lang": "en"}}, "generator": "gpt", "max_context_tokens": 500,
             "prompt": "{{question}} from {{context}}"}""");
        assertEquals(Retrieval.HYBRID, request.retrieval());
        assertEquals(7, request.k());
        assertEquals(Fusion.rrf(10), request.fusion());
        assertEquals(new TermQueryBuilder("lang", "en"), request.filter());
        assertEquals("gpt", request.generator());
        assertEquals(500, request.maxContextTokens());
        assertEquals("{{question}} from {{context}}", request.prompt());
    }

    public void testRequiredParameters() {
        assertRejected("{\"field\": \"f\"}", "[question] is required");
        assertRejected("{\"question\": \"q\"}", "[field] is required");
        assertRejected("{\"question\": \"  \", \"field\": \"f\"}", "[question] must not be blank, got [  ]");
        assertRejected("{\"question\": 42, \"field\": \"f\"}", "[question] must be a string, got [number] [42]");
        assertRejected("{\"question\": \"q\", \"field\": [\"a\"]}", "[field] must be a string, got [array] [[a]]");
        assertRejected(
            "{\"question\": \"" + "x".repeat(4097) + "\", \"field\": \"f\"}",
            "[question] must be at most [4096] characters, got [4097]"
        );
        // Characters as a reader counts them: 4,096 emoji are 4,096 characters (8,192 UTF-16 units).
        String emoji = "\uD83D\uDE00";
        assertEquals(emoji.repeat(4096), parse("{\"question\": \"" + emoji.repeat(4096) + "\", \"field\": \"f\"}").question());
        assertRejected(
            "{\"question\": \"" + emoji.repeat(4097) + "\", \"field\": \"f\"}",
            "[question] must be at most [4096] characters, got [4097]"
        );
    }

    public void testUnknownKeysAreNamed() {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> parse("{\"question\": \"q\", \"field\": \"f\", \"size\": 3}"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("[_rag] does not support [size]; supported: [question, field,"));
    }

    public void testNumbers() {
        assertRejected("{\"question\": \"q\", \"field\": \"f\", \"k\": 0}", "[k] must be between 1 and 100, got [0]");
        assertRejected("{\"question\": \"q\", \"field\": \"f\", \"k\": 101}", "[k] must be between 1 and 100, got [101]");
        assertRejected("{\"question\": \"q\", \"field\": \"f\", \"k\": 2.5}", "[k] must be an integer, got [number] [2.5]");
        assertRejected("{\"question\": \"q\", \"field\": \"f\", \"k\": \"5\"}", "[k] must be an integer, got [string] [5]");
        assertRejected(
            "{\"question\": \"q\", \"field\": \"f\", \"max_context_tokens\": 8}",
            "[max_context_tokens] must be between 16 and 100000, got [8]"
        );
        assertRejected(
            "{\"question\": \"q\", \"field\": \"f\", \"text_field\": \"t\", \"rank_constant\": 0}",
            "[rank_constant] must be between 1 and 10000, got [0]"
        );
        assertRejected("{\"question\": \"q\", \"field\": \"f\", \"min_score\": 2}", "[min_score] must be between -1.0 and 1.0, got [2.0]");
        assertRejected("{\"question\": \"q\", \"field\": \"f\", \"min_score\": true}", "[min_score] must be a number, got [boolean] [true]");
        assertEquals(0.2, parse("{\"question\": \"q\", \"field\": \"f\", \"min_score\": 0.2}").minScore(), 0);
        assertRejected("{\"question\": \"q\", \"field\": \"f\", \"answer_model\": 3}", "[answer_model] must be a string, got [number] [3]");
        assertRejected(
            "{\"question\": \"q\", \"field\": \"f\", \"answer_model\": \" \"}",
            "[answer_model] must name a loaded model (GET _plugins/_semantic/models), got [ ]"
        );
        RagRequest named = parse("{\"question\": \"q\", \"field\": \"f\", \"answer_model\": \"all-minilm-l6-v2\"}");
        assertEquals("all-minilm-l6-v2", named.answerModel());
        assertEquals("all-minilm-l6-v2", named.forField(new PassageField("v", null, null)).answerModel());
    }

    public void testRetrieval() {
        assertRejected("{\"question\": \"q\", \"field\": \"f\", \"retrieval\": \"bm25\"}", "[retrieval] must be [semantic] or [hybrid], got [bm25]");
        RagRequest hybrid = parse("{\"question\": \"q\", \"field\": \"f\", \"retrieval\": \"hybrid\"}");
        IllegalArgumentException e = expectThrows(
            IllegalArgumentException.class,
            () -> hybrid.forField(new PassageField("f.vector", "f", null))
        );
        assertEquals("[retrieval] [hybrid] needs [text_field], the text field BM25 searches", e.getMessage());
        assertEquals("f", hybrid.forField(new PassageField("f_semantic.passages.vector", "f_semantic.passages", null, "f")).textField());
        assertRejected(
            "{\"question\": \"q\", \"field\": \"f\", \"retrieval\": \"semantic\", \"rank_constant\": 20}",
            "[rank_constant] applies to [retrieval] [hybrid] only, got [retrieval] [semantic]"
        );
    }

    public void testFusion() {
        String hybrid = "{\"question\": \"q\", \"field\": \"f\", \"text_field\": \"t\", ";
        assertEquals(Fusion.rrf(60), parse(hybrid + "\"fusion\": \"rrf\"}").fusion());
        assertEquals(Fusion.linear(0.5, Normalizer.Z_SCORE), parse(hybrid + "\"fusion\": \"linear\"}").fusion());
        assertEquals(
            Fusion.linear(0.3, Normalizer.MIN_MAX),
            parse(hybrid + "\"fusion\": \"LINEAR\", \"semantic_weight\": 0.3, \"normalizer\": \"min_max\"}").fusion()
        );
        assertRejected(hybrid + "\"fusion\": \"linear\", \"normalizer\": \"l2\"}", "[normalizer] must be [z_score] or [min_max], got [l2]");
        assertRejected(hybrid + "\"fusion\": \"max\"}", "[fusion] must be [rrf] or [linear], got [max]");
        assertRejected(hybrid + "\"fusion\": \"linear\", \"semantic_weight\": 1.5}", "[semantic_weight] must be between 0.0 and 1.0, got [1.5]");
        assertRejected(
            hybrid + "\"fusion\": \"linear\", \"rank_constant\": 10}",
            "[rank_constant] applies to [fusion] [rrf] only; [linear] weighs by [semantic_weight]"
        );
        // Unset, fusion is linear; a request that sets RRF's constant gets RRF.
        assertEquals(Fusion.linear(0.7, Normalizer.Z_SCORE), parse(hybrid + "\"semantic_weight\": 0.7}").fusion());
        assertEquals(Fusion.rrf(20), parse(hybrid + "\"rank_constant\": 20}").fusion());
        assertRejected(
            hybrid + "\"rank_constant\": 20, \"semantic_weight\": 0.7}",
            "[semantic_weight] applies to [fusion] [linear] only; [rrf] fuses ranks, tuned by [rank_constant]"
        );
        assertRejected(
            hybrid + "\"fusion\": \"rrf\", \"normalizer\": \"z_score\"}",
            "[normalizer] applies to [fusion] [linear] only; [rrf] fuses ranks, tuned by [rank_constant]"
        );
        assertRejected(
            "{\"question\": \"q\", \"field\": \"f\", \"retrieval\": \"semantic\", \"fusion\": \"linear\"}",
            "[fusion] applies to [retrieval] [hybrid] only, got [retrieval] [semantic]"
        );
    }

    public void testFilterMustBeAQuery() {
        assertRejected(
            "{\"question\": \"q\", \"field\": \"f\", \"filter\": \"lang:en\"}",
            "[filter] must be a query object such as {\"term\": {\"lang\": \"en\"}}, got [string]"
        );
        IllegalArgumentException e = expectThrows(
            IllegalArgumentException.class,
            () -> parse("{\"question\": \"q\", \"field\": \"f\", \"filter\": {\"no_such_query\": {}}}")
        );
        assertTrue(e.getMessage(), e.getMessage().startsWith("[filter] is not a valid query: "));
        assertTrue(e.getMessage(), e.getMessage().contains("no_such_query"));
    }

    public void testParametersOfTheOtherGenerator() {
        assertRejected(
            "{\"question\": \"q\", \"field\": \"f\", \"prompt\": \"{{question}} {{context}}\"}",
            "[prompt] applies to LLM connectors only; [generator] [extractive] uses no prompt"
        );
        assertRejected(
            "{\"question\": \"q\", \"field\": \"f\", \"generator\": \"gpt\", \"min_score\": 0.5}",
            "[min_score] applies to [generator] [extractive] only, got [generator] [gpt]"
        );
        assertRejected(
            "{\"question\": \"q\", \"field\": \"f\", \"generator\": \"gpt\", \"answer_model\": \"all-minilm-l6-v2\"}",
            "[answer_model] applies to [generator] [extractive] only, got [generator] [gpt]"
        );
        assertRejected(
            "{\"question\": \"q\", \"field\": \"f\", \"generator\": \"gpt\", \"prompt\": \"no placeholders\"}",
            "[prompt] must contain both {{question}} and {{context}}, got [no placeholders]"
        );
    }
}
