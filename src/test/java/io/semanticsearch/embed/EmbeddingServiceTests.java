package io.semanticsearch.embed;

import io.semanticsearch.SemanticSettings;
import io.semanticsearch.embed.EmbeddingService.Lane;

import org.apache.lucene.tests.util.LuceneTestCase.SuppressFileSystems;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.action.ActionListener;
import org.opensearch.threadpool.FixedExecutorBuilder;
import org.opensearch.threadpool.TestThreadPool;
import org.opensearch.threadpool.ThreadPool;
import org.opensearch.test.OpenSearchTestCase;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The two inference lanes, the cutting of ingest calls into runs, and the query cache, on the real model. */
@SuppressFileSystems("ExtrasFS")
public class EmbeddingServiceTests extends OpenSearchTestCase {

    private static final int INGEST_CALL_TOKENS = 300;
    /** Threads of each lane, as on a two-core node: each model call runs on one of them. */
    private static final int LANE_THREADS = 2;

    private static ThreadPool threadPool;
    private static EmbeddingService service;
    private static EmbeddingModel model;

    @BeforeClass
    public static void start() throws Exception {
        threadPool = new TestThreadPool(
            "embedding-service-tests",
            new FixedExecutorBuilder(Settings.EMPTY, EmbeddingService.THREAD_POOL, LANE_THREADS, 100, SemanticSettings.POOL_PREFIX),
            new FixedExecutorBuilder(Settings.EMPTY, EmbeddingService.SEARCH_THREAD_POOL, LANE_THREADS, 1000, SemanticSettings.SEARCH_POOL_PREFIX)
        );
        ModelRegistry registry = ModelFixtures.registry(createTempDir(), ModelFixtures.MINILM);
        service = new EmbeddingService(registry, threadPool, 32, INGEST_CALL_TOKENS, new QueryVectorCache(1 << 20));
        // As a node does by default: the ingest lane's model runs go on threads of their own, at nice 5.
        service.ingestNice("embedding-service-tests", 5);
        model = registry.get(ModelFixtures.MINILM);
    }

    @AfterClass
    public static void stop() {
        ThreadPool.terminate(threadPool, 10, TimeUnit.SECONDS);
        service.close();
        threadPool = null;
        service = null;
        model = null;
    }

