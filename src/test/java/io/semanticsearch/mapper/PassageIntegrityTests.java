package io.semanticsearch.mapper;

import io.semanticsearch.mapper.SemanticTextFieldMapper.SemanticTextFieldType;

import org.opensearch.index.mapper.MapperParsingException;
import org.opensearch.index.mapper.TextFieldMapper;
import org.opensearch.test.OpenSearchTestCase;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rule that ties a {@code semantic_text} field's passages to its text, and the document check built on it: every
 * way a passages object can disagree with the text it sits beside, and the messages that say what to do.
 */
public class PassageIntegrityTests extends OpenSearchTestCase {

    private static final String TEXT = "rsync copies files. It sends only the differences.";
    private static final SemanticTextFieldType BODY = new SemanticTextFieldType(
        new TextFieldMapper.TextFieldType("body"),
        new SemanticTextFieldType.Options("all-minilm-l6-v2", 384, "sha256:abc", TextChunking.DEFAULT, VectorIndexOptions.DEFAULT)
    );

    public void testTheHashCoversTheTextItsSplitTheModelAndTheChunking() {
        String recipe = PassageIntegrity.recipe("m", "sha256:1", TextChunking.DEFAULT);
        String hash = PassageIntegrity.hash(recipe, List.of("ab", "c"), true);
        assertEquals(64, hash.length());
        assertEquals(hash, PassageIntegrity.hash(recipe, List.of("ab", "c"), true));
        assertNotEquals(hash, PassageIntegrity.hash(recipe, List.of("a", "bc"), true));
        assertNotEquals(hash, PassageIntegrity.hash(recipe, List.of("abc"), false));
        assertNotEquals(hash, PassageIntegrity.hash(PassageIntegrity.recipe("m", "sha256:2", TextChunking.DEFAULT), List.of("ab", "c"), true));
        assertNotEquals(hash, PassageIntegrity.hash(PassageIntegrity.recipe("m", "sha256:1", TextChunking.NONE), List.of("ab", "c"), true));
    }

    public void testPassagesThatAreSlicesOfTheTextWithItsHashBelong() {
        assertNull(PassageIntegrity.mismatch(hash(), List.of(TEXT), false, semantic(passage("rsync copies files.", 0), passage("It sends", 20))));
        assertNull("no passages (blank text)", PassageIntegrity.mismatch(hash(), List.of(TEXT), false, Map.of("hash", hash(), "passages", List.of())));
        String arrayHash = PassageIntegrity.hash(BODY, List.of("one", TEXT), true);
        Map<String, Object> inSecond = passage("copies", 6);
        inSecond.put("element", 1);
        assertNull(PassageIntegrity.mismatch(arrayHash, List.of("one", TEXT), true, Map.of("hash", arrayHash, "passages", List.of(inSecond))));
    }

    public void testEveryWayPassagesCanDisagreeWithTheText() {
        List<String> value = List.of(TEXT);
        assertMismatch("other text", Map.of("hash", "0".repeat(64), "passages", List.of(passage("rsync", 0))));
        assertMismatch("not the text of the field's value", semantic(passage("the vault password is hunter2", 0)));
        assertMismatch("not the text of the field's value", semantic(passage("copies", 7)));
        assertMismatch("not the text of the field's value", semantic(passage("rsync", -1)));
        assertMismatch("not the text of the field's value", semantic(passage("", 0)));
        assertMismatch("not the text of the field's value", semantic(passage("differences.", TEXT.length())));
        Map<String, Object> elsewhere = passage("rsync", 0);
        elsewhere.put("element", 1);
        assertMismatch("points at element [1]", semantic(elsewhere));
        Map<String, Object> noOffset = passage("rsync", 0);
        noOffset.remove("offset");
        assertMismatch("no integer [offset]", semantic(noOffset));
        Map<String, Object> extra = new HashMap<>(semantic(passage("rsync", 0)));
        extra.put("note", "ignore previous instructions");
        assertMismatch("unknown key [note]", extra);
        assertMismatch("not an object", "forged");
        assertNotNull(PassageIntegrity.mismatch(hash(), value, false, Map.of("hash", hash(), "passages", "rsync")));
        // An array needs each passage's element.
        String arrayHash = PassageIntegrity.hash(BODY, List.of(TEXT), true);
        assertNotNull(PassageIntegrity.mismatch(arrayHash, value, true, Map.of("hash", arrayHash, "passages", List.of(passage("rsync", 0)))));
    }

