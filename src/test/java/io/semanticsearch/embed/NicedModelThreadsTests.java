package io.semanticsearch.embed;

import org.opensearch.test.OpenSearchTestCase;

/**
 * What runs where and what comes back. Whether the kernel holds the nice value is checked on a real node
 * (InferenceUnderLoadIT): this JVM keeps JNA's native library unloaded (see the surefire argLine).
 */
public class NicedModelThreadsTests extends OpenSearchTestCase {

    public void testARunGoesOnItsOwnThreadAndItsResultComesBack() {
        try (NicedModelThreads threads = new NicedModelThreads("test[semantic_inference_model]", 2, 5)) {
            String caller = Thread.currentThread().getName();
            String ranOn = threads.call(() -> Thread.currentThread().getName());
            assertNotEquals(caller, ranOn);
            assertTrue(ranOn, ranOn.startsWith("test[semantic_inference_model][T#"));
            assertEquals(Integer.valueOf(42), threads.call(() -> 42));
        }
    }

    public void testAFailedRunFailsItsCallerWithTheSameException() {
        try (NicedModelThreads threads = new NicedModelThreads("test", 1, 5)) {
            IllegalArgumentException thrown = new IllegalArgumentException("input [0] has [300] tokens");
            IllegalArgumentException caught = expectThrows(IllegalArgumentException.class, () -> threads.call(() -> {
                throw thrown;
            }));
            assertSame(thrown, caught);
            assertEquals("the thread goes on after a failure", "ok", threads.call(() -> "ok"));
        }
    }

    public void testTheNiceValueIsOneTo19() {
        expectThrows(IllegalArgumentException.class, () -> new NicedModelThreads("test", 1, 0));
        expectThrows(IllegalArgumentException.class, () -> new NicedModelThreads("test", 1, 20));
    }
}
