package io.semanticsearch.embed;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

import static io.semanticsearch.embed.ModelFixtures.BGE;
import static io.semanticsearch.embed.ModelFixtures.MINILM;
import static io.semanticsearch.embed.ModelFixtures.MINILM_INT8;

public class ModelConfigTests extends OpenSearchTestCase {

    private static final ObjectMapper JSON = new ObjectMapper();

    public void testBundledMiniLmConfig() throws IOException {
        ModelConfig config = ModelConfig.load(ModelFixtures.bundledConfig(MINILM));
        assertEquals(MINILM, config.name());
        assertEquals(384, config.dims());
        assertEquals(Pooling.MEAN, config.pooling());
        assertTrue(config.normalize());
        assertEquals(256, config.maxTokens());
        assertEquals("", config.queryPrefix());
        assertEquals(List.of("en"), config.languages());
        assertEquals("Apache-2.0", config.license());
        assertNull(config.quantizedFrom());
        assertTrue(config.isDefault());
    }

    public void testBundledInt8ConfigNamesItsFp32Model() throws IOException {
        ModelConfig config = ModelConfig.load(ModelFixtures.bundledConfig(MINILM_INT8));
        assertEquals(MINILM_INT8, config.name());
        assertEquals(MINILM, config.quantizedFrom());
        assertFalse(config.isDefault());
    }

    public void testQuantizedFromNamesAnotherModel() throws IOException {
        assertInvalid(
            json -> json.put("quantized_from", "All MiniLM"),
            "[quantized_from] must be the name of another model in %s, got [All MiniLM]"
        );
        assertInvalid(
            json -> json.put("quantized_from", MINILM),
            "[quantized_from] must name the model this one was quantized from, not this model [" + MINILM + "] in %s, got [" + MINILM + "]"
        );
        assertInvalid(json -> json.put("quantized_from", 1), "[quantized_from] must be a string in %s, got [1]");
    }

    public void testBundledBgeConfig() throws IOException {
        ModelConfig config = ModelConfig.load(ModelFixtures.bundledConfig(BGE));
        assertEquals(512, config.dims());
        assertEquals(Pooling.CLS, config.pooling());
        assertEquals(512, config.maxTokens());
        assertEquals("为这个句子生成表示以用于检索相关文章：", InputType.QUERY.prefix(config));
        assertEquals("", InputType.PASSAGE.prefix(config));
        assertFalse("default is optional and false when absent", config.isDefault());
    }

    public void testOnlyTheEssentialsAreRequired() throws IOException {
        Path file = createTempDir().resolve(ModelConfig.FILE_NAME);
        Files.writeString(file, "{\"name\": \"tiny\", \"dims\": 8, \"pooling\": \"cls\", \"max_tokens\": 64}");
        ModelConfig config = ModelConfig.load(file);
        assertEquals("", config.description());
        assertTrue(config.normalize());
        assertEquals("", config.queryPrefix());
        assertEquals("", config.passagePrefix());
        assertEquals(List.of(), config.languages());
        assertEquals("unknown", config.license());
        assertNull(config.quantizedFrom());
        assertFalse(config.isDefault());
        assertEquals(new ModelConfig.Chunking(200, 40), config.chunking());
    }

    public void testChunkingIsMeasuredPerModelAndMustFitIt() throws IOException {
        for (String model : List.of(MINILM, ModelFixtures.MINILM_INT8, ModelFixtures.BGE)) {
            assertEquals(model, new ModelConfig.Chunking(200, 40), ModelConfig.load(ModelFixtures.bundledConfig(model)).chunking());
        }
        Path file = write("{\"name\": \"tiny\", \"dims\": 8, \"pooling\": \"cls\", \"max_tokens\": 64, "
            + "\"chunking\": {\"max_tokens\": 48, \"overlap_tokens\": 8}}");
        assertEquals(new ModelConfig.Chunking(48, 8), ModelConfig.load(file).chunking());
        assertInvalid(json -> json.putObject("chunking").put("max_tokens", 255).put("overlap_tokens", 0),
            "[chunking] [max_tokens] must be between 1 and [max_tokens] - 2 = 254 in %s, got [255]");
        assertInvalid(json -> json.putObject("chunking").put("max_tokens", 100).put("overlap_tokens", 100),
            "[chunking] [overlap_tokens] must be at least 0 and less than [max_tokens] 100 in %s, got [100]");
        assertInvalid(json -> json.putObject("chunking").put("max_tokens", 100),
            "[chunking] must be {\"max_tokens\": n, \"overlap_tokens\": m} with integers in %s, got [{\"max_tokens\":100}]");
        assertInvalid(json -> json.put("chunking", true),
            "[chunking] must be {\"max_tokens\": n, \"overlap_tokens\": m} with integers in %s, got [true]");
    }

