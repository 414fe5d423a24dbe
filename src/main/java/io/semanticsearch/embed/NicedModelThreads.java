package io.semanticsearch.embed;

import com.sun.jna.Library;
import com.sun.jna.Native;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.lucene.util.Constants;

import java.io.Closeable;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads of a lower CPU priority (a nice value) for the ingest lane's model runs: while a bulk keeps every core busy,
 * the kernel gives the cores to searches and to the search lane's model runs first. The lanes' queues decide who waits
 * for a thread; this decides who waits for a core. Ingest keeps whatever CPU the searches leave, so a bulk alone runs
 * as fast as it would at the normal priority (docs/benchmarks.md, "Settings that move the balance").
 *
 * <p>Threads of their own rather than the ingest lane's pool threads: a thread a niced thread creates inherits its
 * nice value, and an OpenSearch pool thread hands work to other pools (the bulk goes back to the write pool), whose
 * threads it then sometimes creates; these threads only run the model, so the nice value stays on them. The lane's
 * thread waits for its run here, so the lane's width and queue still bound the work.
 *
 * <p>Linux only, where the nice value belongs to a thread ({@code setpriority(PRIO_PROCESS, 0, n)} sets the caller's,
 * see setpriority(2), BUGS); raising it needs no privilege. It is reached through JNA, which OpenSearch ships and
 * loads for its own native calls: one libc function does not call for a library of ours. Elsewhere, or when the call
 * fails, runs go on at the normal priority and the node says so once.
 */
final class NicedModelThreads implements Closeable {

    private static final Logger logger = LogManager.getLogger(NicedModelThreads.class);
    private static final int PRIO_PROCESS = 0;

    /** The one libc function this needs, bound by JNA. */
    private interface CLibrary extends Library {
        int setpriority(int which, int who, int prio);
    }

    private final int nice;
    private final ExecutorService executor;

    /**
     * @param name    the threads' name, before {@code [T#n]}
     * @param threads how many: the most runs the ingest lane has at once
     * @param nice    1 to 19
     */
    NicedModelThreads(String name, int threads, int nice) {
        if (nice < 1 || nice > 19) {
            throw new IllegalArgumentException("nice must be between 1 and 19, got [" + nice + "]");
        }
        this.nice = nice;
        AtomicInteger count = new AtomicInteger();
        CLibrary libc = libc();
        this.executor = Executors.newFixedThreadPool(threads, work -> {
            Thread thread = new Thread(() -> {
                lowerPriority(libc);
                work.run();
            }, name + "[T#" + count.incrementAndGet() + "]");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Runs {@code run} on one of these threads and returns what it returns; the caller waits. */
    <T> T call(Callable<T> run) {
        Future<T> future = executor.submit(run);
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            future.cancel(false);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a model run", e);
        }
    }

    private void lowerPriority(CLibrary libc) {
        if (libc != null && libc.setpriority(PRIO_PROCESS, 0, nice) != 0) {
            logger.warn("cannot set the nice value of [{}] to [{}]: errno [{}]", Thread.currentThread().getName(), nice, Native.getLastError());
        }
    }

    private static CLibrary libc() {
        if (Constants.LINUX == false) {
            logger.info("ingest model runs keep the normal CPU priority: nice values are per thread on Linux only");
            return null;
        }
        try {
            return Native.load("c", CLibrary.class);
        } catch (LinkageError | RuntimeException e) {
            logger.warn("ingest model runs keep the normal CPU priority: cannot reach the C library through JNA: {}", e.toString());
            return null;
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
