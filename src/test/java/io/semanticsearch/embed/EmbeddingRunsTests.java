package io.semanticsearch.embed;

import org.apache.lucene.tests.util.LuceneTestCase.SuppressFileSystems;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.tasks.TaskCancelledException;
import org.opensearch.test.OpenSearchTestCase;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/** One call cut into runs that run on several threads at once, on the real model. */
@SuppressFileSystems("ExtrasFS")
public class EmbeddingRunsTests extends OpenSearchTestCase {

    private static ModelRegistry registry;
    private static EmbeddingModel model;
    private static ExecutorService pool;

    @BeforeClass
    public static void load() throws Exception {
        registry = ModelFixtures.registry(createTempDir(), ModelFixtures.MINILM);
        model = registry.get(ModelFixtures.MINILM);
        pool = Executors.newFixedThreadPool(3);
    }

    @AfterClass
    public static void close() throws Exception {
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        registry.close();
        registry = null;
        model = null;
        pool = null;
    }

    private static List<TokenizedText> tokenized(int count) {
        List<TokenizedText> texts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            texts.add(model.tokenize("Passage " + i + " on backups" + " and restoring them".repeat(i % 4), InputType.PASSAGE));
        }
        return texts;
    }

    private static final BiConsumer<Runnable, Consumer<Exception>> FORK = (work, onFailure) -> pool.execute(work);

    public void testRunsOnSeveralThreadsAtOnceGiveEachTextItsOwnVector() throws Exception {
        List<TokenizedText> texts = tokenized(12);
        // Every run waits until a second one is running: the call only ends if two ran at once.
        CyclicBarrier together = new CyclicBarrier(2);
        Function<List<TokenizedText>, float[][]> run = inputs -> {
            try {
                together.await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("no second run came while this one waited", e);
            }
            return model.embedder().embed(inputs, 32);
        };
        CompletableFuture<float[][]> result = new CompletableFuture<>();
        int[][] halves = EmbeddingRuns.evenly(texts, 2);
        assertEquals(2, halves.length);
        EmbeddingRuns runs = new EmbeddingRuns(texts, halves, run, FORK, () -> false, listener(result));
        pool.execute(() -> runs.start(2));
        float[][] vectors = result.get(60, TimeUnit.SECONDS);
        float[][] whole = model.embedder().embed(texts, 32);
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals("text " + i, whole[i], vectors[i], 1e-5f);
        }
    }

    public void testRunsHoldAtMostTheirTokensAndNeverCutAText() {
        List<TokenizedText> texts = tokenized(20);
        int longest = texts.stream().mapToInt(TokenizedText::length).max().orElseThrow();
        int[][] runs = EmbeddingRuns.byTokens(texts, longest * 2L);
        assertEveryTextOnce(runs, texts.size());
        assertTrue(runs.length < texts.size());
        for (int[] run : runs) {
            assertTrue(EmbeddingRuns.tokens(texts, run) <= longest * 2L);
        }
        assertEquals("a run holds at least one text, however long", texts.size(), EmbeddingRuns.byTokens(texts, 1).length);
    }

    public void testEvenRunsAreOnePerThreadWithAboutEqualTokens() {
        List<TokenizedText> texts = tokenized(randomIntBetween(8, 40));
        int longest = texts.stream().mapToInt(TokenizedText::length).max().orElseThrow();
        long total = texts.stream().mapToLong(TokenizedText::length).sum();
        for (int parts = 1; parts <= 4; parts++) {
            int[][] runs = EmbeddingRuns.evenly(texts, parts);
            assertEveryTextOnce(runs, texts.size());
            assertEquals(parts, runs.length);
            for (int[] run : runs) {
                assertTrue("parts " + parts, Math.abs(EmbeddingRuns.tokens(texts, run) - total / parts) <= longest);
            }
        }
        assertEquals("never more runs than texts", 2, EmbeddingRuns.evenly(texts.subList(0, 2), 4).length);
    }

    public void testAnIngestCallGoesOnEveryThreadWhenSmallAndInBoundedRunsWhenLarge() {
        List<TokenizedText> texts = tokenized(24);
        long total = texts.stream().mapToLong(TokenizedText::length).sum();
        int[][] small = EmbeddingRuns.forIngest(texts, total, total / 3, 2);
        assertEveryTextOnce(small, texts.size());
        assertEquals("a call that fits in one run is still cut in two for two threads", 2, small.length);
        assertEquals("but not into runs too small to repay a model run", 1, EmbeddingRuns.forIngest(texts, total, total / 2 + 1, 2).length);
        int[][] large = EmbeddingRuns.forIngest(texts, total / 6, 1, 2);
        assertEveryTextOnce(large, texts.size());
        assertTrue(large.length >= 6);
        for (int[] run : large) {
            assertTrue(EmbeddingRuns.tokens(texts, run) <= total / 6);
        }
    }

    private static void assertEveryTextOnce(int[][] runs, int texts) {
        int[] seen = new int[texts];
        for (int[] run : runs) {
            assertTrue(run.length > 0);
            for (int text : run) {
                seen[text]++;
            }
        }
        for (int count : seen) {
            assertEquals(1, count);
        }
    }

    public void testAFailedRunAnswersOnceAndTheOthersStop() throws Exception {
        List<TokenizedText> texts = tokenized(8);
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger answers = new AtomicInteger();
        CompletableFuture<Exception> failure = new CompletableFuture<>();
        EmbeddingRuns runs = new EmbeddingRuns(texts, EmbeddingRuns.byTokens(texts, 1), inputs -> {
            if (calls.incrementAndGet() == 2) {
                throw new IllegalStateException("the model failed on run 2");
            }
            return model.embedder().embed(inputs, 32);
        }, FORK, () -> false, ActionListener.wrap(v -> answers.incrementAndGet(), e -> {
            answers.incrementAndGet();
            failure.complete(e);
        }));
        // One worker: runs in turn, so the failure of the second is seen before any third.
        runs.start(1);
        assertEquals("the model failed on run 2", failure.get(30, TimeUnit.SECONDS).getMessage());
        pool.submit(() -> {}).get(10, TimeUnit.SECONDS);
        assertBusy(() -> assertEquals(1, answers.get()));
        assertEquals("no run after the failure", 2, calls.get());
    }

    public void testACancelledCallStopsBetweenRuns() throws Exception {
        List<TokenizedText> texts = tokenized(6);
        AtomicInteger calls = new AtomicInteger();
        CompletableFuture<float[][]> result = new CompletableFuture<>();
        EmbeddingRuns runs = new EmbeddingRuns(texts, EmbeddingRuns.byTokens(texts, 1), inputs -> {
            calls.incrementAndGet();
            return model.embedder().embed(inputs, 32);
        }, FORK, () -> calls.get() >= 2, listener(result));
        runs.start(1);
        ExecutionException e = expectThrows(ExecutionException.class, () -> result.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof TaskCancelledException);
        assertTrue(e.getCause().getMessage(), e.getCause().getMessage().contains("after [2] of its [6] texts"));
        assertEquals(2, calls.get());
    }

    public void testAQueueThatCannotTakeAWorkerFailsTheCall() throws Exception {
        List<TokenizedText> texts = tokenized(4);
        CompletableFuture<float[][]> result = new CompletableFuture<>();
        EmbeddingRuns runs = new EmbeddingRuns(texts, EmbeddingRuns.byTokens(texts, 1), inputs -> model.embedder().embed(inputs, 32),
            (work, onFailure) -> onFailure.accept(new IllegalStateException("pool shut down")), () -> false, listener(result));
        runs.start(2);
        ExecutionException e = expectThrows(ExecutionException.class, () -> result.get(30, TimeUnit.SECONDS));
        assertEquals("pool shut down", e.getCause().getMessage());
    }

    private static <T> ActionListener<T> listener(CompletableFuture<T> future) {
        return ActionListener.wrap(future::complete, future::completeExceptionally);
    }
}