    public void testMissingField() throws IOException {
        assertInvalid(json -> json.remove("dims"), "[dims] is required in %s");
    }

    public void testDimsMustBeAPositiveInteger() throws IOException {
        assertInvalid(json -> json.put("dims", 0), "[dims] must be a positive integer in %s, got [0]");
        assertInvalid(json -> json.put("dims", "384"), "[dims] must be a positive integer in %s, got [\"384\"]");
        assertInvalid(json -> json.put("dims", 384.5), "[dims] must be a positive integer in %s, got [384.5]");
        assertInvalid(json -> json.put("dims", 1L << 40), "[dims] must be a positive integer in %s, got [1099511627776]");
    }

    public void testMaxTokensLeavesRoomForAToken() throws IOException {
        assertInvalid(json -> json.put("max_tokens", 2), "[max_tokens] must be an integer of at least 3 in %s, got [2]");
    }

    public void testPoolingIsMeanOrCls() throws IOException {
        assertInvalid(json -> json.put("pooling", "max"), "[pooling] must be one of [mean, cls] in %s, got [max]");
        assertInvalid(json -> json.put("pooling", "MEAN"), "[pooling] must be one of [mean, cls] in %s, got [MEAN]");
    }

    public void testNameIsSafeForPathsAndMappings() throws IOException {
        assertInvalid(
            json -> json.put("name", "All MiniLM"),
            "[name] must start with a lower-case letter or digit and hold only those, '.', '_' or '-' in %s, got [All MiniLM]"
        );
        assertInvalid(json -> json.put("name", " "), "[name] must not be empty in %s, got [ ]");
    }

    public void testBooleansAreBooleans() throws IOException {
        assertInvalid(json -> json.put("normalize", "yes"), "[normalize] must be true or false in %s, got [\"yes\"]");
        assertInvalid(json -> json.put("default", 1), "[default] must be true or false in %s, got [1]");
    }

    public void testStringsAreStrings() throws IOException {
        assertInvalid(json -> json.put("query_prefix", 1), "[query_prefix] must be a string in %s, got [1]");
        assertInvalid(json -> json.put("license", " "), "[license] must not be empty in %s, got [ ]");
    }

    public void testLanguagesAreANonEmptyListOfCodes() throws IOException {
        assertInvalid(
            json -> json.putArray("languages"),
            "[languages] must be a non-empty array of language codes such as [\"en\"] in %s, got [[]]"
        );
        assertInvalid(
            json -> json.put("languages", "en"),
            "[languages] must be a non-empty array of language codes such as [\"en\"] in %s, got [\"en\"]"
        );
        assertInvalid(
            json -> json.putArray("languages").add("en").add(3),
            "[languages] must hold only non-empty strings such as \"en\" in %s, got [[\"en\",3]]"
        );
    }

    public void testUnknownKeysAreRejected() throws IOException {
        assertInvalid(
            json -> json.put("dimension", 384),
            "unknown key [dimension] in %s; remove it or use one of "
                + "[chunking, default, description, dims, languages, license, max_tokens, name, normalize, passage_prefix, pooling, quantized_from, query_prefix]"
        );
    }

    public void testNotJson() throws IOException {
        Path file = write("{\"name\": ");
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> ModelConfig.load(file));
        assertTrue(e.getMessage(), e.getMessage().startsWith("cannot parse " + file + " as JSON: "));
    }

    public void testDuplicateKeysAreRejected() throws IOException {
        Path file = write("{\"dims\": 384, \"dims\": 512}");
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> ModelConfig.load(file));
        assertTrue(e.getMessage(), e.getMessage().contains("Duplicate field 'dims'"));
    }

    public void testNotAnObject() throws IOException {
        Path file = write("[384]");
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> ModelConfig.load(file));
        assertEquals(file + " must hold a JSON object, got [[384]]", e.getMessage());
    }

    private void assertInvalid(Consumer<ObjectNode> change, String expectedMessage) throws IOException {
        ObjectNode json = (ObjectNode) JSON.readTree(Files.readString(ModelFixtures.bundledConfig(MINILM)));
        change.accept(json);
        Path file = write(JSON.writeValueAsString(json));
        IllegalArgumentException e = expectThrows(IllegalArgumentException.class, () -> ModelConfig.load(file));
        assertEquals(String.format(Locale.ROOT, expectedMessage, file), e.getMessage());
    }

    private Path write(String json) throws IOException {
        Path file = createTempDir().resolve(ModelConfig.FILE_NAME);
        Files.writeString(file, json, StandardCharsets.UTF_8);
        return file;
    }
}
