package io.semanticsearch.ingest;

import io.semanticsearch.embed.ModelFixtures;
import io.semanticsearch.embed.WordPieceTokenizer;
import io.semanticsearch.ingest.PassageChunker.Passage;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.util.List;

public class PassageChunkerTests extends OpenSearchTestCase {

    private static WordPieceTokenizer miniLm;
    private static WordPieceTokenizer bge;

    @BeforeClass
    public static void loadTokenizers() throws IOException {
        miniLm = WordPieceTokenizer.load(ModelFixtures.tokenizerFile(ModelFixtures.MINILM));
        bge = WordPieceTokenizer.load(ModelFixtures.tokenizerFile(ModelFixtures.BGE));
    }

    @AfterClass
    public static void releaseTokenizers() {
        miniLm = bge = null;
    }

    private static final String ENGLISH = "Logrotate rotates, compresses and mails system logs. "
        + "It is meant to ease the administration of systems that generate large numbers of log files! "
        + "Each log file may be handled daily, weekly, monthly, or when it grows too large. "
        + "Is it run from cron? Normally it is run as a daily cron job. "
        + "It will not modify a log more than once in one day unless the criterion for that log is based on the log's size.";

    public void testShortTextIsOnePassage() {
        PassageChunker chunker = new PassageChunker(miniLm, 200, 40);
        assertEquals(List.of(new Passage("Rotate the logs.", 0)), chunker.chunk("Rotate the logs."));
        // Leading space is not part of the passage: it starts at its first token.
        assertEquals(List.of(new Passage("Rotate the logs.", 2)), chunker.chunk("  Rotate the logs.  "));
    }

    public void testEmptyTextHasNoPassages() {
        PassageChunker chunker = new PassageChunker(miniLm, 20, 5);
        assertEquals(List.of(), chunker.chunk(""));
        assertEquals(List.of(), chunker.chunk(" \n\t  "));
    }

    public void testEnglishIsCutAfterSentences() {
        PassageChunker chunker = new PassageChunker(miniLm, 40, 0);
        List<Passage> passages = chunker.chunk(ENGLISH);
        assertTrue(passages.toString(), passages.size() >= 3);
        for (Passage passage : passages) {
            assertInText(ENGLISH, passage);
            assertTrue(passage.toString(), miniLm.tokenCount(passage.text()) <= 40);
            assertTrue("not cut after a sentence: " + passage, passage.text().matches("(?s).*[.!?]"));
        }
        assertCoversWithoutOverlap(ENGLISH, passages);
    }

    public void testChineseIsCutAfterChineseSentenceEnds() {
        String text = "日志轮转工具可以压缩和发送系统日志。它适合产生大量日志文件的系统！每个日志文件可以每天、每周或每月处理一次。"
            + "它是从定时任务运行的吗？通常它作为每日定时任务运行。除非按大小轮转，否则一天内不会修改同一个日志两次。";
        PassageChunker chunker = new PassageChunker(bge, 40, 0);
        List<Passage> passages = chunker.chunk(text);
        assertTrue(passages.toString(), passages.size() >= 2);
        for (Passage passage : passages) {
            assertInText(text, passage);
            assertTrue(passage.toString(), bge.tokenCount(passage.text()) <= 40);
            assertTrue("not cut after a sentence: " + passage, passage.text().matches("(?s).*[。！？]"));
        }
        assertEquals(text, String.join("", passages.stream().map(Passage::text).toList()));
    }

    public void testClosingQuoteStaysWithItsSentence() {
        String text = "The manual says \"Rotate the logs daily.\" Then it explains how to compress the old ones with gzip or xz.";
        List<Passage> passages = new PassageChunker(miniLm, 12, 0).chunk(text);
        assertEquals("The manual says \"Rotate the logs daily.\"", passages.get(0).text());
    }

    public void testBlankLineEndsAParagraph() {
        String text = "A first paragraph that has no final full stop\n\nand a second paragraph that goes on for a while longer";
        List<Passage> passages = new PassageChunker(miniLm, 14, 0).chunk(text);
        assertEquals("A first paragraph that has no final full stop", passages.get(0).text());
        assertEquals(text.indexOf("and a second"), passages.get(1).offset());
    }

    public void testDecimalPointIsNoSentenceEnd() {
        String text = "version 3.5 of the tool adds support for compressing rotated files with zstd";
        List<Passage> passages = new PassageChunker(miniLm, 8, 0).chunk(text);
        for (Passage passage : passages) {
            assertFalse("cut inside 3.5: " + passages, passage.text().endsWith("3.") || passage.text().startsWith("5"));
        }
    }

    public void testWithoutSentenceEndsCutsBetweenWords() {
        String text = "logrotate rotates compresses and mails system logs for systems that generate large numbers of log files "
            + "each file may be handled daily weekly monthly or when it grows too large and it normally runs from cron";
        List<Passage> passages = new PassageChunker(miniLm, 10, 0).chunk(text);
        assertTrue(passages.toString(), passages.size() >= 3);
        for (Passage passage : passages) {
            assertInText(text, passage);
            assertTrue(passage.toString(), miniLm.tokenCount(passage.text()) <= 10);
            int end = passage.offset() + passage.text().length();
            assertTrue("cut inside a word: " + passage, end == text.length() || text.charAt(end) == ' ');
            assertTrue("starts inside a word: " + passage, passage.offset() == 0 || text.charAt(passage.offset() - 1) == ' ');
        }
        assertCoversWithoutOverlap(text, passages);
    }

