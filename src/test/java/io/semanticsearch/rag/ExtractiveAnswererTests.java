package io.semanticsearch.rag;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.EmbeddingService;
import io.semanticsearch.embed.InputType;
import io.semanticsearch.embed.ModelFixtures;
import io.semanticsearch.embed.ModelRegistry.Root;
import io.semanticsearch.embed.ModelRegistry.Source;
import io.semanticsearch.embed.ModelRegistry;
import io.semanticsearch.rag.ExtractiveAnswerer.Candidate;
import io.semanticsearch.ranking.MaximalMarginalRelevance;

import org.apache.lucene.tests.util.LuceneTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.common.settings.Settings;
import org.opensearch.test.OpenSearchTestCase;
import org.opensearch.threadpool.FixedExecutorBuilder;
import org.opensearch.threadpool.TestThreadPool;
import org.opensearch.threadpool.ThreadPool;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Sentence picking on made-up vectors, then real answers with both bundled models: the right sentence is quoted
 * with the right citation, and an unrelated question gets the honest "no answer".
 */
// ExtrasFS adds random "extra0" entries to new folders, which a model registry takes for broken model folders.
@LuceneTestCase.SuppressFileSystems("ExtrasFS")
public class ExtractiveAnswererTests extends OpenSearchTestCase {

    private static ThreadPool threadPool;
    private static EmbeddingService embeddings;

    @BeforeClass
    public static void loadModels() throws IOException {
        Path root = createTempDir();
        ModelFixtures.modelFolder(root.resolve(ModelFixtures.MINILM), ModelFixtures.MINILM);
        ModelFixtures.modelFolder(root.resolve(ModelFixtures.MINILM_INT8), ModelFixtures.MINILM_INT8);
        ModelFixtures.modelFolder(root.resolve(ModelFixtures.BGE), ModelFixtures.BGE);
        threadPool = new TestThreadPool(
            "extractive",
            new FixedExecutorBuilder(Settings.EMPTY, EmbeddingService.THREAD_POOL, 1, 100, "plugins.semantic.inference.pool"),
            new FixedExecutorBuilder(Settings.EMPTY, EmbeddingService.SEARCH_THREAD_POOL, 1, 1000, "plugins.semantic.inference.search_pool")
        );
        embeddings = new EmbeddingService(ModelRegistry.load(List.of(new Root(root, Source.BUNDLED)), 2), threadPool, 32);
    }

    @AfterClass
    public static void closeModels() {
        embeddings.close();
        ThreadPool.terminate(threadPool, 10, TimeUnit.SECONDS);
        embeddings = null;
        threadPool = null;
    }

    private static Citation citation(int n, String text) {
        return new Citation(n, "docs", "doc" + n, text, null, 1.0);
    }

    private static String answer(String model, String question, Citation... citations) {
        PlainActionFuture<String> future = PlainActionFuture.newFuture();
        new ExtractiveAnswerer(embeddings).answer(
            embeddings.model(model),
            question,
            List.of(citations),
            ExtractiveAnswerer.DEFAULT_MIN_SCORE,
            future
        );
        return future.actionGet(60, TimeUnit.SECONDS);
    }

    // Made-up vectors: the question is [1, 0, 0]; relevance is the first component.

    public void testPicksTheBestSentencesAndQuotesThemInReadingOrder() {
        List<Candidate> candidates = List.of(
            new Candidate(1, "doc", 1, 0, "Unrelated.", null),
            new Candidate(1, "doc", 1, 1, "Second best, earlier in the text.", null),
            new Candidate(2, "doc", 1, 0, "The best one.", null)
        );
        float[][] vectors = { { 0.1f, 1, 0 }, { 0.9f, 0, 0.45f }, { 1, 0.05f, 0 } };
        assertEquals(
            "Second best, earlier in the text. [1] The best one. [2]",
            ExtractiveAnswerer.compose(candidates, new float[] { 1, 0, 0 }, vectors, new float[vectors.length][], 0.3)
        );
    }

    public void testARestatementLosesToNovelty() {
        List<Candidate> candidates = List.of(
            new Candidate(1, "doc", 1, 0, "Logs rotate weekly.", null),
            new Candidate(2, "doc", 1, 0, "Logs are rotated every week.", null),
            new Candidate(2, "doc", 1, 1, "Four weeks are kept.", null),
            new Candidate(3, "doc", 1, 0, "Rotation is weekly, as said.", null)
        );
        // 0, 1 and 3 say the same; 2 adds something and is a little less relevant.
        float[][] vectors = { { 0.9f, 0.43f, 0 }, { 0.89f, 0.45f, 0 }, { 0.82f, 0, 0.57f }, { 0.88f, 0.47f, 0 } };
        String answer = ExtractiveAnswerer.compose(candidates, new float[] { 1, 0, 0 }, vectors, new float[vectors.length][], 0.3);
        assertTrue(answer, answer.contains("Four weeks are kept. [2]"));
        assertTrue(answer, answer.startsWith("Logs rotate weekly. [1]"));
    }

