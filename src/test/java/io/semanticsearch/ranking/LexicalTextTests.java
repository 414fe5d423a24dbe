package io.semanticsearch.ranking;

import org.opensearch.test.OpenSearchTestCase;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

public class LexicalTextTests extends OpenSearchTestCase {

    public void testTextWithinTheBudgetIsSearchedAsItIs() {
        String text = "How do I stop log files from filling the disk?";
        assertSame(text, LexicalText.bounded(text, 10));
        assertEquals(List.of("How", "do", "I", "stop", "log", "files", "from", "filling", "the", "disk"), LexicalText.words(text));
    }

    public void testRepeatsGoFirstThenTheShortestWordsInTheTextsOrder() {
        assertEquals("rotate logs disk", LexicalText.bounded("rotate the logs, rotate the disk", 3));
        assertEquals("rotate logrotate", LexicalText.bounded("rotate a logrotate to the disk", 2));
        assertEquals("repeats differing in case are one word", "logs logrotate", LexicalText.bounded("Logs logs LOGS logrotate", 2));
    }

    public void testEachIdeographIsAWordAsTheStandardAnalyzerSplitsThem() {
        assertEquals(List.of("配", "置", "nginx", "日", "志"), LexicalText.words("配置nginx日志"));
        String chinese = "如何配置日志轮转".repeat(200);
        String bounded = LexicalText.bounded(chinese, 5);
        assertEquals(5, LexicalText.words(bounded).size());
    }

    public void testALongTextKeepsAtMostTheBudgetOfDistinctWords() {
        String text = IntStream.range(0, 1500).mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
        String bounded = LexicalText.bounded(text, 512);
        List<String> words = LexicalText.words(bounded);
        assertEquals(512, words.size());
        assertEquals(512, words.stream().distinct().count());
        // w1000..w1499 are the 500 longest; 12 of the four-character ones fill the budget, the earliest first
        assertEquals(500, words.stream().filter(w -> w.length() == 5).count());
        assertEquals(List.of("w100", "w101"), words.subList(0, 2));
        assertTrue(words.stream().allMatch(w -> w.length() >= 4));
    }

    public void testTheBudgetIsHalfTheClauseLimit() {
        assertEquals(org.apache.lucene.search.IndexSearcher.getMaxClauseCount() / 2, LexicalText.maxWords());
    }
}
