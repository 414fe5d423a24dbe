package io.semanticsearch.embed;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.semanticsearch.embed.ModelFixtures.OracleLine;
import io.semanticsearch.embed.ModelRegistry.ModelStatus;
import io.semanticsearch.embed.ModelRegistry.Root;
import io.semanticsearch.embed.ModelRegistry.Source;

import org.junit.AfterClass;
import org.apache.lucene.tests.util.LuceneTestCase;
import org.junit.BeforeClass;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static io.semanticsearch.embed.ModelFixtures.MINILM;
import static io.semanticsearch.embed.ModelFixtures.cosine;

/**
 * A registry over a bundled root with one good and three broken model folders and a custom root with one more
 * model. Built once for the class: every good or dims-mismatched folder costs an ONNX session load.
 */
// ExtrasFS adds random "extra0" entries to new folders, which a registry rightly takes for broken model folders.
@LuceneTestCase.SuppressFileSystems("ExtrasFS")
public class ModelRegistryTests extends OpenSearchTestCase {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path bundled;
    private static Path custom;
    private static ModelRegistry registry;

    @BeforeClass
    public static void loadRegistry() throws IOException {
        Path root = createTempDir();
        bundled = root.resolve("plugin").resolve("models");
        custom = root.resolve("config").resolve("opensearch-semantic").resolve("models");

        ModelFixtures.modelFolder(bundled.resolve(MINILM), MINILM);

        Path noTokenizer = ModelFixtures.modelFolder(bundled.resolve("broken-no-tokenizer"), MINILM);
        Files.delete(noTokenizer.resolve(EmbeddingModel.TOKENIZER_FILE));
        rewriteConfig(noTokenizer, json -> json.put("name", "broken-no-tokenizer").put("default", false));

        Path corrupt = ModelFixtures.modelFolder(bundled.resolve("broken-corrupt-onnx"), MINILM);
        Files.delete(corrupt.resolve(EmbeddingModel.ONNX_FILE));
        Files.write(corrupt.resolve(EmbeddingModel.ONNX_FILE), new byte[] { 'n', 'o', 't', ' ', 'o', 'n', 'n', 'x' });
        rewriteConfig(corrupt, json -> json.put("name", "broken-corrupt-onnx").put("default", false));

        Path wrongDims = ModelFixtures.modelFolder(bundled.resolve("broken-dims"), MINILM);
        rewriteConfig(wrongDims, json -> json.put("name", "broken-dims").put("dims", 512).put("default", false));

        // Neither a plain file nor a hidden folder is a model.
        Files.writeString(bundled.resolve("README.txt"), "not a model");
        Files.createDirectories(bundled.resolve(".cache"));

        Path prefixed = ModelFixtures.modelFolder(custom.resolve("minilm-query-prefix"), MINILM);
        rewriteConfig(prefixed, json -> json.put("name", "minilm-query-prefix").put("query_prefix", "query: ").put("default", false));

        registry = ModelRegistry.load(ModelRegistry.standardRoots(root.resolve("plugin"), root.resolve("config")), 2);
    }

    @AfterClass
    public static void closeRegistry() {
        if (registry != null) {
            registry.close();
        }
        registry = null;
        bundled = custom = null;
    }

    private static void rewriteConfig(Path folder, java.util.function.Consumer<ObjectNode> change) throws IOException {
        Path file = folder.resolve(ModelConfig.FILE_NAME);
        ObjectNode json = (ObjectNode) JSON.readTree(Files.readString(file));
        change.accept(json);
        Files.writeString(file, JSON.writeValueAsString(json));
    }

