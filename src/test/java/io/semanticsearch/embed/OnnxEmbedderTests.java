package io.semanticsearch.embed;

import io.semanticsearch.embed.ModelFixtures.OracleLine;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.test.OpenSearchTestCase;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.semanticsearch.embed.ModelFixtures.BGE;
import static io.semanticsearch.embed.ModelFixtures.MINILM;
import static io.semanticsearch.embed.ModelFixtures.cosine;

/**
 * The embedder against the oracle's reference vectors, fed the oracle's own token ids so that only the model side
 * is tested. One session per model for the whole class: loading 90 MB models is the slow part.
 */
public class OnnxEmbedderTests extends OpenSearchTestCase {

    private static final Logger logger = LogManager.getLogger(OnnxEmbedderTests.class);
    private static final double MIN_COSINE = 0.9999;

    private static OnnxEmbedder minilm;
    private static OnnxEmbedder bge;
    private static List<OracleLine> minilmOracle;
    private static List<OracleLine> bgeOracle;

    @BeforeClass
    public static void loadModels() throws Exception {
        minilm = OnnxEmbedder.load(ModelFixtures.onnxFile(MINILM), ModelConfig.load(ModelFixtures.bundledConfig(MINILM)), 2);
        bge = OnnxEmbedder.load(ModelFixtures.onnxFile(BGE), ModelConfig.load(ModelFixtures.bundledConfig(BGE)), 2);
        minilmOracle = ModelFixtures.oracle(MINILM);
        bgeOracle = ModelFixtures.oracle(BGE);
    }

    @AfterClass
    public static void closeModels() {
        if (minilm != null) {
            minilm.close();
        }
        if (bge != null) {
            bge.close();
        }
        minilm = bge = null;
        minilmOracle = bgeOracle = null;
    }

    public void testMiniLmMatchesOracleOneTextAtATime() {
        assertMatchesAlone(minilm, minilmOracle);
    }

    public void testBgeMatchesOracleOneTextAtATime() {
        assertMatchesAlone(bge, bgeOracle);
    }

    public void testMiniLmMatchesOracleInPaddedBatches() {
        assertMatchesBatched(minilm, minilmOracle, randomFrom(8, 16));
    }

    public void testBgeMatchesOracleInPaddedBatches() {
        assertMatchesBatched(bge, bgeOracle, randomFrom(8, 16));
    }

    public void testHeavyPaddingDoesNotChangeAVector() {
        // Length sorting keeps padding small in the batched tests. Two texts share a batch while padding is at most
        // MAX_PADDING_SHARE of it: the longest text and the shortest that may join it run together, the shorter
        // padded to the longer's length.
        for (List<OracleLine> oracle : List.of(minilmOracle, bgeOracle)) {
            OracleLine longest = oracle.stream().max(Comparator.comparingInt(line -> line.inputIds().length)).orElseThrow();
            double least = longest.inputIds().length * (1 - 2 * OnnxEmbedder.MAX_PADDING_SHARE);
            OracleLine padded = oracle.stream()
                .filter(line -> line.inputIds().length >= least)
                .min(Comparator.comparingInt(line -> line.inputIds().length))
                .orElseThrow();
            OnnxEmbedder embedder = oracle == minilmOracle ? minilm : bge;
            float[][] vectors = embedder.embed(List.of(longest.tokenized(), padded.tokenized()), 2);
            String what = embedder.config().name() + " padded from " + padded.inputIds().length + " to " + longest.inputIds().length;
            assertAllMatch(what, List.of(longest, padded), vectors);
        }
    }

    public void testVectorsAreUnitLengthAndOfTheConfiguredSize() {
        float[][] vectors = minilm.embed(List.of(minilmOracle.get(0).tokenized()), 1);
        assertEquals(384, vectors[0].length);
        double norm = 0;
        for (float v : vectors[0]) {
            norm += v * v;
        }
        assertEquals(1.0, Math.sqrt(norm), 1e-5);
    }

    public void testConcurrentCallersGetTheSameVectors() throws Exception {
        List<TokenizedText> inputs = minilmOracle.subList(0, 12).stream().map(OracleLine::tokenized).toList();
        float[][] expected = minilm.embed(inputs, 4);
        ExecutorService executor = Executors.newFixedThreadPool(3);
        try {
            Callable<float[][]> call = () -> minilm.embed(inputs, 4);
            List<Future<float[][]>> futures = executor.invokeAll(Collections.nCopies(3, call));
            for (Future<float[][]> future : futures) {
                float[][] actual = future.get();
                for (int i = 0; i < expected.length; i++) {
                    assertArrayEquals(expected[i], actual[i], 1e-6f);
                }
            }
        } finally {
            executor.shutdown();
            assertTrue(executor.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    public void testNoInputsGiveNoVectors() {
        assertEquals(0, minilm.embed(List.of(), 8).length);
    }

    public void testRejectsInputsLongerThanMaxTokens() {
        TokenizedText tooLong = new TokenizedText(new long[257], new int[257], new int[257], false);
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> minilm.embed(List.of(tooLong), 8));
        assertEquals(
            "input [0] has [257] tokens; model [all-minilm-l6-v2] takes 1 to [256] ([max_tokens] in its model.json)",
            e.getMessage()
        );
    }

    public void testRejectsBatchSizeBelowOne() {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> minilm.embed(List.of(), 0));
        assertEquals("[batch_size] must be at least 1, got [0]", e.getMessage());
    }

    public void testModelBytesIsTheOnnxFileSize() throws Exception {
        assertEquals(Files.size(ModelFixtures.onnxFile(MINILM)), minilm.modelBytes());
        assertEquals("last_hidden_state", minilm.outputName());
    }

    private void assertMatchesAlone(OnnxEmbedder embedder, List<OracleLine> oracle) {
        float[][] vectors = new float[oracle.size()][];
        for (int i = 0; i < oracle.size(); i++) {
            vectors[i] = embedder.embed(List.of(oracle.get(i).tokenized()), 1)[0];
        }
        assertAllMatch(embedder.config().name() + " alone", oracle, vectors);
    }

    private void assertMatchesBatched(OnnxEmbedder embedder, List<OracleLine> oracle, int batchSize) {
        // Shuffled, so that the embedder's own length sorting must put vectors back in the callers' order.
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < oracle.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, random());
        List<TokenizedText> inputs = order.stream().map(i -> oracle.get(i).tokenized()).toList();
        float[][] shuffled = embedder.embed(inputs, batchSize);
        float[][] vectors = new float[oracle.size()][];
        for (int i = 0; i < order.size(); i++) {
            vectors[order.get(i)] = shuffled[i];
        }
        assertAllMatch(embedder.config().name() + " in batches of " + batchSize, oracle, vectors);
    }

    private static void assertAllMatch(String what, List<OracleLine> oracle, float[][] vectors) {
        List<String> mismatches = new ArrayList<>();
        double lowest = 1;
        for (int i = 0; i < oracle.size(); i++) {
            double cosine = cosine(oracle.get(i).embedding(), vectors[i]);
            lowest = Math.min(lowest, cosine);
            if (cosine < MIN_COSINE) {
                mismatches.add("line " + (i + 1) + " cosine " + cosine + ": " + oracle.get(i).text());
            }
        }
        logger.info("{}: {} of {} oracle texts match, lowest cosine {}", what, oracle.size() - mismatches.size(), oracle.size(), lowest);
        String message = what + ": " + mismatches.size() + " of " + oracle.size() + " texts differ from the oracle: " + mismatches;
        assertTrue(message, mismatches.isEmpty());
    }
}
