package io.semanticsearch.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

public class WordPieceTokenizerTests extends OpenSearchTestCase {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static WordPieceTokenizer miniLm;
    private static WordPieceTokenizer bge;

    @BeforeClass
    public static void loadTokenizers() throws IOException {
        miniLm = WordPieceTokenizer.load(modelFile("all-minilm-l6-v2-tokenizer.json"));
        bge = WordPieceTokenizer.load(modelFile("bge-small-zh-v1.5-tokenizer.json"));
    }

    @AfterClass
    public static void releaseTokenizers() {
        miniLm = null;
        bge = null;
    }

    private static Path modelFile(String name) {
        return Path.of(System.getProperty("models.dir")).resolve(name);
    }

    public void testBlankOnceNormalisedHasNoTokens() {
        // Each passes a plain isBlank() check, and each tokenizes to nothing: its embedding would be that of no text.
        List<String> blank = List.of(
            "",
            " \t\n\u3000",
            "\u200b\u200d\u2060\ufeff" // zero-width and format characters
        );
        for (String text : blank) {
            for (WordPieceTokenizer tokenizer : List.of(miniLm, bge)) {
                assertFalse((tokenizer == miniLm ? "minilm " : "bge ") + codePoints(text), tokenizer.hasTokens(text));
                assertEquals(codePoints(text), 0, tokenizer.tokenCount(text));
            }
        }
        // all-MiniLM strips accents, and with them combining marks and variation selectors (both are nonspacing
        // marks); bge-small-zh keeps accents, so to it they are text.
        for (String text : List.of("\u0301\u0308\u0301", "\ufe0f\ufe0e\udb40\udd00")) {
            assertFalse(codePoints(text), miniLm.hasTokens(text));
            assertTrue(codePoints(text), bge.hasTokens(text));
        }
        for (String text : List.of("a", " \u0301e", "日", "\u3164", "...")) {
            assertTrue(codePoints(text), miniLm.hasTokens(text));
            assertTrue(codePoints(text), miniLm.tokenCount(text) > 0);
        }
    }

    private static String codePoints(String text) {
        return text.codePoints().mapToObj(cp -> String.format(java.util.Locale.ROOT, "U+%04X", cp)).toList().toString();
    }

    public void testMatchesOracleForAllMiniLmL6V2() throws IOException {
        assertMatchesOracle(miniLm, "all-minilm-l6-v2.jsonl", 90);
    }

    public void testMatchesOracleForBgeSmallZh() throws IOException {
        assertMatchesOracle(bge, "bge-small-zh-v1.5.jsonl", 97);
    }

    private static void assertMatchesOracle(WordPieceTokenizer tokenizer, String file, int expectedTexts) throws IOException {
        List<String> lines = Files.readAllLines(Path.of(System.getProperty("oracle.dir")).resolve(file), StandardCharsets.UTF_8);
        StringBuilder mismatches = new StringBuilder();
        int texts = 0;
        int failed = 0;
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode row = JSON.readTree(line);
            String text = row.get("text").asText();
            long[] expected = new long[row.get("input_ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = row.get("input_ids").get(i).longValue();
            }
            long[] actual = tokenizer.encode(text, row.get("max_tokens").intValue()).ids();
            texts++;
            if (Arrays.equals(expected, actual) == false) {
                failed++;
                mismatches.append("\ntext ")
                    .append(JSON.writeValueAsString(text))
                    .append("\n  expected ")
                    .append(Arrays.toString(expected))
                    .append("\n  actual   ")
                    .append(Arrays.toString(actual));
            }
        }
        assertEquals("texts in " + file, expectedTexts, texts);
        assertTrue(failed + " of " + texts + " texts of " + file + " tokenize differently:" + mismatches, failed == 0);
    }

    public void testSpansMapBackToTheOriginalText() {
        String text = "Hello, World!";
        TokenizedText tokens = miniLm.encode(text, 256);
        assertArrayEquals(new long[] { 101, 7592, 1010, 2088, 999, 102 }, tokens.ids());
        assertEquals(List.of("", "Hello", ",", "World", "!", ""), pieces(text, tokens));
        assertEquals(0, tokens.starts()[0]);
        assertEquals(text.length(), tokens.starts()[tokens.length() - 1]);
        assertFalse(tokens.truncated());
    }

    public void testSpansOfChineseText() {
        String text = "向量检索 with HNSW";
        TokenizedText tokens = bge.encode(text, 512);
        List<String> pieces = pieces(text, tokens);
        assertEquals(List.of("", "向", "量", "检", "索"), pieces.subList(0, 5));
        assertEquals("", pieces.get(pieces.size() - 1));
        assertEquals(text.length(), tokens.ends()[tokens.length() - 2]);
    }

    public void testAccentedWordSpanCoversTheOriginalCharacters() {
        // MiniLM strips accents: "crème" is looked up as "creme", but its span is still the original word.
        String text = "Crème brûlée";
        TokenizedText tokens = miniLm.encode(text, 256);
        assertArrayEquals(miniLm.encode("creme brulee", 256).ids(), tokens.ids());
        assertEquals("Crème", text.substring(tokens.starts()[1], wordEnd(tokens, text, 1)));
        assertEquals(text.length(), tokens.ends()[tokens.length() - 2]);
    }

    public void testEmojiSpansCoverSurrogatePairs() {
        String text = "I love 🍕";
        TokenizedText tokens = bge.encode(text, 512);
        assertEquals("🍕", text.substring(tokens.starts()[tokens.length() - 2], tokens.ends()[tokens.length() - 2]));
    }