    public void testGoodFoldersLoadAndBrokenOnesAreListedWithTheirReason() {
        Map<String, ModelStatus> statuses = registry.statuses().stream().collect(Collectors.toMap(ModelStatus::name, Function.identity()));
        assertEquals(
            Set.of(MINILM, "broken-no-tokenizer", "broken-corrupt-onnx", "broken-dims", "minilm-query-prefix"),
            statuses.keySet()
        );
        assertEquals(List.of(MINILM, "minilm-query-prefix"), List.copyOf(registry.modelNames()));

        assertTrue(statuses.get(MINILM).loaded());
        assertEquals(Source.BUNDLED, statuses.get(MINILM).source());
        assertTrue(statuses.get("minilm-query-prefix").loaded());
        assertEquals(Source.CUSTOM, statuses.get("minilm-query-prefix").source());

        Path noTokenizer = bundled.resolve("broken-no-tokenizer");
        assertEquals(
            "model folder [" + noTokenizer + "] has no [tokenizer.json]; a model folder must hold model.json, tokenizer.json, model.onnx",
            statuses.get("broken-no-tokenizer").failure()
        );

        Path corruptOnnx = bundled.resolve("broken-corrupt-onnx").resolve(EmbeddingModel.ONNX_FILE);
        String corrupt = statuses.get("broken-corrupt-onnx").failure();
        assertTrue(corrupt, corrupt.startsWith("cannot load ONNX model [" + corruptOnnx + "]: "));
        assertFalse(statuses.get("broken-corrupt-onnx").loaded());

        Path wrongDimsOnnx = bundled.resolve("broken-dims").resolve(EmbeddingModel.ONNX_FILE);
        assertEquals(
            "[dims] is [512] in model.json of model [broken-dims] but ONNX model ["
                + wrongDimsOnnx
                + "] output [last_hidden_state] has vectors of [384] values; set [dims] to [384]",
            statuses.get("broken-dims").failure()
        );
    }

