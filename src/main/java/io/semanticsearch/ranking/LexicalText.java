package io.semanticsearch.ranking;

import org.apache.lucene.search.IndexSearcher;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The text the BM25 side of hybrid retrieval searches for: the user's text itself, or, when it has more words than a
 * {@code match} query may turn into clauses ({@code indices.query.bool.max_clause_count}, 1,024 by default), its most
 * telling words. A long question is valid input and must be answered, not refused by a limit the user never set.
 *
 * <p>Words are counted as analyzers make tokens, roughly: runs of letters and digits, and each CJK ideograph alone (as
 * the standard analyzer splits them). Over the budget, repeats go first, then the shortest words (short words are the
 * common ones that BM25 weighs least), keeping the text's order. The budget is half the clause limit, leaving room for
 * the clauses of filters and for analyzers that split words further. Written by hand because it must run on the
 * coordinating node, before any shard's analyzer, and decide the same on every node.
 */
public final class LexicalText {

    private LexicalText() {}

    /** The most words the BM25 side searches for on this node: half of Lucene's clause limit. */
    public static int maxWords() {
        return Math.max(1, IndexSearcher.getMaxClauseCount() / 2);
    }

    /** {@code text} as it is when it has at most {@code maxWords} words, else its {@code maxWords} most telling words. */
    public static String bounded(String text, int maxWords) {
        List<String> words = words(text);
        if (words.size() <= maxWords) {
            return text;
        }
        Map<String, Integer> firstAt = new LinkedHashMap<>();
        for (String word : words) {
            firstAt.putIfAbsent(word.toLowerCase(Locale.ROOT), firstAt.size());
        }
        List<String> kept = new ArrayList<>(firstAt.keySet());
        if (kept.size() > maxWords) {
            kept.sort(Comparator.comparingInt((String w) -> -w.codePointCount(0, w.length())).thenComparing(firstAt::get));
            kept = new ArrayList<>(kept.subList(0, maxWords));
            kept.sort(Comparator.comparing(firstAt::get));
        }
        return String.join(" ", kept);
    }

    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < text.length();) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (Character.isIdeographic(cp)) {
                if (start >= 0) {
                    words.add(text.substring(start, i));
                    start = -1;
                }
                words.add(text.substring(i, next));
            } else if (Character.isLetterOrDigit(cp)) {
                if (start < 0) {
                    start = i;
                }
            } else if (start >= 0) {
                words.add(text.substring(start, i));
                start = -1;
            }
            i = next;
        }
        if (start >= 0) {
            words.add(text.substring(start));
        }
        return words;
    }
}
