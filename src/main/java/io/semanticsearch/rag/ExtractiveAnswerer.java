package io.semanticsearch.rag;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.InputType;
import io.semanticsearch.rag.SentenceSplitter.Sentence;

import org.opensearch.core.action.ActionListener;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The default generator, which needs nothing outside the node: it quotes the retrieved sentences that answer the
 * question best. Sentences are embedded with the field's model and scored by cosine similarity to the question;
 * {@link MaximalMarginalRelevance} picks a few that do not repeat each other, and they are quoted verbatim in
 * reading order (passage rank, then position), each followed by its {@code [n]}. When no sentence reaches
 * {@code min_score} the answer says so. Thread-safe; costs one embedding per sentence of the context, on the
 * inference pool.
 */
public final class ExtractiveAnswerer {

    public static final String NAME = "extractive";
    public static final String NO_ANSWER = "No passage answers this question.";
    /**
     * Below this cosine similarity a sentence is taken not to answer the question. Measured on the bundled models:
     * sentences that answer a question score about 0.5 to 0.8, unrelated ones about 0.0 to 0.3 (all-MiniLM-L6-v2)
     * and 0.2 to 0.45 (bge-small-zh-v1.5, whose similarities run higher overall).
     */
    public static final double DEFAULT_MIN_SCORE = 0.45;
    static final int MAX_SENTENCES = 3;
    // Mostly relevance, enough novelty to drop a sentence that restates one already quoted.
    static final double LAMBDA = 0.7;
    // A sentence this far below the best one is more often noise than a second half of the answer.
    static final double MARGIN = 0.12;
    // Bounds the embedding work of one answer; a context of 2,000 tokens holds about 100 sentences.
    static final int MAX_CANDIDATES = 200;
    // Fragments such as "Yes." or a lone heading say nothing on their own.
    static final int MIN_SENTENCE_CHARS = 4;

    private final EmbeddingService embeddings;

    public ExtractiveAnswerer(EmbeddingService embeddings) {
        this.embeddings = embeddings;
    }

    /** A sentence of the context: the citation it came from and its position there. */
    record Candidate(int citation, int position, String text) {}

    /** Answers {@code question} from {@code citations}, embedding with {@code model} (the field's). */
    public void answer(EmbeddingModel model, String question, List<Citation> citations, double minScore, ActionListener<String> listener) {
        List<Candidate> candidates = candidates(citations);
        if (candidates.isEmpty()) {
            listener.onResponse(NO_ANSWER);
            return;
        }
        List<String> texts = candidates.stream().map(Candidate::text).toList();
        embeddings.embed(
            model,
            InputType.QUERY,
            List.of(question),
            ActionListener.wrap(
                questionVector -> embeddings.embed(
                    model,
                    InputType.PASSAGE,
                    texts,
                    ActionListener.wrap(vectors -> listener.onResponse(compose(candidates, questionVector[0], vectors, minScore)), listener::onFailure)
                ),
                listener::onFailure
            )
        );
    }

    static List<Candidate> candidates(List<Citation> citations) {
        List<Candidate> candidates = new ArrayList<>();
        // The same sentence in two passages (a quoted paragraph, a duplicated document) is one candidate.
        Set<String> seen = new HashSet<>();
        for (Citation citation : citations) {
            int position = 0;
            for (Sentence sentence : SentenceSplitter.split(citation.passage())) {
                if (sentence.text().codePointCount(0, sentence.text().length()) >= MIN_SENTENCE_CHARS && seen.add(sentence.text())) {
                    candidates.add(new Candidate(citation.n(), position++, sentence.text()));
                    if (candidates.size() == MAX_CANDIDATES) {
                        return candidates;
                    }
                }
            }
        }
        return candidates;
    }

    /** Picks and orders the answer's sentences from their vectors; pure, for tests. */
    static String compose(List<Candidate> candidates, float[] question, float[][] vectors, double minScore) {
        double best = Double.NEGATIVE_INFINITY;
        double[] relevance = new double[candidates.size()];
        for (int i = 0; i < relevance.length; i++) {
            relevance[i] = MaximalMarginalRelevance.cosine(question, vectors[i]);
            best = Math.max(best, relevance[i]);
        }
        if (best < minScore) {
            return NO_ANSWER;
        }
        double floor = Math.max(minScore, best - MARGIN);
        List<Integer> eligible = new ArrayList<>();
        for (int i = 0; i < relevance.length; i++) {
            if (relevance[i] >= floor) {
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
            answer.append(sentence.text()).append(cjk ? "[" : " [").append(sentence.citation()).append(']');
            previousCjk = cjk;
        }
        return answer.toString();
    }

    private static boolean endsCjk(String text) {
        int last = text.codePointBefore(text.length());
        return "。！？」』）”".indexOf(last) >= 0 || Character.UnicodeScript.of(last) == Character.UnicodeScript.HAN;
    }
}