    public void testTruncationKeepsSep() {
        String text = "one two three four five six seven";
        TokenizedText tokens = miniLm.encode(text, 5);
        assertEquals(5, tokens.length());
        assertEquals(101, tokens.ids()[0]);
        assertEquals(102, tokens.ids()[4]);
        assertTrue(tokens.truncated());
        assertEquals("one two three", text.substring(0, tokens.starts()[4]));
        assertEquals(tokens.starts()[4], tokens.ends()[4]);

        TokenizedText exact = miniLm.encode("one two three", 5);
        assertFalse(exact.truncated());
        assertArrayEquals(tokens.ids(), exact.ids());
    }

    public void testEmptyTextIsClsSep() {
        for (String text : new String[] { "", "   ", "\u0000\u200b" }) {
            TokenizedText tokens = miniLm.encode(text, 256);
            assertArrayEquals(text, new long[] { 101, 102 }, tokens.ids());
            assertArrayEquals(new int[] { 0, 0 }, tokens.starts());
            assertArrayEquals(new int[] { 0, 0 }, tokens.ends());
            assertEquals(0, miniLm.tokenCount(text));
        }
    }

    public void testWordOverHundredCharsIsUnknown() {
        String word = "a".repeat(101);
        TokenizedText tokens = miniLm.encode("x " + word + " y", 256);
        assertEquals(5, tokens.length());
        assertEquals(100, tokens.ids()[2]);
        assertEquals(2, tokens.starts()[2]);
        assertEquals(2 + word.length(), tokens.ends()[2]);
        // At exactly 100 characters the word is still split into pieces.
        assertNotEquals(100, miniLm.encode("a".repeat(100), 256).ids()[1]);
    }

    public void testSpecialTokenInTextIsKept() {
        TokenizedText tokens = miniLm.encode("a[SEP]b", 256);
        assertArrayEquals(new long[] { 101, 1037, 102, 1038, 102 }, tokens.ids());
        assertEquals(1, tokens.starts()[2]);
        assertEquals(6, tokens.ends()[2]);
    }

    public void testFollowsHuggingFaceUnicodeQuirks() {
        // Expected ids are Hugging Face tokenizers' (0.23, Node binding) for the same tokenizer.json.
        // U+2E43 is punctuation since Unicode 9, but Hugging Face's Unicode 8.0 tables keep it inside the word.
        assertArrayEquals(new long[] { 101, 100, 102 }, miniLm.encode("a\u2E43b", 256).ids());
        // U+166D was punctuation in Unicode 8.0 (a symbol today), so Hugging Face splits on it.
        assertArrayEquals(new long[] { 101, 1037, 100, 1038, 102 }, miniLm.encode("a\u166Db", 256).ids());
        // Vertical tab and NEL are control characters before they are whitespace: removed, not split on.
        assertArrayEquals(new long[] { 101, 11113, 102 }, miniLm.encode("a\u000Bb", 256).ids());
        assertArrayEquals(new long[] { 101, 11113, 102 }, miniLm.encode("a\u0085b", 256).ids());
        // A lone surrogate reaches Rust as U+FFFD and is removed; a supplementary character is kept.
        assertArrayEquals(new long[] { 101, 11113, 102 }, miniLm.encode("a\uD800b", 256).ids());
        assertArrayEquals(new long[] { 101, 100, 102 }, miniLm.encode("a\uD836\uDC00b", 256).ids());
        // Lower-casing is per character: a final capital sigma becomes σ, not ς.
        assertArrayEquals(new long[] { 101, 1173, 14608, 29733, 102 }, miniLm.encode("ΣΑΣ", 256).ids());
        // İ lower-cases to i + U+0307 in Rust; with accents stripped only the i is left.
        assertArrayEquals(new long[] { 101, 1045, 102 }, miniLm.encode("İ", 256).ids());
    }

    public void testTokenCount() {
        assertEquals(4, miniLm.tokenCount("Hello, World!"));
        String longText = "Sentence of a long document about search engines. ".repeat(400);
        int count = miniLm.tokenCount(longText);
        assertEquals(count + 2, miniLm.encode(longText, count + 2).length());
        assertFalse(miniLm.encode(longText, count + 2).truncated());
        assertTrue(miniLm.encode(longText, count + 1).truncated());
    }

    public void testRejectsMaxTokensBelowTwo() {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> miniLm.encode("x", 1));
        assertEquals("[maxTokens] must be at least 2, got [1]", e.getMessage());
    }

    public void testUnsupportedComponentFailsNamingFileAndType() throws IOException {
        Path file = createTempDir().resolve("tokenizer.json");
        String json = Files.readString(modelFile("all-minilm-l6-v2-tokenizer.json"), StandardCharsets.UTF_8);
        JsonNode root = JSON.readTree(json);
        ((ObjectNode) root).set("normalizer", JSON.readTree("{\"type\":\"NFKC\"}"));
        Files.writeString(file, JSON.writeValueAsString(root), StandardCharsets.UTF_8);
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> WordPieceTokenizer.load(file));
        assertEquals("[" + file + "] uses normalizer [NFKC], only [BertNormalizer] is supported", e.getMessage());
    }

    private static List<String> pieces(String text, TokenizedText tokens) {
        String[] pieces = new String[tokens.length()];
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = text.substring(tokens.starts()[i], tokens.ends()[i]);
        }
        return List.of(pieces);
    }

    /** The end of the word whose first token is at {@code index}: the end of its last "##" continuation. */
    private static int wordEnd(TokenizedText tokens, String text, int index) {
        int end = tokens.ends()[index];
        for (int i = index + 1; i < tokens.length() - 1 && tokens.starts()[i] == end; i++) {
            end = tokens.ends()[i];
        }
        return end;
    }
}
