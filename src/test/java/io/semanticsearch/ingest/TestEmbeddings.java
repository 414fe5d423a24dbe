package io.semanticsearch.ingest;

import io.semanticsearch.SemanticSettings;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.ModelFixtures;
import io.semanticsearch.embed.ModelRegistry;
import io.semanticsearch.embed.QueryVectorCache;

import org.opensearch.common.settings.Settings;
import org.opensearch.threadpool.FixedExecutorBuilder;
import org.opensearch.threadpool.TestThreadPool;
import org.opensearch.threadpool.ThreadPool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The two bundled models behind a real {@link EmbeddingService} with its inference pool, for the ingest tests. Loading
 * costs a few seconds: build one per test class.
 */
final class TestEmbeddings implements AutoCloseable {

    /** Small, so that the tests see ingest calls cut into several runs. */
    static final int INGEST_CALL_TOKENS = 512;
    /** Threads of each inference lane, as on a two-core node. */
    static final int LANE_THREADS = 2;

    final ThreadPool threadPool;
    final EmbeddingService service;

    TestEmbeddings(Path dir, String name) throws IOException {
        Path models = dir.resolve("models");
        ModelFixtures.modelFolder(models.resolve(ModelFixtures.MINILM), ModelFixtures.MINILM);
        ModelFixtures.modelFolder(models.resolve(ModelFixtures.BGE), ModelFixtures.BGE);
        ModelRegistry registry = ModelRegistry.load(List.of(new ModelRegistry.Root(models, ModelRegistry.Source.BUNDLED)), 1);
        threadPool = new TestThreadPool(
            name,
            new FixedExecutorBuilder(
                Settings.EMPTY,
                EmbeddingService.THREAD_POOL,
                LANE_THREADS,
                SemanticSettings.DEFAULT_POOL_QUEUE,
                SemanticSettings.POOL_PREFIX
            ),
            new FixedExecutorBuilder(
                Settings.EMPTY,
                EmbeddingService.SEARCH_THREAD_POOL,
                LANE_THREADS,
                SemanticSettings.DEFAULT_SEARCH_POOL_QUEUE,
                SemanticSettings.SEARCH_POOL_PREFIX
            )
        );
        service = new EmbeddingService(registry, threadPool, 32, INGEST_CALL_TOKENS, new QueryVectorCache(1 << 20));
    }

    @Override
    public void close() {
        ThreadPool.terminate(threadPool, 10, TimeUnit.SECONDS);
        service.close();
    }
}
