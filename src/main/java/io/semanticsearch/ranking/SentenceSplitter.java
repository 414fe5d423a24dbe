package io.semanticsearch.ranking;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Splits text into sentences for the extractive answerer: after Chinese and Japanese full stops and marks
 * ({@code 。！？}), after {@code . ! ?} followed by a space and something that can start a sentence, and at blank
 * lines. Rule-based and language-light on purpose: it only has to find spans worth quoting, and a rare wrong split
 * costs one odd quote, not a wrong answer. Stateless; linear in the text.
 */
public final class SentenceSplitter {

    /** A sentence and where it lies in the text it came from ({@code text = source.substring(start, end)}). */
    public record Sentence(String text, int start, int end) {}

    // Lower-cased words that end with a full stop without ending the sentence.
    private static final Set<String> ABBREVIATIONS = Set.of(
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "cf", "fig", "figs", "no", "nos", "vol",
        "approx", "inc", "ltd", "co", "corp", "dept", "est", "ca", "al", "eg", "ie", "resp", "min", "max", "sec"
    );

    private SentenceSplitter() {}

    public static List<Sentence> split(String text) {
        List<Sentence> sentences = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            int end = -1;
            if (isCjkTerminator(c)) {
                end = skipClosers(text, skipTerminators(text, i + 1));
            } else if (c == '.' || c == '!' || c == '?') {
                int after = skipClosers(text, skipTerminators(text, i + 1));
                if (endsSentence(text, i, after)) {
                    end = after;
                }
            } else if (c == '\n' && blankLineFollows(text, i + 1)) {
                end = i;
            }
            if (end >= 0) {
                add(sentences, text, start, end);
                start = end;
                i = Math.max(end, i + 1);
            } else {
                i++;
            }
        }
        add(sentences, text, start, text.length());
        return sentences;
    }

    private static boolean endsSentence(String text, int mark, int after) {
        if (after < text.length() && Character.isWhitespace(text.charAt(after)) == false) {
            // "3.5", "example.com", "e.g.," and "Hello!" glued to the next word are not ends.
            return false;
        }
        int next = skipWhitespace(text, after);
        if (next < text.length() && Character.isLowerCase(text.charAt(next))) {
            // "etc. and", "... or": a lower-case word continues the sentence.
            return false;
        }
        if (text.charAt(mark) != '.' || mark + 1 < text.length() && text.charAt(mark + 1) == '.') {
            return true;
        }
        String word = wordBefore(text, mark);
        if (word.length() == 1 && Character.isUpperCase(word.charAt(0))) {
            // An initial: "J. R. R. Tolkien".
            return false;
        }
        // "Dr" and "etc" are listed; "e.g", "i.e" and "U.S" are short letters between full stops (unlike "logrotate.conf").
        return isDotted(word) == false && ABBREVIATIONS.contains(word.toLowerCase(Locale.ROOT)) == false;
    }

    private static boolean isDotted(String word) {
        if (word.indexOf('.') < 0) {
            return false;
        }
        for (String part : word.split("\\.")) {
            if (part.length() > 2) {
                return false;
            }
        }
        return true;
    }

    private static String wordBefore(String text, int mark) {
        int from = mark;
        while (from > 0 && (Character.isLetter(text.charAt(from - 1)) || text.charAt(from - 1) == '.')) {
            from--;
        }
        return text.substring(from, mark);
    }

    private static boolean isCjkTerminator(char c) {
        return c == '。' || c == '！' || c == '？' || c == '｡';
    }

    private static int skipTerminators(String text, int i) {
        while (i < text.length() && (isCjkTerminator(text.charAt(i)) || ".!?…".indexOf(text.charAt(i)) >= 0)) {
            i++;
        }
        return i;
    }

    private static int skipClosers(String text, int i) {
        while (i < text.length() && "\"')]}”’」』）》】".indexOf(text.charAt(i)) >= 0) {
            i++;
        }
        return i;
    }

    private static int skipWhitespace(String text, int i) {
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean blankLineFollows(String text, int i) {
        while (i < text.length() && text.charAt(i) != '\n' && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i < text.length() && text.charAt(i) == '\n';
    }

    private static void add(List<Sentence> sentences, String text, int start, int end) {
        while (start < end && Character.isWhitespace(text.charAt(start))) {
            start++;
        }
        while (end > start && Character.isWhitespace(text.charAt(end - 1))) {
            end--;
        }
        if (end > start) {
            sentences.add(new Sentence(text.substring(start, end), start, end));
        }
    }
}
