package io.semanticsearch.rag;

import io.semanticsearch.embed.ModelFixtures;
import io.semanticsearch.embed.WordPieceTokenizer;

import org.junit.BeforeClass;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.util.List;

public class ContextWindowTests extends OpenSearchTestCase {

    private static WordPieceTokenizer tokenizer;

    @BeforeClass
    public static void loadTokenizer() throws IOException {
        tokenizer = WordPieceTokenizer.load(ModelFixtures.tokenizerFile(ModelFixtures.MINILM));
    }

    private static RetrievedPassage passage(String id, String text) {
        return new RetrievedPassage("docs", id, text, 0, 1.0);
    }

    public void testPassagesThatFitAreKeptWholeAndNumbered() {
        List<Citation> citations = ContextWindow.fit(List.of(passage("a", "Logs rotate weekly."), passage("b", "日志每周轮转。")), tokenizer, 100);
        assertEquals(2, citations.size());
        assertEquals(new Citation(1, "docs", "a", "Logs rotate weekly.", 0, 1.0), citations.get(0));
        assertEquals(new Citation(2, "docs", "b", "日志每周轮转。", 0, 1.0), citations.get(1));
    }

    public void testTheFirstPassageThatDoesNotFitIsCutAtATokenBoundaryAndEndsTheWindow() {
        String first = "one two three four five six seven eight nine ten"; // 10 tokens
        String second = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon";
        List<Citation> citations = ContextWindow.fit(
            List.of(passage("a", first), passage("b", second), passage("c", "never reached")),
            tokenizer,
            30
        );
        assertEquals(2, citations.size());
        assertEquals(first, citations.get(0).passage());
        String cut = citations.get(1).passage();
        assertTrue(cut, second.startsWith(cut));
        assertEquals(20, tokenizer.tokenCount(cut));
        assertFalse("cut inside a word: [" + cut + "]", cut.endsWith(" "));
    }

    public void testAShortRemainderIsDroppedRatherThanCut() {
        String first = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen";
        List<Citation> citations = ContextWindow.fit(List.of(passage("a", first), passage("b", first + " again")), tokenizer, 20);
        assertEquals(1, citations.size());
    }

    public void testTheFirstPassageIsAlwaysKeptEvenIfCut() {
        String longText = "word ".repeat(500).trim();
        List<Citation> citations = ContextWindow.fit(List.of(passage("a", longText)), tokenizer, 16);
        assertEquals(1, citations.size());
        assertEquals(16, tokenizer.tokenCount(citations.get(0).passage()));
    }

    public void testEmptyPassagesAreSkipped() {
        List<Citation> citations = ContextWindow.fit(List.of(passage("a", "  "), passage("b", "text")), tokenizer, 100);
        assertEquals(1, citations.size());
        assertEquals(1, citations.get(0).n());
        assertEquals("b", citations.get(0).id());
    }
}
