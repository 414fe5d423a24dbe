package io.semanticsearch.embed;

import java.text.Normalizer;
import java.util.Arrays;

/**
 * Hugging Face's {@code BertNormalizer}: drops control characters, turns whitespace into spaces, puts spaces around
 * CJK ideographs, strips accents and lower-cases, in that order, and remembers for every output code point the
 * span of the original text it came from. Immutable and thread-safe; all state of a call is in the
 * {@link Normalized} buffers the caller passes.
 */
final class BertNormalizer {

    private final boolean cleanText;
    private final boolean handleChineseChars;
    private final boolean stripAccents;
    private final boolean lowercase;

    BertNormalizer(boolean cleanText, boolean handleChineseChars, boolean stripAccents, boolean lowercase) {
        this.cleanText = cleanText;
        this.handleChineseChars = handleChineseChars;
        this.stripAccents = stripAccents;
        this.lowercase = lowercase;
    }

    boolean handlesChineseChars() {
        return handleChineseChars;
    }

    /**
     * Appends the normalized form of {@code text[from, to)} to {@code out}. {@code run} is scratch space; the
     * range must not end inside a combining sequence (the caller cuts before a starter).
     */
    void normalize(String text, int from, int to, Normalized out, Normalized run) {
        run.clear();
        for (int i = from; i < to;) {
            int cp = text.codePointAt(i);
            int end = i + Character.charCount(cp);
            // The Rust library only ever sees Unicode scalar values: a lone surrogate reaches it as U+FFFD.
            if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
                cp = 0xFFFD;
            }
            if (cleanText) {
                if (BertCharClasses.isRemovedByCleanText(cp)) {
                    i = end;
                    continue;
                }
                if (BertCharClasses.isWhitespace(cp)) {
                    cp = ' ';
                }
            }
            if (handleChineseChars && BertCharClasses.isChinese(cp)) {
                // As in Hugging Face, the added spaces map to the ideograph's own span; they never become tokens.
                append(' ', i, end, out, run);
                append(cp, i, end, out, run);
                append(' ', i, end, out, run);
            } else {
                append(cp, i, end, out, run);
            }
            i = end;
        }
        flush(out, run);
    }

    /**
     * Hands a code point on to accent stripping and lower-casing. When stripping, non-ASCII code points are
     * collected for NFD first: an ASCII character has no decomposition and is a starter, which canonical
     * reordering never moves a mark across, so NFD of the runs between ASCII characters equals NFD of the text.
     */
    private void append(int cp, int start, int end, Normalized out, Normalized run) {
        if (stripAccents == false) {
            appendLowercased(cp, start, end, out);
        } else if (cp < 0x80) {
            flush(out, run);
            appendLowercased(cp, start, end, out);
        } else {
            run.add(cp, start, end);
        }
    }

    /** Applies NFD to the collected run and drops its nonspacing marks. */
    private void flush(Normalized out, Normalized run) {
        if (run.size == 0) {
            return;
        }
        if (isDecomposed(run)) {
            for (int k = 0; k < run.size; k++) {
                appendStripped(run.cps[k], run.starts[k], run.ends[k], out);
            }
            run.clear();
            return;
        }
        // Decompose one code point at a time so that each piece keeps the span of the character it came from.
        Normalized pieces = new Normalized(run.size * 2);
        for (int k = 0; k < run.size; k++) {
            String piece = Normalizer.normalize(Character.toString(run.cps[k]), Normalizer.Form.NFD);
            for (int c = 0; c < piece.length();) {
                int cp = piece.codePointAt(c);
                pieces.add(cp, run.starts[k], run.ends[k]);
                c += Character.charCount(cp);
            }
        }
        int[] ordered = Normalizer.normalize(new String(run.cps, 0, run.size), Normalizer.Form.NFD).codePoints().toArray();
        for (int i = 0; i < ordered.length;) {
            int j = i;
            // Canonical reordering may have moved marks: the shortest window [i, j] holding the same code points
            // shares the union of their spans, so that spans stay in text order.
            while (ordered[i] != pieces.cps[i] && sameCodePoints(ordered, pieces.cps, i, j + 1) == false) {
                j++;
            }
            int start = pieces.starts[i];
            int end = pieces.ends[j];
            for (int k = i; k <= j; k++) {
                appendStripped(ordered[k], start, end, out);
            }
            i = j + 1;
        }
        run.clear();
    }

    private static boolean sameCodePoints(int[] a, int[] b, int from, int to) {
        int[] x = Arrays.copyOfRange(a, from, to);
        int[] y = Arrays.copyOfRange(b, from, to);
        Arrays.sort(x);
        Arrays.sort(y);
        return Arrays.equals(x, y);
    }

    /** True when NFD leaves the run as it is; Latin-1 below U+00C0 and the main CJK blocks need no check. */
    private static boolean isDecomposed(Normalized run) {
        for (int k = 0; k < run.size; k++) {
            int cp = run.cps[k];
            if (cp >= 0xC0 && (cp < 0x3400 || cp > 0x9FFF)) {
                return Normalizer.isNormalized(new String(run.cps, 0, run.size), Normalizer.Form.NFD);
            }
        }
        return true;
    }

    private void appendStripped(int cp, int start, int end, Normalized out) {
        if (BertCharClasses.isNonspacingMark(cp) == false) {
            appendLowercased(cp, start, end, out);
        }
    }

    private void appendLowercased(int cp, int start, int end, Normalized out) {
        if (lowercase) {
            if (cp >= 'A' && cp <= 'Z') {
                cp += 'a' - 'A';
            } else if (cp == 0x130) {
                // Rust's char::to_lowercase applies SpecialCasing's one unconditional multi-character lower case,
                // İ to i + U+0307, where Character.toLowerCase(int) gives a plain i.
                out.add('i', start, end);
                cp = 0x307;
            } else if (cp >= 0x80) {
                // Per code point, like Rust: String.toLowerCase would also turn a word-final Σ into ς.
                cp = Character.toLowerCase(cp);
            }
        }
        out.add(cp, start, end);
    }

    /** Code points with, for each, the UTF-16 span {@code [starts[i], ends[i])} of the original text it came from. */
    static final class Normalized {
        int[] cps;
        int[] starts;
        int[] ends;
        int size;

        Normalized(int capacity) {
            int initial = Math.max(capacity, 16);
            cps = new int[initial];
            starts = new int[initial];
            ends = new int[initial];
        }

        void add(int cp, int start, int end) {
            if (size == cps.length) {
                int grown = size * 2;
                cps = Arrays.copyOf(cps, grown);
                starts = Arrays.copyOf(starts, grown);
                ends = Arrays.copyOf(ends, grown);
            }
            cps[size] = cp;
            starts[size] = start;
            ends[size] = end;
            size++;
        }

        void clear() {
            size = 0;
        }
    }
}
