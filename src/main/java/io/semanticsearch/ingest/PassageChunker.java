package io.semanticsearch.ingest;

import io.semanticsearch.embed.TokenizedText;
import io.semanticsearch.embed.WordPieceTokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a text into passages of at most {@code maxTokens} tokens of a model's own tokenizer, so that every passage is
 * embedded whole, with {@code overlapTokens} tokens repeated between neighbours so that a sentence cut in two is still
 * whole in one of them. A passage ends, in order of preference, after a sentence ({@code . ! ?} followed by a space,
 * {@code 。！？}, or a blank line), after a clause ({@code , ; :} and their CJK forms, {@code 、}), at a word boundary,
 * or anywhere when a single word is longer than the budget.
 * Cuts are made on token boundaries, and a passage is the original text between its first and last token.
 *
 * <p>Immutable and thread-safe. Cost: one tokenization of the text and a scan back from each cut.
 */
final class PassageChunker {

    /** One piece of the text: its characters and where they start in the original text (a UTF-16 index). */
    record Passage(String text, int offset) {}

    // Sentence ends that need a space after them: "3.5" and "example.com" do not end sentences.
    private static final String LATIN_SENTENCE_ENDS = ".!?";
    // Chinese and Japanese sentence ends, written without a space after them.
    private static final String CJK_SENTENCE_ENDS = "。！？";
    // Clause ends, where an overlap may start when no sentence starts in it.
    private static final String CLAUSE_ENDS = ",;:，；：、";
    // A closing quote or bracket right after a sentence end belongs to that sentence.
    private static final String CLOSERS = "\"'”’)）」』】》";

    private final WordPieceTokenizer tokenizer;
    private final int maxTokens;
    private final int overlapTokens;

    /**
     * @param maxTokens     tokens per passage, without the model's {@code [CLS]} and {@code [SEP]}
     * @param overlapTokens tokens a passage repeats from the end of the one before it, less than {@code maxTokens}
     */
    PassageChunker(WordPieceTokenizer tokenizer, int maxTokens, int overlapTokens) {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("[max_tokens] must be at least 1, got [" + maxTokens + "]");
        }
        if (overlapTokens < 0 || overlapTokens >= maxTokens) {
            throw new IllegalArgumentException(
                "[overlap_tokens] must be at least 0 and less than [max_tokens] [" + maxTokens + "], got [" + overlapTokens + "]"
            );
        }
        this.tokenizer = tokenizer;
        this.maxTokens = maxTokens;
        this.overlapTokens = overlapTokens;
    }

    int maxTokens() {
        return maxTokens;
    }

    int overlapTokens() {
        return overlapTokens;
    }

    /** The passages of {@code text} in order; none when it has no tokens (empty, or only spaces and controls). */
    List<Passage> chunk(String text) {
        Tokens tokens = new Tokens(text, tokenizer.encode(text, Integer.MAX_VALUE));
        List<Passage> passages = new ArrayList<>();
        int count = tokens.count();
        for (int start = 0; start < count;) {
            int end = count - start <= maxTokens ? count : cut(tokens, start);
            int from = tokens.start(start);
            passages.add(new Passage(text.substring(from, tokens.end(end - 1)), from));
            if (end == count) {
                break;
            }
            start = nextStart(tokens, start, end);
        }
        return passages;
    }

    /**
     * Where the passage that starts at token {@code start} ends (exclusive), given that the rest of the text is longer
     * than the budget. A cut before half the budget would waste the model's window, so the preferred boundaries are
     * looked for only in the second half.
     */
    private int cut(Tokens tokens, int start) {
        int limit = start + maxTokens;
        int earliest = start + Math.max(1, maxTokens / 2);
        for (int k = limit; k >= earliest; k--) {
            if (tokens.endsSentenceBefore(k)) {
                return k;
            }
        }
        for (int k = limit; k >= earliest; k--) {
            if (tokens.endsClauseBefore(k)) {
                return k;
            }
        }
        for (int k = limit; k >= earliest; k--) {
            if (tokens.wordBoundaryBefore(k)) {
                return k;
            }
        }
        return limit;
    }

    /**
     * Where the passage after [start, end) starts: at most {@code overlapTokens} back, at the earliest sentence start
     * in that window, else the earliest clause start (after a comma, semicolon or colon), else the earliest start of a
     * word; {@code end} when there is none. Never at punctuation or inside a word: a passage that starts with ", or"
     * or in the middle of a word reads badly, and Chinese has no spaces to fall back on.
     */
    private int nextStart(Tokens tokens, int start, int end) {
        int from = Math.max(start + 1, end - overlapTokens);
        for (int k = from; k < end; k++) {
            if (tokens.endsSentenceBefore(k) && tokens.startsWord(k)) {
                return k;
            }
        }
        for (int k = from; k < end; k++) {
            if (tokens.endsClauseBefore(k) && tokens.startsWord(k)) {
                return k;
            }
        }
        for (int k = from; k < end; k++) {
            if (tokens.startsWord(k)) {
                return k;
            }
        }
        return end;
    }

    /** The text's tokens without {@code [CLS]} and {@code [SEP]}, and what lies around each of them in the text. */
    private record Tokens(String text, TokenizedText tokenized) {

        int count() {
            return tokenized.length() - 2;
        }

        int start(int token) {
            return tokenized.starts()[token + 1];
        }

        int end(int token) {
            return tokenized.ends()[token + 1];
        }

        /** Whether a sentence ends between token {@code k - 1} and token {@code k}. */
        boolean endsSentenceBefore(int k) {
            int gapStart = end(k - 1);
            int gapEnd = start(k);
            if (lineBreaks(gapStart, gapEnd) >= 2) {
                return true; // a blank line: a paragraph ends
            }
            int last = k - 1;
            if (last > 0 && isSingle(last, CLOSERS)) {
                last--;
            }
            if (isSingle(last, CJK_SENTENCE_ENDS)) {
                return true;
            }
            return isSingle(last, LATIN_SENTENCE_ENDS) && gapEnd > gapStart;
        }

        /** Whether a comma, semicolon or colon (Latin or CJK) is token {@code k - 1}. */
        boolean endsClauseBefore(int k) {
            return isSingle(k - 1, CLAUSE_ENDS);
        }

        /**
         * Whether token {@code k} starts a word: space before it, or punctuation or a CJK character on either side
         * (each of those is a word of its own to the tokenizer). Adjacent letters or digits are pieces of one word.
         */
        boolean wordBoundaryBefore(int k) {
            int previousEnd = end(k - 1);
            int nextStart = start(k);
            if (nextStart > previousEnd || previousEnd == 0) {
                return true;
            }
            return isWordChar(text.codePointBefore(previousEnd)) == false || isWordChar(text.codePointAt(nextStart)) == false;
        }

        private int lineBreaks(int from, int to) {
            int breaks = 0;
            for (int i = from; i < to; i++) {
                if (text.charAt(i) == '\n') {
                    breaks++;
                }
            }
            return breaks;
        }

        /** Whether token {@code k} is the first piece of a word of letters, digits or a CJK character. */
        boolean startsWord(int k) {
            return wordBoundaryBefore(k) && Character.isLetterOrDigit(text.codePointAt(start(k)));
        }

        /** Whether token {@code k} is exactly one of {@code chars}. */
        private boolean isSingle(int k, String chars) {
            int from = start(k);
            return end(k) - from == 1 && chars.indexOf(text.charAt(from)) >= 0;
        }

        private static boolean isWordChar(int codePoint) {
            return Character.isLetterOrDigit(codePoint) && Character.UnicodeScript.of(codePoint) != Character.UnicodeScript.HAN;
        }
    }
}