    public void testASentenceCanBeRelevantThroughItsWindow() {
        List<Candidate> candidates = List.of(
            new Candidate(1, "doc", 1, 0, "Log rotation is done by logrotate.", null),
            new Candidate(1, "doc", 1, 1, "Its main file is /etc/logrotate.conf.", "Log rotation is done by logrotate. Its main file is /etc/logrotate.conf.")
        );
        float[][] vectors = { { 0.9f, 0.43f, 0 }, { 0.4f, 0, 0.9f } };
        float[][] windows = { null, { 0.95f, 0.3f, 0 } };
        assertEquals(
            "Log rotation is done by logrotate. [1] Its main file is /etc/logrotate.conf. [1]",
            ExtractiveAnswerer.compose(candidates, new float[] { 1, 0, 0 }, vectors, windows, 0.3)
        );
        assertEquals(
            "Log rotation is done by logrotate. [1]",
            ExtractiveAnswerer.compose(candidates, new float[] { 1, 0, 0 }, vectors, new float[2][], 0.3)
        );
    }

    public void testOnlyWindowsNearTheQuestionAreEmbedded() {
        List<Candidate> candidates = List.of(
            new Candidate(1, "doc", 1, 0, "Log rotation is done by logrotate.", null),
            new Candidate(1, "doc", 1, 1, "Its main file is /etc/logrotate.conf.", "Log rotation is done by logrotate. Its main file is /etc/logrotate.conf."),
            new Candidate(1, "doc", 1, 2, "It is written in C.", "Its main file is /etc/logrotate.conf. It is written in C."),
            new Candidate(2, "doc", 1, 0, "Nginx is a web server.", null),
            new Candidate(2, "doc", 1, 1, "It can proxy requests.", "Nginx is a web server. It can proxy requests.")
        );
        // Against the question (1, 0): 0.90, 0.30, 0.10, 0.10, 0.05. An answer sentence needs max(0.2, 0.90 - 0.12) = 0.78,
        // so a window is embedded when one of its halves reaches 0.78 - 0.15 = 0.63.
        float[][] sentences = { { 0.9f, 0.44f }, { 0.3f, 0.95f }, { 0.1f, 0.99f }, { 0.1f, 0.99f }, { 0.05f, 1 } };
        // 1: the sentence before it is the best one; 2 and 4: neither half comes near.
        assertEquals(List.of(1), ExtractiveAnswerer.windowsWorthEmbedding(candidates, new float[] { 1, 0 }, sentences, 0.2));
        // A question (0, 1) that every sentence but the first is near: the windows of 1, 2 and 4 are embedded.
        assertEquals(List.of(1, 2, 4), ExtractiveAnswerer.windowsWorthEmbedding(candidates, new float[] { 0, 1 }, sentences, 0.2));
    }

    public void testAnotherDocumentMustComeCloserToTheBest() {
        // The best sentence is in doc-a (retrieved first). A sentence of doc-b 0.08 below it is left out, although a
        // sentence of doc-a 0.1 below it is quoted: another document about as close is more often another subject.
        // doc-c's sentence, more similar than the best but retrieved third, is within the other documents' margin.
        List<Candidate> candidates = List.of(
            new Candidate(1, "doc-a", 1, 0, "ClamSMTP checks mail for viruses.", null),
            new Candidate(1, "doc-a", 1, 1, "It uses ClamAV.", null),
            new Candidate(2, "doc-b", 2, 0, "Detects the type of a mail folder.", null),
            new Candidate(3, "doc-c", 3, 0, "Scans mail with ClamAV too.", null)
        );
        float[][] vectors = { { 0.9f, 0.44f, 0 }, { 0.8f, 0, 0.6f }, { 0.82f, 0.57f, 0 }, { 0.95f, 0, 0.31f } };
        assertEquals(
            "ClamSMTP checks mail for viruses. [1] It uses ClamAV. [1] Scans mail with ClamAV too. [3]",
            ExtractiveAnswerer.compose(candidates, new float[] { 1, 0, 0 }, vectors, new float[vectors.length][], 0.3)
        );
    }