    public void testUnknownModelNamesTheLoadedOnes() {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> registry.get("e5-small"));
        assertEquals("unknown model [e5-small]; loaded models are [all-minilm-l6-v2, minilm-query-prefix]", e.getMessage());
    }

    public void testANodeThatLoadsNoModelsSaysSoForEveryModel() {
        ModelRegistry none = ModelRegistry.none("node [d1] loads no models ([plugins.semantic.models.load: false])");
        assertFalse(none.loadsModels());
        assertTrue(registry.loadsModels());
        assertEquals(Set.of(), none.modelNames());
        IllegalArgumentException named = expectThrows(IllegalArgumentException.class, () -> none.get("all-minilm-l6-v2"));
        assertEquals("model [all-minilm-l6-v2] is not here: node [d1] loads no models ([plugins.semantic.models.load: false])", named.getMessage());
        IllegalArgumentException byDefault = expectThrows(IllegalArgumentException.class, none::defaultModel);
        assertTrue(byDefault.getMessage(), byDefault.getMessage().contains("[plugins.semantic.models.load: false]"));
    }

    public void testFailedModelSaysWhy() {
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> registry.get("broken-dims"));
        assertTrue(e.getMessage(), e.getMessage().startsWith("model [broken-dims] failed to load: [dims] is [512] in model.json"));
    }

    public void testDefaultIsTheModelMarkedDefault() {
        assertEquals(MINILM, registry.defaultModelName());
        assertSame(registry.get(MINILM), registry.defaultModel());
    }

    public void testQuantizedVariantIsTheModelThatSaysItIsQuantizedFromIt() throws IOException {
        assertNull("no int8 build is loaded here", registry.quantizedVariant(MINILM));
        try (ModelRegistry withInt8 = ModelFixtures.registry(createTempDir(), MINILM, ModelFixtures.MINILM_INT8)) {
            EmbeddingModel variant = withInt8.quantizedVariant(MINILM);
            assertSame(withInt8.get(ModelFixtures.MINILM_INT8), variant);
            assertNull("a variant has no variant of its own", withInt8.quantizedVariant(ModelFixtures.MINILM_INT8));
            assertNull(withInt8.quantizedVariant("e5-small"));
            // Its vectors are close to the fp32 model's, not the same: why it only scores, never fills a field.
            String text = "Logrotate rotates, compresses and mails system logs.";
            float[] fp32 = withInt8.get(MINILM).embed(List.of(text), InputType.PASSAGE, 1)[0];
            float[] int8 = variant.embed(List.of(text), InputType.PASSAGE, 1)[0];
            double cosine = 0;
            for (int i = 0; i < fp32.length; i++) {
                cosine += fp32[i] * int8[i];
            }
            assertTrue("cosine " + cosine, cosine > 0.95 && cosine < 0.9999);
        }
    }

    public void testDefaultRules() {
        Set<String> none = Set.of();
        assertEquals("b", ModelRegistry.pickDefault(List.of("a", "b"), Set.of("b"), none));
        assertEquals("custom one wins", "c", ModelRegistry.pickDefault(List.of("a", "b", "c"), Set.of("a", "c"), Set.of("c")));
        assertEquals("first of the same source", "a", ModelRegistry.pickDefault(List.of("a", "b"), Set.of("a", "b"), none));
        assertEquals(MINILM, ModelRegistry.pickDefault(List.of("a", MINILM), none, none));
        assertEquals("a", ModelRegistry.pickDefault(List.of("a", "b"), none, none));
        assertNull(ModelRegistry.pickDefault(List.of(), none, none));
    }

    public void testEmbedsRawTextsLikeTheOracle() throws IOException {
        List<OracleLine> oracle = ModelFixtures.oracle(MINILM);
        float[][] vectors = registry.get(MINILM).embed(oracle.stream().map(OracleLine::text).toList(), InputType.PASSAGE, 16);
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < oracle.size(); i++) {
            double cosine = cosine(oracle.get(i).embedding(), vectors[i]);
            if (cosine < 0.9999) {
                mismatches.add("line " + (i + 1) + " cosine " + cosine + ": " + oracle.get(i).text());
            }
        }
        assertTrue(mismatches.size() + " of " + oracle.size() + " texts differ: " + mismatches, mismatches.isEmpty());
    }

    public void testQueryPrefixIsPutBeforeQueriesOnly() {
        EmbeddingModel prefixed = registry.get("minilm-query-prefix");
        EmbeddingModel plain = registry.get(MINILM);
        String text = "how do vector databases answer nearest neighbour queries";
        float[] query = prefixed.embed(List.of(text), InputType.QUERY, 1)[0];
        float[] expected = plain.embed(List.of("query: " + text), InputType.PASSAGE, 1)[0];
        assertArrayEquals(expected, query, 1e-6f);
        float[] passage = prefixed.embed(List.of(text), InputType.PASSAGE, 1)[0];
        assertArrayEquals(plain.embed(List.of(text), InputType.PASSAGE, 1)[0], passage, 1e-6f);
        assertTrue(cosine(query, passage) < 0.9999);
    }

    public void testNoModelFolders() {
        try (ModelRegistry empty = ModelRegistry.load(List.of(new Root(bundled.resolve("absent"), Source.BUNDLED)), 1)) {
            assertEquals(Set.of(), empty.modelNames());
            assertNull(empty.defaultModelName());
            IllegalStateException e = expectThrows(IllegalStateException.class, empty::defaultModel);
            assertEquals("no embedding model is loaded; no model folders were found", e.getMessage());
        }
    }

    public void testClosedModelRefusesToEmbed() throws IOException {
        Path root = createTempDir();
        ModelFixtures.modelFolder(root.resolve(MINILM), MINILM);
        ModelRegistry own = ModelRegistry.load(List.of(new Root(root, Source.CUSTOM)), 1);
        EmbeddingModel model = own.defaultModel();
        assertEquals(384, model.embed(List.of("hello"), InputType.QUERY, 1)[0].length);
        own.close();
        IllegalStateException e = expectThrows(IllegalStateException.class, () -> model.embed(List.of("hello"), InputType.QUERY, 1));
        assertEquals("model [all-minilm-l6-v2] is closed", e.getMessage());
        own.close();
    }
}