    public void testSingleVeryLongWord() {
        // Over 100 characters a word is one [UNK] token to WordPiece: one passage, however small the budget.
        String huge = "x".repeat(5000);
        assertEquals(List.of(new Passage(huge, 0)), new PassageChunker(miniLm, 4, 1).chunk(huge));

        // A long word of many pieces is cut between pieces when it alone is over the budget, and nothing is lost.
        String word = "pneumonoultramicroscopicsilicovolcanoconiosis";
        int pieces = miniLm.tokenCount(word);
        assertTrue("pieces " + pieces, pieces > 6);
        String text = "see " + word + " here";
        List<Passage> passages = new PassageChunker(miniLm, 3, 0).chunk(text);
        assertEquals(new Passage("see", 0), passages.get(0));
        assertTrue(passages.toString(), passages.size() >= 1 + pieces / 3);
        assertCoversWithoutOverlap(text, passages);
    }

    public void testOverlapRepeatsTheEndOfThePassageBefore() {
        PassageChunker chunker = new PassageChunker(miniLm, 30, 8);
        List<Passage> passages = chunker.chunk(ENGLISH);
        assertTrue(passages.toString(), passages.size() >= 3);
        for (int i = 1; i < passages.size(); i++) {
            Passage before = passages.get(i - 1);
            Passage passage = passages.get(i);
            int beforeEnd = before.offset() + before.text().length();
            assertTrue("no overlap: " + before + " / " + passage, passage.offset() < beforeEnd);
            assertTrue("moved back: " + before + " / " + passage, passage.offset() > before.offset());
            String repeated = ENGLISH.substring(passage.offset(), beforeEnd);
            assertTrue("overlap of more than 8 tokens: [" + repeated + "]", miniLm.tokenCount(repeated) <= 8);
            assertTrue("overlap starts inside a word: " + passage, ENGLISH.charAt(passage.offset() - 1) == ' ');
            assertTrue(passage.toString(), miniLm.tokenCount(passage.text()) <= 30);
        }
        Passage last = passages.get(passages.size() - 1);
        assertEquals(ENGLISH.length(), last.offset() + last.text().length());
    }

    public void testChineseOverlapStartsAtASentenceOrClause() {
        // Clauses of at most ten characters: every overlap window of twelve tokens holds the start of one.
        String text = "日志轮转工具，可以压缩日志，也可以发送日志。它适合的系统，会产生大量日志文件。每个日志文件，可以每天处理、"
            + "每周处理、每月处理，也可以在太大时处理。它从定时任务运行吗？通常它每日运行，除非按大小轮转，否则一天内，"
            + "不会修改同一个日志两次。";
        List<Passage> passages = new PassageChunker(bge, 30, 12).chunk(text);
        assertTrue(passages.toString(), passages.size() >= 3);
        for (int i = 1; i < passages.size(); i++) {
            Passage passage = passages.get(i);
            Passage before = passages.get(i - 1);
            assertTrue("no overlap: " + before + " / " + passage, passage.offset() < before.offset() + before.text().length());
            assertTrue("starts mid-clause: " + passage, "。！？，；、".indexOf(text.charAt(passage.offset() - 1)) >= 0);
        }
    }

    public void testLargestOverlapStillMovesForward() {
        String text = "one two three four five six seven eight nine ten eleven twelve";
        List<Passage> passages = new PassageChunker(miniLm, 4, 3).chunk(text);
        assertEquals(9, passages.size());
        for (int i = 0; i < passages.size(); i++) {
            assertInText(text, passages.get(i));
            assertEquals(passages.toString(), Math.min(4, 12 - i), passages.get(i).text().split(" ").length);
        }
        assertEquals("nine ten eleven twelve", passages.get(passages.size() - 1).text());
    }

    public void testRejectsBadBudgets() {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> new PassageChunker(miniLm, 0, 0));
        assertEquals("[max_tokens] must be at least 1, got [0]", e.getMessage());
        e = expectThrows(IllegalArgumentException.class, () -> new PassageChunker(miniLm, 10, 10));
        assertEquals("[overlap_tokens] must be at least 0 and less than [max_tokens] [10], got [10]", e.getMessage());
    }

    private static void assertInText(String text, Passage passage) {
        assertEquals(passage.toString(), passage.text(), text.substring(passage.offset(), passage.offset() + passage.text().length()));
    }

    /** Without overlap, the passages follow each other with only spaces between them and cover every token. */
    private static void assertCoversWithoutOverlap(String text, List<Passage> passages) {
        int at = 0;
        for (Passage passage : passages) {
            assertTrue("gap before " + passage, text.substring(at, passage.offset()).isBlank());
            at = passage.offset() + passage.text().length();
        }
        assertTrue(text.substring(at).isBlank());
    }
}
