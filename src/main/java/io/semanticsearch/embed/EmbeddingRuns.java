package io.semanticsearch.embed;

import org.opensearch.core.action.ActionListener;
import org.opensearch.core.tasks.TaskCancelledException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * One embedding call cut into runs ({@link #evenly}, {@link #byTokens}, {@link #forIngest}; a text is never cut), with
 * at most {@code width} runs in flight at once, each on a thread of its lane's pool. A model call runs on one thread by
 * default ({@code plugins.semantic.inference.threads: 1}), so this is how one call uses several cores: data-parallel,
 * as Elasticsearch's allocations are, rather than splitting each matrix product across threads, which on small
 * batches costs more in handing over than it gains.
 *
 * <p>A worker runs one run, then queues its next run behind what else the lane holds, so several calls share the
 * lane run by run and none holds it for long. Texts are taken in order of length, so that a run's texts batch with
 * little padding. The listener is answered once: with every vector in the caller's order, or with the first failure
 * (the other workers then stop before their next run).
 */
final class EmbeddingRuns {

    private final List<TokenizedText> tokenized;
    private final int[][] runs;
    private final Function<List<TokenizedText>, float[][]> model;
    private final BiConsumer<Runnable, Consumer<Exception>> fork;
    private final BooleanSupplier cancelled;
    private final ActionListener<float[][]> listener;
    private final float[][] vectors;
    private final AtomicInteger nextRun = new AtomicInteger();
    private final AtomicInteger runsLeft;
    private final AtomicInteger textsDone = new AtomicInteger();
    private final AtomicBoolean answered = new AtomicBoolean();

    /**
     * @param runs      the texts of each run, as indices into {@code tokenized} ({@link #byTokens}, {@link #evenly})
     * @param model     embeds one run, on the thread it is called on
     * @param fork      queues a worker on the lane's pool, past its queue's bound (the call was already admitted), and
     *                  hands the failure to the consumer given when it cannot run it (a pool shutting down)
     * @param cancelled asked before each run
     */
    EmbeddingRuns(
        List<TokenizedText> tokenized,
        int[][] runs,
        Function<List<TokenizedText>, float[][]> model,
        BiConsumer<Runnable, Consumer<Exception>> fork,
        BooleanSupplier cancelled,
        ActionListener<float[][]> listener
    ) {
        this.tokenized = tokenized;
        this.runs = runs;
        this.model = model;
        this.fork = fork;
        this.cancelled = cancelled;
        this.listener = listener;
        this.vectors = new float[tokenized.size()][];
        this.runsLeft = new AtomicInteger(runs.length);
    }

    /**
     * Runs for an ingest call: runs of at most {@code maxRunTokens}, or, for a call that fits in {@code width} of
     * them, one per thread so that a small bulk also uses the lane's threads, but none under {@code minRunTokens}:
     * each run streams all of the model's weights from memory once, which a run of a few texts does not repay.
     */
    static int[][] forIngest(List<TokenizedText> tokenized, long maxRunTokens, long minRunTokens, int width) {
        long total = tokens(tokenized);
        if (total > maxRunTokens * width) {
            return byTokens(tokenized, maxRunTokens);
        }
        long needed = (total + maxRunTokens - 1) / maxRunTokens;
        long wanted = Math.min(width, total / Math.max(1, minRunTokens));
        int[][] even = evenly(tokenized, (int) Math.max(1, Math.max(needed, wanted)));
        for (int[] run : even) {
            if (tokens(tokenized, run) > maxRunTokens && run.length > 1) {
                // Even parts can overshoot by part of a text; the bound is the setting's promise.
                return byTokens(tokenized, maxRunTokens);
            }
        }
        return even;
    }

    /** Runs of at most {@code maxRunTokens} tokens each (one text when a text alone has more), shortest texts first. */
    static int[][] byTokens(List<TokenizedText> tokenized, long maxRunTokens) {
        int[] order = byLength(tokenized);
        List<int[]> runs = new ArrayList<>();
        for (int from = 0, to; from < order.length; from = to) {
            long tokens = tokenized.get(order[from]).length();
            to = from + 1;
            while (to < order.length && tokens + tokenized.get(order[to]).length() <= maxRunTokens) {
                tokens += tokenized.get(order[to++]).length();
            }
            runs.add(Arrays.copyOfRange(order, from, to));
        }
        return runs.toArray(new int[0][]);
    }

    /** At most {@code parts} runs of about equal tokens, one per thread that will run them, shortest texts first. */
    static int[][] evenly(List<TokenizedText> tokenized, int parts) {
        int[] order = byLength(tokenized);
        long total = tokens(tokenized);
        List<int[]> runs = new ArrayList<>();
        long before = 0;
        int from = 0;
        int part = 0;
        for (int i = 0; i < order.length; i++) {
            int length = tokenized.get(order[i]).length();
            // The part a text falls in is where its middle token lies on the call's token line.
            int its = (int) Math.min(parts - 1, (2 * before + length) * parts / (2 * Math.max(1, total)));
            if (its != part && i > from) {
                runs.add(Arrays.copyOfRange(order, from, i));
                from = i;
            }
            part = its;
            before += length;
        }
        if (from < order.length) {
            runs.add(Arrays.copyOfRange(order, from, order.length));
        }
        return runs.toArray(new int[0][]);
    }

    private static long tokens(List<TokenizedText> tokenized) {
        long tokens = 0;
        for (TokenizedText text : tokenized) {
            tokens += text.length();
        }
        return tokens;
    }

    static long tokens(List<TokenizedText> tokenized, int[] run) {
        long tokens = 0;
        for (int text : run) {
            tokens += tokenized.get(text).length();
        }
        return tokens;
    }

    private static int[] byLength(List<TokenizedText> tokenized) {
        return IntStream.range(0, tokenized.size())
            .boxed()
            .sorted(Comparator.comparingInt(i -> tokenized.get(i).length()))
            .mapToInt(Integer::intValue)
            .toArray();
    }

    /** Starts up to {@code width} workers: {@code width - 1} queued, and one on the calling thread. */
    void start(int width) {
        if (runs.length == 0) {
            answer();
            return;
        }
        int workers = Math.max(1, Math.min(width, runs.length));
        for (int i = 1; i < workers; i++) {
            fork.accept(this::work, this::fail);
        }
        work();
    }

    private void work() {
        int run = nextRun.getAndIncrement();
        if (run >= runs.length || answered.get()) {
            return;
        }
        try {
            if (cancelled.getAsBoolean()) {
                fail(new TaskCancelledException("the embedding call was cancelled after [" + textsDone.get() + "] of its ["
                    + tokenized.size() + "] texts"));
                return;
            }
            int[] texts = runs[run];
            List<TokenizedText> inputs = new ArrayList<>(texts.length);
            for (int text : texts) {
                inputs.add(tokenized.get(text));
            }
            float[][] embedded = model.apply(inputs);
            for (int i = 0; i < texts.length; i++) {
                vectors[texts[i]] = embedded[i];
            }
            textsDone.addAndGet(texts.length);
        } catch (Exception e) {
            fail(e);
            return;
        }
        // The decrement publishes this worker's vectors to whichever worker answers.
        if (runsLeft.decrementAndGet() == 0) {
            answer();
        } else if (nextRun.get() < runs.length) {
            fork.accept(this::work, this::fail);
        }
    }

    private void answer() {
        if (answered.compareAndSet(false, true)) {
            listener.onResponse(vectors);
        }
    }

    private void fail(Exception e) {
        if (answered.compareAndSet(false, true)) {
            listener.onFailure(e);
        }
    }
}
