package io.semanticsearch.rag;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.InputType;
import io.semanticsearch.ranking.MaximalMarginalRelevance;
import io.semanticsearch.ranking.SentenceSplitter.Sentence;
import io.semanticsearch.ranking.SentenceSplitter;

import org.opensearch.core.action.ActionListener;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The default generator, which needs nothing outside the node: it quotes the retrieved sentences that answer the
 * question best. Sentences are embedded with the answer model (the field's model or its quantized variant, see
 * RagService#answeringModel) and scored by cosine similarity to the question,
 * alone and together with the sentence before them (whichever is higher: "The main file is /etc/logrotate.conf"
 * only answers "how do I configure log rotation" next to the sentence that says it is about log rotation);
 * {@link MaximalMarginalRelevance} picks a few that do not repeat each other, and they are quoted verbatim in
 * reading order (passage rank, then position), each followed by its {@code [n]}. When no sentence reaches
 * {@code min_score} the answer says so. Thread-safe; costs one embedding per sentence of the context and one per
 * window near the question (see {@link #WINDOW_MARGIN}), on the search lane, through the query cache.
 */
public final class ExtractiveAnswerer {

    public static final String NAME = "extractive";
    public static final String NO_ANSWER = "No passage answers this question.";
    /**
     * Below this cosine similarity a sentence is taken not to answer the question. Measured on the bundled models
     * (ExtractiveAnswererTests checks and logs them): sentences that answer a question score about 0.5 to 0.9, unrelated ones
     * below 0.15 (all-MiniLM-L6-v2) or 0.2 to 0.35 (bge-small-zh-v1.5, whose similarities run higher overall).
     */
    public static final double DEFAULT_MIN_SCORE = 0.45;
    static final int MAX_SENTENCES = 3;
    /**
     * Most characters of one quoted sentence: a "sentence" without a full stop can be a whole document (a field
     * quoted whole, a list), and an answer is for reading. A longer one is cut at a word and ends with an ellipsis.
     */
    static final int MAX_SENTENCE_CHARS = 600;
    // Mostly relevance, enough novelty to drop a sentence that restates one already quoted.
    static final double LAMBDA = 0.7;
    // A sentence this far below the best one is more often noise than a second half of the answer.
    static final double MARGIN = 0.12;
    /**
     * A sentence of another document than the best sentence's must come this close to it: a neighbour in the same
     * document usually continues the answer, while one from another document about as close is more often a
     * different subject that shares the question's words (docs/benchmarks.md, "What the `_rag` answer cites").
     */
    static final double OTHER_DOCUMENT_MARGIN = 0.04;
    /**
     * Added to a sentence's relevance for its document's rank in the retrieval, divided by that rank: the ranking,
     * which has BM25 and the whole document's similarity behind it, breaks near-ties between sentences of different
     * documents in favour of the better document.
     */
    static final double RANK_BONUS = 0.08;
    // Bounds the embedding work of one answer; a context of 2,000 tokens holds about 100 sentences.
    static final int MAX_CANDIDATES = 200;
    /**
     * How far below the lowest score an answer sentence may have both halves of a window may be for it still to be
     * embedded. Measured: docs/benchmarks.md, "_rag generation"; answers were the same as with every window embedded.
     */
    static final double WINDOW_MARGIN = 0.15;
    // Fragments such as "Yes." or "好。" say nothing on their own: fewer letters, digits or ideographs than this.
    static final int MIN_SENTENCE_CHARS = 4;

    private final EmbeddingService embeddings;

    public ExtractiveAnswerer(EmbeddingService embeddings) {
        this.embeddings = embeddings;
    }

    /**
     * A sentence of the context: the citation it came from, its position there, and its window (the sentence
     * before it and itself; null for a passage's first sentence).
     */
    record Candidate(int citation, String document, int documentRank, int position, String text, String window) {}

    /** Answers {@code question} from {@code citations}, embedding the question and the sentences with {@code model}. */
    public void answer(EmbeddingModel model, String question, List<Citation> citations, double minScore, ActionListener<String> listener) {
        answer(model, question, citations, minScore, () -> false, listener);
    }

    /** As {@link #answer(EmbeddingModel, String, List, double, ActionListener)}; stops when {@code cancelled} says so. */
    public void answer(
        EmbeddingModel model,
        String question,
        List<Citation> citations,
        double minScore,
        BooleanSupplier cancelled,
        ActionListener<String> listener
    ) {
        List<Candidate> candidates = candidates(citations);
        if (candidates.isEmpty()) {
            listener.onResponse(NO_ANSWER);
            return;
        }
        // The sentences first; then only the windows that can matter (see WINDOW_MARGIN): a second, much smaller call.
        List<String> texts = candidates.stream().map(Candidate::text).toList();
        embeddings.embedQuery(
            model,
            question,
            ActionListener.wrap(
                questionVector -> embeddings.embedCached(model, InputType.PASSAGE, texts, cancelled, ActionListener.wrap(sentences -> {
                    List<Integer> windowed = windowsWorthEmbedding(candidates, questionVector, sentences, minScore);
                    List<String> windowTexts = windowed.stream().map(i -> candidates.get(i).window()).toList();
                    embeddings.embedCached(model, InputType.PASSAGE, windowTexts, cancelled, ActionListener.wrap(windowVectors -> {
                        float[][] windows = new float[candidates.size()][];
                        for (int w = 0; w < windowed.size(); w++) {
                            windows[windowed.get(w)] = windowVectors[w];
                        }
                        listener.onResponse(compose(candidates, questionVector, sentences, windows, minScore));
                    }, listener::onFailure));
                }, listener::onFailure)),
                listener::onFailure
            )
        );
    }

    /**
     * The candidates whose window (the sentence with the one before it) is worth a model run: those where the sentence
     * or the one before it comes within {@link #WINDOW_MARGIN} of the lowest score an answer sentence may have. A
     * window of two sentences that are both far from that does not reach it together; embedding only the others
     * spares most of the answerer's inference.
     */
    static List<Integer> windowsWorthEmbedding(List<Candidate> candidates, float[] question, float[][] sentences, double minScore) {
        double[] similarity = new double[candidates.size()];
        double best = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < similarity.length; i++) {
            similarity[i] = MaximalMarginalRelevance.cosine(question, sentences[i]);
            best = Math.max(best, similarity[i]);
        }
        // A sentence is quoted from max(min_score, best - MARGIN) up (see compose): a window both of whose halves are
        // more than WINDOW_MARGIN below that does not reach it.
        double bar = Math.max(minScore, best - MARGIN) - WINDOW_MARGIN;
        List<Integer> worth = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            Candidate candidate = candidates.get(i);
            if (candidate.window() == null) {
                continue;
            }
            // The sentence before, when it is a candidate itself: the one just before in the same citation.
            boolean previousClose = i > 0
                && candidates.get(i - 1).citation() == candidate.citation()
                && candidates.get(i - 1).position() == candidate.position() - 1
                && similarity[i - 1] >= bar;
            if (similarity[i] >= bar || previousClose) {
                worth.add(i);
            }
        }
        return worth;
    }

    static List<Candidate> candidates(List<Citation> citations) {
        List<Candidate> candidates = new ArrayList<>();
        // The same sentence in two passages (a quoted paragraph, a duplicated document) is one candidate.
        Set<String> seen = new HashSet<>();
        // Citations come best first; a document's rank is that of its first passage.
        Map<String, Integer> documentRanks = new HashMap<>();
        for (Citation citation : citations) {
            String document = citation.index() + "/" + citation.id();
            int documentRank = documentRanks.computeIfAbsent(document, d -> documentRanks.size() + 1);
            int position = 0;
            String previous = null;
            for (Sentence sentence : SentenceSplitter.split(citation.passage())) {
                String text = sentence.text();
                if (text.codePoints().filter(Character::isLetterOrDigit).count() >= MIN_SENTENCE_CHARS && seen.add(text)) {
                    String window = previous == null ? null : join(previous, text);
                    candidates.add(new Candidate(citation.n(), document, documentRank, position++, text, window));
                    if (candidates.size() == MAX_CANDIDATES) {
                        return candidates;
                    }
                }
                previous = text;
            }
        }
        return candidates;
    }

    /**
     * Picks and orders the answer's sentences; pure, for tests.
     *
     * @param vectors one vector per candidate sentence, which MMR compares for redundancy
     * @param windows one vector per candidate's window, null where it has none
     */
    static String compose(List<Candidate> candidates, float[] question, float[][] vectors, float[][] windows, double minScore) {
        double bestSimilarity = Double.NEGATIVE_INFINITY;
        double best = Double.NEGATIVE_INFINITY;
        int bestIndex = -1;
        double[] relevance = new double[candidates.size()];
        for (int i = 0; i < relevance.length; i++) {
            double similarity = MaximalMarginalRelevance.cosine(question, vectors[i]);
            if (windows[i] != null) {
                similarity = Math.max(similarity, MaximalMarginalRelevance.cosine(question, windows[i]));
            }
            bestSimilarity = Math.max(bestSimilarity, similarity);
            relevance[i] = similarity >= minScore ? similarity + RANK_BONUS / candidates.get(i).documentRank() : similarity;
            if (relevance[i] > best) {
                best = relevance[i];
                bestIndex = i;
            }
        }
        if (bestSimilarity < minScore) {
            return NO_ANSWER;
        }
        double floor = Math.max(minScore, best - MARGIN);
        double otherDocumentFloor = Math.max(minScore, best - OTHER_DOCUMENT_MARGIN);
        String bestDocument = candidates.get(bestIndex).document();
        List<Integer> eligible = new ArrayList<>();
        for (int i = 0; i < relevance.length; i++) {
            boolean sameDocument = candidates.get(i).document().equals(bestDocument);
            if (relevance[i] >= (sameDocument ? floor : otherDocumentFloor)) {
                eligible.add(i);
            }
        }
        double[] eligibleRelevance = new double[eligible.size()];
        float[][] eligibleVectors = new float[eligible.size()][];
        for (int i = 0; i < eligible.size(); i++) {
            eligibleRelevance[i] = relevance[eligible.get(i)];
            eligibleVectors[i] = vectors[eligible.get(i)];
        }
        List<Candidate> picked = new ArrayList<>();
        for (int i : MaximalMarginalRelevance.select(eligibleRelevance, eligibleVectors, MAX_SENTENCES, LAMBDA)) {
            picked.add(candidates.get(eligible.get(i)));
        }
        picked.sort(Comparator.comparingInt(Candidate::citation).thenComparingInt(Candidate::position));
        StringBuilder answer = new StringBuilder();
        boolean previousCjk = false;
        for (Candidate sentence : picked) {
            // Chinese and Japanese run on without spaces, before a marker or between sentences.
            boolean cjk = endsCjk(sentence.text());
            if (answer.length() > 0 && previousCjk == false) {
                answer.append(' ');
            }
            answer.append(shortened(sentence.text())).append(cjk ? "[" : " [").append(sentence.citation()).append(']');
            previousCjk = cjk;
        }
        return answer.toString();
    }

    /** The sentence, or its beginning up to {@link #MAX_SENTENCE_CHARS}, cut after a word, with an ellipsis. */
    static String shortened(String sentence) {
        if (sentence.length() <= MAX_SENTENCE_CHARS) {
            return sentence;
        }
        int end = MAX_SENTENCE_CHARS;
        if (Character.isHighSurrogate(sentence.charAt(end - 1))) {
            end--;
        }
        int space = sentence.lastIndexOf(' ', end);
        if (space > MAX_SENTENCE_CHARS / 2) {
            end = space;
        }
        return sentence.substring(0, end).stripTrailing() + "…";
    }

    private static String join(String first, String second) {
        return endsCjk(first) ? first + second : first + " " + second;
    }

    private static boolean endsCjk(String text) {
        int last = text.codePointBefore(text.length());
        return "。！？」』）”".indexOf(last) >= 0 || Character.UnicodeScript.of(last) == Character.UnicodeScript.HAN;
    }
}