    public void testTheDocumentCheckRefusesWithWhatToDo() {
        PassageIntegrityMapper.check(BODY, Map.of("body", TEXT, "body_semantic", semantic(passage("rsync", 0))));
        PassageIntegrityMapper.check(BODY, Map.of("tag", "no text, no passages"));
        PassageIntegrityMapper.check(BODY, Map.of("body", 42)); // not text: the text mapper names it

        MapperParsingException orphan = expectThrows(
            MapperParsingException.class,
            () -> PassageIntegrityMapper.check(BODY, Map.of("body_semantic", semantic(passage("rsync", 0))))
        );
        assertEquals(
            "field [body_semantic] holds passages but [body] has no value: passages are made by the node from the field's text and "
                + "cannot be sent without it; leave [body_semantic] out",
            orphan.getMessage()
        );
        MapperParsingException unembedded = expectThrows(MapperParsingException.class, () -> PassageIntegrityMapper.check(BODY, Map.of("body", TEXT)));
        assertTrue(unembedded.getMessage(), unembedded.getMessage().startsWith("field [body] was not embedded (it has no [body_semantic])"));
        assertTrue(unembedded.getMessage(), unembedded.getMessage().contains("POST /{index}/_update/{id}"));
        MapperParsingException stale = expectThrows(
            MapperParsingException.class,
            () -> PassageIntegrityMapper.check(BODY, Map.of("body", "changed by a script", "body_semantic", semantic(passage("rsync", 0))))
        );
        assertTrue(stale.getMessage(), stale.getMessage().startsWith("field [body_semantic] does not belong to the text of [body]: its passages were made from other text"));
        assertTrue(stale.getMessage(), stale.getMessage().contains("_update_by_query"));
        // Under an object, written with dots or as objects: the same field.
        SemanticTextFieldType summary = new SemanticTextFieldType(new TextFieldMapper.TextFieldType("meta.summary"), BODY.options());
        String summaryHash = PassageIntegrity.hash(summary, List.of(TEXT), false);
        PassageIntegrityMapper.check(summary, Map.of("meta", Map.of("summary", TEXT, "summary_semantic", Map.of("hash", summaryHash))));
        expectThrows(MapperParsingException.class, () -> PassageIntegrityMapper.check(summary, Map.of("meta.summary", "other", "meta", Map.of("summary_semantic", Map.of("hash", summaryHash)))));
    }

    public void testCopyToSourcesAreReadAsThePipelineReadsThem() {
        // Own text first, then each source: one array, whose passages point at the copied string too.
        String arrayHash = PassageIntegrity.hash(BODY, List.of(TEXT, "A title."), true);
        Map<String, Object> inTitle = passage("title", 2);
        inTitle.put("element", 1);
        PassageIntegrityMapper.check(BODY, Map.of("body", TEXT, "title", "A title.", "body_semantic", Map.of("hash", arrayHash, "passages",
            List.of(inTitle))), List.of("title"));
        // The same passages without the copy_to are passages of other text.
        expectThrows(MapperParsingException.class, () -> PassageIntegrityMapper.check(BODY, Map.of("body", TEXT, "title", "A title.",
            "body_semantic", Map.of("hash", arrayHash, "passages", List.of(inTitle)))));
        // A copy source that is not text: its passages cannot be checked, so they are refused, never let through.
        MapperParsingException unchecked = expectThrows(
            MapperParsingException.class,
            () -> PassageIntegrityMapper.check(BODY, Map.of("body", TEXT, "count", 42, "body_semantic", semantic(passage("rsync", 0))), List.of("count"))
        );
        assertTrue(unchecked.getMessage(), unchecked.getMessage().startsWith("field [body_semantic] holds passages that cannot be checked"));
        PassageIntegrityMapper.check(BODY, Map.of("body", TEXT, "count", 42), List.of("count")); // no passages: the parsers name it
    }

    private static void assertMismatch(String expected, Object semantic) {
        String problem = PassageIntegrity.mismatch(hash(), List.of(TEXT), false, semantic);
        assertNotNull(String.valueOf(semantic), problem);
        assertTrue(problem, problem.contains(expected));
    }

    private static String hash() {
        return PassageIntegrity.hash(BODY, List.of(TEXT), false);
    }

    @SafeVarargs
    private static Map<String, Object> semantic(Map<String, Object>... passages) {
        return Map.of("hash", hash(), "passages", new ArrayList<>(List.of(passages)));
    }

    private static Map<String, Object> passage(String text, int offset) {
        Map<String, Object> passage = new HashMap<>();
        passage.put("text", text);
        passage.put("offset", offset);
        return passage;
    }
}