    public void testTheRetrievalRankBreaksNearTies() {
        // doc-b's sentence is 0.01 more similar, but doc-a was retrieved first: the answer quotes doc-a, and doc-b's
        // sentence, 0.03 below doc-a's once ranks count (0.85 + 0.08 against 0.86 + 0.04), comes with it.
        List<Candidate> candidates = List.of(
            new Candidate(1, "doc-a", 1, 0, "Answer in the first document.", null),
            new Candidate(2, "doc-b", 2, 0, "Answer in the second document.", null),
            new Candidate(3, "doc-c", 3, 0, "Another subject.", null)
        );
        float[][] vectors = { { 0.85f, 0.53f, 0 }, { 0.86f, 0, 0.51f }, { 0.5f, 0.87f, 0 } };
        assertEquals(
            "Answer in the first document. [1] Answer in the second document. [2]",
            ExtractiveAnswerer.compose(candidates, new float[] { 1, 0, 0 }, vectors, new float[vectors.length][], 0.3)
        );
        // The bonus only ranks: below min_score nothing is quoted, whatever the rank.
        assertEquals(ExtractiveAnswerer.NO_ANSWER, ExtractiveAnswerer.compose(candidates, new float[] { 1, 0, 0 }, vectors, new float[vectors.length][], 0.87));
    }

    public void testNothingRelevantIsSaidPlainly() {
        List<Candidate> candidates = List.of(new Candidate(1, "doc", 1, 0, "Unrelated.", null));
        assertEquals(ExtractiveAnswerer.NO_ANSWER, ExtractiveAnswerer.compose(candidates, new float[] { 1, 0 }, new float[][] { { 0.2f, 1 } }, new float[1][], 0.3));
    }

    public void testChineseRunsOnWithoutSpaces() {
        List<Candidate> candidates = List.of(new Candidate(1, "doc", 1, 0, "日志每周轮转。", null), new Candidate(2, "doc", 1, 0, "默认保留四周。", null), new Candidate(3, "doc", 1, 0, "See logrotate(8).", null));
        float[][] vectors = { { 1, 0, 0 }, { 0.95f, 0.3f, 0 }, { 0.95f, 0, 0.3f } };
        assertEquals("日志每周轮转。[1]默认保留四周。[2]See logrotate(8). [3]", ExtractiveAnswerer.compose(candidates, new float[] { 1, 0, 0 }, vectors, new float[vectors.length][], 0.3));
    }

    public void testCandidatesSkipFragmentsAndRepeats() {
        List<Candidate> candidates = ExtractiveAnswerer.candidates(
            List.of(citation(1, "Yes. Logs rotate weekly. Logs rotate weekly."), citation(2, "Logs rotate weekly. 好。日志每周轮转。"))
        );
        assertEquals(
            List.of(
                new Candidate(1, "docs/doc1", 1, 0, "Logs rotate weekly.", "Yes. Logs rotate weekly."),
                new Candidate(2, "docs/doc2", 2, 0, "日志每周轮转。", "好。日志每周轮转。")
            ),
            candidates
        );
    }

    // Real models.

    private static final Citation[] LOGROTATE_EN = {
        citation(
            1,
            "Logrotate is designed to ease administration of systems that generate large numbers of log files. It allows "
                + "automatic rotation, compression, removal, and mailing of log files. Each log file may be handled daily, weekly, "
                + "monthly, or when it grows too large."
        ),
        citation(
            2,
            "The main configuration file is /etc/logrotate.conf. Settings for each package live in /etc/logrotate.d. "
                + "Logrotate normally runs once a day from cron."
        ),
        citation(3, "Nginx is a web server. It can also be used as a reverse proxy and a load balancer.") };

    /** The fp32 model and its int8 build, which _rag scores with by default (RagService#answeringModel). */
    public void testEnglishAnswersQuoteTheRightSentence() {
        for (String model : List.of(ModelFixtures.MINILM, ModelFixtures.MINILM_INT8)) {
            String where = answer(model, "Where is the logrotate configuration file?", LOGROTATE_EN);
            assertEquals(
                model,
                "The main configuration file is /etc/logrotate.conf. [2] Settings for each package live in /etc/logrotate.d. [2]",
                where
            );

            String often = answer(model, "How often are log files rotated?", LOGROTATE_EN);
            assertTrue(model + ": " + often, often.contains("Each log file may be handled daily, weekly, monthly, or when it grows too large. [1]"));

            assertEquals(model, ExtractiveAnswerer.NO_ANSWER, answer(model, "What is the boiling point of mercury?", LOGROTATE_EN));
        }
    }

