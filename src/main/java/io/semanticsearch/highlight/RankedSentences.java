package io.semanticsearch.highlight;

import io.semanticsearch.ranking.MaximalMarginalRelevance;
import io.semanticsearch.ranking.SentenceSplitter.Sentence;
import io.semanticsearch.ranking.SentenceSplitter;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The highlighter's work that needs no search: cutting a field's values into sentences, checking how many fragments
 * are asked for, and ranking the sentences by their similarity to the query's vector.
 */
final class RankedSentences {

    /** A sentence and the position of its value in the field (0 for a single value). */
    record Candidate(Sentence sentence, int element) {}

    /** A candidate and its cosine similarity to the query vector. */
    record Ranked(Candidate candidate, float score) {}

    private RankedSentences() {}

    /** The sentences of the field's string values in order, at most {@code max}; other values have none. */
    static List<Candidate> split(List<Object> values, int max) {
        List<Candidate> candidates = new ArrayList<>();
        for (int element = 0; element < values.size() && candidates.size() < max; element++) {
            if (values.get(element) instanceof String text) {
                for (Sentence sentence : SentenceSplitter.split(text)) {
                    if (candidates.size() == max) {
                        break;
                    }
                    candidates.add(new Candidate(sentence, element));
                }
            }
        }
        return candidates;
    }

    /**
     * How many sentences a hit shows: {@code number_of_fragments}, at least one, at most the sentences there are.
     *
     * @throws IllegalArgumentException naming the parameter and the field, for a negative number
     */
    static int fragmentCount(int numberOfFragments, int sentences, String field) {
        if (numberOfFragments < 0) {
            throw new IllegalArgumentException(
                "[highlight] [number_of_fragments] of [" + SemanticSentenceHighlighter.NAME + "] on [" + field + "] must be 0 or more "
                    + "(0 and 1 both give the best sentence), got [" + numberOfFragments + "]"
            );
        }
        return Math.min(sentences, Math.max(1, numberOfFragments));
    }

    /** The {@code count} candidates closest to {@code query}, best first; equal scores keep the text's order. */
    static List<Ranked> best(List<Candidate> candidates, float[] query, float[][] vectors, int count) {
        List<Ranked> ranked = new ArrayList<>(candidates.size());
        for (int i = 0; i < candidates.size(); i++) {
            ranked.add(new Ranked(candidates.get(i), (float) MaximalMarginalRelevance.cosine(query, vectors[i])));
        }
        ranked.sort(Comparator.comparingDouble((Ranked r) -> r.score()).reversed());
        return ranked.subList(0, Math.min(count, ranked.size()));
    }
}
