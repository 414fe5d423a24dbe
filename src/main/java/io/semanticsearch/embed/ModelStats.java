package io.semanticsearch.embed;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.xcontent.ToXContentFragment;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one model on this node since it started. Thread-safe and lock-free on the recording side; the
 * latency histogram is HdrHistogram's {@link Recorder} (OpenSearch ships it), accumulated on read.
 */
public final class ModelStats {

    private static final long MAX_LATENCY_MICROS = TimeUnit.MINUTES.toMicros(10);

    private final LongAdder requests = new LongAdder();
    private final LongAdder texts = new LongAdder();
    private final LongAdder tokens = new LongAdder();
    private final LongAdder paddedTokens = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final LongAdder rejections = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final Recorder latency = new Recorder(MAX_LATENCY_MICROS, 2);
    private final Histogram totalLatency = new Histogram(MAX_LATENCY_MICROS, 2);

    /**
     * One successful call: how many texts and tokens it embedded, how many batches the model ran and how many token
     * positions they held (padding included), and how long it took, in nanoseconds.
     */
    void recordSuccess(int textCount, long tokenCount, long batchCount, long paddedTokenCount, long nanos) {
        requests.increment();
        texts.add(textCount);
        tokens.add(tokenCount);
        paddedTokens.add(paddedTokenCount);
        batches.add(batchCount);
        latency.recordValue(Math.min(MAX_LATENCY_MICROS, Math.max(1, TimeUnit.NANOSECONDS.toMicros(nanos))));
    }

    void recordRejection() {
        rejections.increment();
    }

    void recordFailure() {
        failures.increment();
    }

    public long texts() {
        return texts.sum();
    }

    public long tokens() {
        return tokens.sum();
    }

    /** Token positions the model ran, padding included: {@code padded_tokens / tokens - 1} is the share wasted on padding. */
    public long paddedTokens() {
        return paddedTokens.sum();
    }

    public long batches() {
        return batches.sum();
    }

    public long rejections() {
        return rejections.sum();
    }

    public long failures() {
        return failures.sum();
    }

    private synchronized Histogram latencySnapshot() {
        totalLatency.add(latency.getIntervalHistogram());
        return totalLatency.copy();
    }

    /** The counters now, in a form that travels between nodes. */
    public Snapshot snapshot(long modelBytes) {
        Histogram histogram = latencySnapshot();
        return new Snapshot(
            modelBytes,
            requests.sum(),
            texts(),
            tokens(),
            paddedTokens(),
            batches(),
            rejections(),
            failures(),
            histogram.getTotalCount() == 0 ? 0.0 : histogram.getMean() / 1000.0,
            histogram.getValueAtPercentile(50) / 1000.0,
            histogram.getValueAtPercentile(99) / 1000.0,
            histogram.getMaxValue() / 1000.0
        );
    }

    /** One model's counters on one node at one moment; latencies in milliseconds. */
    public record Snapshot(
        long modelBytes,
        long requests,
        long texts,
        long tokens,
        long paddedTokens,
        long batches,
        long rejections,
        long failures,
        double meanMs,
        double p50Ms,
        double p99Ms,
        double maxMs
    ) implements Writeable, ToXContentFragment {

        public static Snapshot readFrom(StreamInput in) throws IOException {
            return new Snapshot(
                in.readVLong(),
                in.readVLong(),
                in.readVLong(),
                in.readVLong(),
                in.readVLong(),
                in.readVLong(),
                in.readVLong(),
                in.readVLong(),
                in.readDouble(),
                in.readDouble(),
                in.readDouble(),
                in.readDouble()
            );
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            out.writeVLong(modelBytes);
            out.writeVLong(requests);
            out.writeVLong(texts);
            out.writeVLong(tokens);
            out.writeVLong(paddedTokens);
            out.writeVLong(batches);
            out.writeVLong(rejections);
            out.writeVLong(failures);
            out.writeDouble(meanMs);
            out.writeDouble(p50Ms);
            out.writeDouble(p99Ms);
            out.writeDouble(maxMs);
        }

        @Override
        public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
            builder.field("model_bytes", modelBytes);
            builder.field("requests", requests);
            builder.field("texts", texts);
            builder.field("tokens", tokens);
            builder.field("padded_tokens", paddedTokens);
            builder.field("batches", batches);
            builder.field("rejections", rejections);
            builder.field("failures", failures);
            builder.startObject("latency_ms");
            builder.field("mean", meanMs);
            builder.field("p50", p50Ms);
            builder.field("p99", p99Ms);
            builder.field("max", maxMs);
            builder.endObject();
            return builder;
        }
    }
}
