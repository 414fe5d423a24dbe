package io.semanticsearch.embed;

/**
 * One text as a model sees it: token ids framed by {@code [CLS]} and {@code [SEP]}, and for each token the
 * span of characters (UTF-16 indices, end exclusive) of the original text it came from. Special tokens have an
 * empty span at the position where they sit, so passages can be cut on token boundaries.
 *
 * @param ids        token ids, {@code [CLS]} first and {@code [SEP]} last
 * @param starts     start offset of each token in the original text
 * @param ends       end offset of each token in the original text
 * @param truncated  whether tokens were dropped to fit the maximum length
 */
public record TokenizedText(long[] ids, int[] starts, int[] ends, boolean truncated) {

    public int length() {
        return ids.length;
    }
}
