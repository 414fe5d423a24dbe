package io.semanticsearch.embed;

import ai.onnxruntime.OrtEnvironment;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Starts ONNX Runtime's process-wide environment safely, once. Thread-safe; the first call loads the native library
 * (about half a second), later calls return at once.
 *
 * <p>ONNX Runtime 1.29 added POSIX telemetry that, while the environment starts, matches the process command line
 * against a backtracking {@code std::regex} that recurses about 300 bytes of stack per character: a command line of
 * 3,000-4,000 characters (an OpenSearch node's is near that) overflows a 1 MB thread stack and the JVM dies with
 * SIGSEGV and no hs_err file; that telemetry also phones home. The build pins 1.28, which has neither; the
 * environment is still started on a thread with a large stack so that a rebuild on a newer ONNX Runtime cannot
 * take the node down this way.
 */
final class OnnxRuntimeEnvironment {

    private static final long STACK_BYTES = 64L << 20;
    private static OrtEnvironment environment;

    private OnnxRuntimeEnvironment() {}

    /**
     * The environment every session is created in.
     *
     * @throws LinkageError when the native library cannot be loaded (e.g. an unsupported platform)
     */
    static synchronized OrtEnvironment get() {
        if (environment != null) {
            return environment;
        }
        AtomicReference<OrtEnvironment> started = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(null, () -> {
            try {
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                // A search node should not report to Microsoft. This suppresses the events that can still be
                // suppressed once the environment exists; only ORT_DISABLE_TELEMETRY=1 stops telemetry entirely.
                env.setTelemetry(false);
                started.set(env);
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "onnxruntime-start", STACK_BYTES);
        thread.setDaemon(true);
        thread.start();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting ONNX Runtime", e);
        }
        Throwable t = failure.get();
        if (t instanceof Error error) {
            // Rethrown as is, so that a registry can record it per model instead of the node failing to start.
            throw error;
        }
        if (t != null) {
            throw new IllegalStateException("cannot start ONNX Runtime: " + t.getMessage(), t);
        }
        environment = started.get();
        return environment;
    }
}
