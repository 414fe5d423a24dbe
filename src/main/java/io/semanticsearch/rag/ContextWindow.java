package io.semanticsearch.rag;

import io.semanticsearch.embed.TokenizedText;
import io.semanticsearch.embed.WordPieceTokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Fits ranked passages into a token budget, best first, and numbers them: the passages an answerer reads and the
 * response cites. Tokens are counted with the embedding model's tokenizer, which is not the LLM's but is close
 * enough for a budget and needs nothing outside the node. Stateless.
 */
final class ContextWindow {

    // A cut passage shorter than this says too little to be worth a citation.
    static final int MIN_CUT_TOKENS = 16;

    private ContextWindow() {}

    /**
     * Takes passages in order while their tokens fit in {@code maxTokens}; the first that does not fit is cut at a
     * token boundary (if enough of it fits) and ends the window. The first passage is always kept, cut if need be.
     */
    static List<Citation> fit(List<RetrievedPassage> ranked, WordPieceTokenizer tokenizer, int maxTokens) {
        List<Citation> citations = new ArrayList<>();
        int remaining = maxTokens;
        for (RetrievedPassage passage : ranked) {
            // encode stops tokenizing once past the limit, so a long passage costs only what fits.
            TokenizedText tokens = tokenizer.encode(passage.text(), remaining + 2);
            int kept = tokens.length() - 2;
            String text = passage.text();
            if (tokens.truncated()) {
                if (kept < MIN_CUT_TOKENS && citations.isEmpty() == false) {
                    break;
                }
                text = text.substring(0, tokens.ends()[kept]);
            }
            if (kept > 0) {
                citations.add(new Citation(citations.size() + 1, passage.index(), passage.id(), text, passage.offset(), passage.score()));
            }
            remaining -= kept;
            if (tokens.truncated() || remaining <= 0) {
                break;
            }
        }
        return citations;
    }
}