    private static final Citation[] LOGROTATE_ZH = {
        citation(1, "日志轮转由 logrotate 负责。主配置文件是 /etc/logrotate.conf。每个软件包的配置放在 /etc/logrotate.d 目录下。"),
        citation(2, "Nginx 是一个高性能的 Web 服务器。它也可以用作反向代理和负载均衡器。") };

    public void testChineseAnswersQuoteTheRightSentence() {
        String how = answer(ModelFixtures.BGE, "如何配置日志轮转?", LOGROTATE_ZH);
        assertEquals("日志轮转由 logrotate 负责。[1]主配置文件是 /etc/logrotate.conf。[1]", how);

        assertEquals(ExtractiveAnswerer.NO_ANSWER, answer(ModelFixtures.BGE, "水的沸点是多少度？", LOGROTATE_ZH));
    }

    /**
     * The calibration behind DEFAULT_MIN_SCORE: questions the passages answer reach it, unrelated ones stay below it.
     * Logs the cosine of every question and sentence, to choose it again for another model.
     */
    public void testMinScoreSeparatesAnsweredFromUnrelatedQuestions() {
        List<String> questions = List.of("Where is the logrotate configuration file?", "How often are log files rotated?",
            "What is the boiling point of mercury?", "Who wrote Hamlet?");
        double[] en = bestSimilarities(ModelFixtures.MINILM, questions, LOGROTATE_EN);
        double[] int8 = bestSimilarities(ModelFixtures.MINILM_INT8, questions, LOGROTATE_EN);
        double[] zh = bestSimilarities(ModelFixtures.BGE, List.of("如何配置日志轮转?", "水的沸点是多少度？", "谁写了哈姆雷特？"), LOGROTATE_ZH);
        double min = ExtractiveAnswerer.DEFAULT_MIN_SCORE;
        assertTrue(Arrays.toString(en), en[0] >= min && en[1] >= min && en[2] < min && en[3] < min);
        assertTrue(Arrays.toString(int8), int8[0] >= min && int8[1] >= min && int8[2] < min && int8[3] < min);
        assertTrue(Arrays.toString(zh), zh[0] >= min && zh[1] < min && zh[2] < min);
    }

    /** Per question, the best similarity of a sentence alone or with the one before it, as the answerer scores them. */
    private double[] bestSimilarities(String modelName, List<String> questions, Citation... citations) {
        EmbeddingModel model = embeddings.model(modelName);
        List<Candidate> candidates = ExtractiveAnswerer.candidates(List.of(citations));
        List<String> texts = candidates.stream().map(Candidate::text).toList();
        List<String> windows = candidates.stream().map(c -> c.window() == null ? c.text() : c.window()).toList();
        float[][] sentences = model.embed(texts, InputType.PASSAGE, 32);
        float[][] windowed = model.embed(windows, InputType.PASSAGE, 32);
        float[][] asked = model.embed(questions, InputType.QUERY, 32);
        double[] best = new double[questions.size()];
        for (int q = 0; q < questions.size(); q++) {
            best[q] = Double.NEGATIVE_INFINITY;
            for (int s = 0; s < texts.size(); s++) {
                double alone = MaximalMarginalRelevance.cosine(asked[q], sentences[s]);
                double window = MaximalMarginalRelevance.cosine(asked[q], windowed[s]);
                best[q] = Math.max(best[q], Math.max(alone, window));
                logger.info("{} {} {} | {} | {}", modelName, String.format(Locale.ROOT, "%.3f", alone), String.format(Locale.ROOT, "%.3f", window), questions.get(q), texts.get(s));
            }
        }
        return best;
    }

    public void testLongSentencesAreCutAtAWord() {
        assertEquals("short one.", ExtractiveAnswerer.shortened("short one."));
        String words = "word ".repeat(500);
        String cut = ExtractiveAnswerer.shortened(words);
        assertTrue(cut, cut.length() <= ExtractiveAnswerer.MAX_SENTENCE_CHARS + 1);
        assertTrue(cut, cut.endsWith("word…"));
        String chinese = "压缩".repeat(500);
        assertEquals(ExtractiveAnswerer.MAX_SENTENCE_CHARS + 1, ExtractiveAnswerer.shortened(chinese).length());
        String emoji = "a" + "\uD83D\uDE00".repeat(400);
        String emojiCut = ExtractiveAnswerer.shortened(emoji);
        assertFalse("no half of a surrogate pair", Character.isHighSurrogate(emojiCut.charAt(emojiCut.length() - 2)));
    }
}
