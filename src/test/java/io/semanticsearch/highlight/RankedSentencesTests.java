package io.semanticsearch.highlight;

import org.opensearch.test.OpenSearchTestCase;

import java.util.ArrayList;
import java.util.List;

public class RankedSentencesTests extends OpenSearchTestCase {

    public void testSentencesOfEveryStringValueWithTheirElementUpToTheLimit() {
        List<Object> values = new ArrayList<>();
        values.add("Logrotate rotates logs. It runs daily from cron.");
        values.add(42); // not text: no sentences, but it keeps its position
        values.add("Rsync copies files over ssh.");
        List<RankedSentences.Candidate> all = RankedSentences.split(values, 100);
        assertEquals(List.of("Logrotate rotates logs.", "It runs daily from cron.", "Rsync copies files over ssh."),
            all.stream().map(c -> c.sentence().text()).toList());
        assertEquals(List.of(0, 0, 2), all.stream().map(RankedSentences.Candidate::element).toList());
        String text = (String) values.get(0);
        RankedSentences.Candidate second = all.get(1);
        assertEquals(second.sentence().text(), text.substring(second.sentence().start(), second.sentence().end()));
        assertEquals(2, RankedSentences.split(values, 2).size());
    }

    public void testNumberOfFragmentsIsValidatedAndBounded() {
        assertEquals(1, RankedSentences.fragmentCount(0, 10, "body"));
        assertEquals(1, RankedSentences.fragmentCount(1, 10, "body"));
        assertEquals(3, RankedSentences.fragmentCount(5, 3, "body"));
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> RankedSentences.fragmentCount(-1, 10, "body"));
        assertEquals(
            "[highlight] [number_of_fragments] of [semantic_sentences] on [body] must be 0 or more (0 and 1 both give the best "
                + "sentence), got [-1]",
            e.getMessage()
        );
    }

    public void testTheClosestSentencesComeFirstAndTiesKeepTheTextsOrder() {
        List<RankedSentences.Candidate> candidates = RankedSentences.split(List.of("One. Two. Three. Four."), 100);
        float[] query = { 1, 0 };
        float[][] vectors = { { 0, 1 }, { 1, 1 }, { 1, 0.01f }, { 1, 1 } };
        List<RankedSentences.Ranked> best = RankedSentences.best(candidates, query, vectors, 3);
        assertEquals(List.of("Three.", "Two.", "Four."), best.stream().map(r -> r.candidate().sentence().text()).toList());
        assertEquals(1.0f, best.get(0).score(), 1e-3f);
        assertEquals((float) Math.sqrt(0.5), best.get(1).score(), 1e-6f);
        // a sentence whose vector is all zeros scores 0, not NaN
        List<RankedSentences.Ranked> zero = RankedSentences.best(candidates.subList(0, 1), query, new float[][] { { 0, 0 } }, 1);
        assertEquals(0f, zero.get(0).score(), 0f);
    }
}