    public void testAQueryIsAnsweredWhileTheIngestLaneIsBusy() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch ingestRunning = new CountDownLatch(LANE_THREADS);
        // Every thread of the ingest lane is taken, and an ingest call waits behind them.
        for (int i = 0; i < LANE_THREADS; i++) {
            threadPool.executor(EmbeddingService.THREAD_POOL).execute(() -> {
                ingestRunning.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        assertTrue(ingestRunning.await(10, TimeUnit.SECONDS));
        CompletableFuture<float[][]> ingest = new CompletableFuture<>();
        service.embed(model, InputType.PASSAGE, List.of("a document"), Lane.INGEST, ActionListener.wrap(ingest::complete, ingest::completeExceptionally));
        try {
            CompletableFuture<float[]> query = new CompletableFuture<>();
            service.embedQuery(model, "a query while a bulk is embedding " + randomAlphaOfLength(8), ActionListener.wrap(query::complete, query::completeExceptionally));
            assertEquals(384, query.get(30, TimeUnit.SECONDS).length);
            assertFalse("the ingest call still waits: the query did not go behind it", ingest.isDone());
        } finally {
            release.countDown();
        }
        assertEquals(1, ingest.get(30, TimeUnit.SECONDS).length);
    }

    public void testAnIngestCallIsCutIntoRunsOfBoundedTokensAndGivesTheSameVectors() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            texts.add("Passage number " + i + " of a long document about rotating, compressing and mailing system logs every night.");
        }
        long tokens = 0;
        for (String text : texts) {
            tokens += model.tokenize(text, InputType.PASSAGE).length();
        }
        long requestsBefore = service.stats(ModelFixtures.MINILM).snapshot(0).requests();
        float[][] cut = embed(texts, Lane.INGEST);
        long runs = service.stats(ModelFixtures.MINILM).snapshot(0).requests() - requestsBefore;
        assertTrue("runs " + runs + " for " + tokens + " tokens", runs >= (tokens + INGEST_CALL_TOKENS - 1) / INGEST_CALL_TOKENS);
        assertTrue(runs > 1);
        float[][] whole = model.embed(texts, InputType.PASSAGE, 32);
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(whole[i], cut[i], 1e-5f);
        }
        assertTrue(
            "the runs went on the ingest model threads",
            Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().contains("[semantic_inference_model][T#"))
        );
    }

    public void testASearchCallIsSpreadOverTheLanesThreadsAndGivesTheSameVectors() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            texts.add("Sentence " + i + " of an answer" + " about log rotation".repeat(i % 3));
        }
        long requestsBefore = service.stats(ModelFixtures.MINILM).snapshot(0).requests();
        float[][] spread = embed(texts, Lane.SEARCH);
        long runs = service.stats(ModelFixtures.MINILM).snapshot(0).requests() - requestsBefore;
        assertTrue("one run per thread, give or take one for uneven lengths: " + runs, runs >= LANE_THREADS && runs <= LANE_THREADS + 1);
        float[][] whole = model.embed(texts, InputType.PASSAGE, 32);
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(texts.get(i), whole[i], spread[i], 1e-5f);
        }
    }

    public void testARepeatedQueryTextComesFromTheCache() throws Exception {
        String text = "how do I rotate the logs " + randomAlphaOfLength(8);
        long texts = service.stats(ModelFixtures.MINILM).texts();
        QueryVectorCache.Stats before = service.queryCacheStats();
        float[] first = query(text);
        float[] second = query(text);
        assertArrayEquals(first, second, 0f);
        assertEquals("embedded once", texts + 1, service.stats(ModelFixtures.MINILM).texts());
        QueryVectorCache.Stats after = service.queryCacheStats();
        assertEquals(before.hits() + 1, after.hits());
        assertEquals(before.misses() + 1, after.misses());
        assertEquals(model.embed(List.of(text), InputType.QUERY, 1)[0][0], first[0], 1e-5f);
        // What the caller does with its copy does not change the cache.
        second[0] = 42;
        assertEquals(first[0], query(text)[0], 0f);
    }

    public void testCachedCallsEmbedOnlyTheTextsNotSeenLately() throws Exception {
        String a = "sentence a " + randomAlphaOfLength(8);
        String b = "sentence b " + randomAlphaOfLength(8);
        String c = "sentence c " + randomAlphaOfLength(8);
        long texts = service.stats(ModelFixtures.MINILM).texts();
        float[][] first = cached(List.of(a, b));
        assertEquals(texts + 2, service.stats(ModelFixtures.MINILM).texts());
        float[][] second = cached(List.of(b, c));
        assertEquals("only [c] was new", texts + 3, service.stats(ModelFixtures.MINILM).texts());
        assertArrayEquals(first[1], second[0], 0f);
        float[][] direct = embed(List.of(a, b, c), Lane.SEARCH);
        assertArrayEquals(direct[0], first[0], 1e-5f);
        assertArrayEquals(direct[2], second[1], 1e-5f);
    }

    private static float[][] cached(List<String> texts) throws Exception {
        CompletableFuture<float[][]> result = new CompletableFuture<>();
        service.embedCached(model, InputType.PASSAGE, texts, () -> false, ActionListener.wrap(result::complete, result::completeExceptionally));
        return result.get(30, TimeUnit.SECONDS);
    }

    public void testTheCacheIsBoundedInBytes() {
        QueryVectorCache cache = new QueryVectorCache(2_000);
        for (int i = 0; i < 10; i++) {
            cache.put(model, InputType.QUERY, "text " + i, new float[384]);
        }
        QueryVectorCache.Stats stats = cache.stats();
        assertEquals(1, stats.entries()); // one entry of 384 floats and its key fills most of 2,000 bytes
        assertEquals(9, stats.evictions());
        assertTrue(stats.bytes() <= 2_000);
        assertNull(new QueryVectorCache(0).get(model, InputType.QUERY, "text 9"));
        assertNotNull(cache.get(model, InputType.QUERY, "text 9"));
        assertNull("another input type is another entry", cache.get(model, InputType.PASSAGE, "text 9"));
    }

    public void testClearingDropsEveryEntryWithoutCountingEvictions() {
        QueryVectorCache cache = new QueryVectorCache(1 << 20);
        for (int i = 0; i < 3; i++) {
            cache.put(model, InputType.QUERY, "text " + i, new float[384]);
        }
        assertEquals(3, cache.clear());
        QueryVectorCache.Stats stats = cache.stats();
        assertEquals(0, stats.entries());
        assertEquals(0, stats.bytes());
        assertEquals(0, stats.evictions());
        assertNull(cache.get(model, InputType.QUERY, "text 0"));
        assertEquals("an empty or disabled cache clears nothing", 0, new QueryVectorCache(0).clear());
    }

    private static float[][] embed(List<String> texts, Lane lane) throws Exception {
        CompletableFuture<float[][]> result = new CompletableFuture<>();
        service.embed(model, InputType.PASSAGE, texts, lane, ActionListener.wrap(result::complete, result::completeExceptionally));
        return result.get(60, TimeUnit.SECONDS);
    }

    private static float[] query(String text) throws Exception {
        CompletableFuture<float[]> result = new CompletableFuture<>();
        service.embedQuery(model, text, ActionListener.wrap(result::complete, result::completeExceptionally));
        return result.get(30, TimeUnit.SECONDS);
    }
}
