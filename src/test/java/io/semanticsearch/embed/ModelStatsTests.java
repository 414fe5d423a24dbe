package io.semanticsearch.embed;

import org.opensearch.common.io.stream.BytesStreamOutput;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.test.OpenSearchTestCase;

import java.util.concurrent.TimeUnit;

public class ModelStatsTests extends OpenSearchTestCase {

    public void testCountsAndLatencies() {
        ModelStats stats = new ModelStats();
        stats.recordSuccess(3, 40, 1, 48, TimeUnit.MILLISECONDS.toNanos(10));
        stats.recordSuccess(1, 7, 1, 7, TimeUnit.MILLISECONDS.toNanos(30));
        stats.recordRejection();
        stats.recordFailure();
        ModelStats.Snapshot snapshot = stats.snapshot(1234);
        assertEquals(1234, snapshot.modelBytes());
        assertEquals(2, snapshot.requests());
        assertEquals(4, snapshot.texts());
        assertEquals(47, snapshot.tokens());
        assertEquals(55, snapshot.paddedTokens());
        assertEquals(2, snapshot.batches());
        assertEquals(1, snapshot.rejections());
        assertEquals(1, snapshot.failures());
        assertEquals(20.0, snapshot.meanMs(), 0.5);
        assertEquals(30.0, snapshot.maxMs(), 0.5);
        assertEquals(30.0, snapshot.p99Ms(), 0.5);
        // A second snapshot still counts what the first one saw: the histogram accumulates.
        assertEquals(2, stats.snapshot(1234).requests());
        assertEquals(30.0, stats.snapshot(1234).maxMs(), 0.5);
    }

    public void testSnapshotTravelsBetweenNodes() throws Exception {
        ModelStats stats = new ModelStats();
        stats.recordSuccess(5, 60, 2, 75, TimeUnit.MILLISECONDS.toNanos(4));
        ModelStats.Snapshot snapshot = stats.snapshot(99);
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            snapshot.writeTo(out);
            try (StreamInput in = out.bytes().streamInput()) {
                assertEquals(snapshot, ModelStats.Snapshot.readFrom(in));
            }
        }
    }
}
