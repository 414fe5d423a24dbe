package io.semanticsearch.mapper;

import io.semanticsearch.mapper.SemanticTextFieldMapper.SemanticTextFieldType;

import org.opensearch.common.Nullable;
import org.opensearch.common.hash.MessageDigests;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;

/**
 * The one rule that ties the passages of a {@code semantic_text} field to its text: the object {@code f_semantic}
 * holds the hash of the field's current value (with the model's identity and the chunking), and each passage's
 * {@code text} is the slice of that value at its {@code offset} (in its {@code element}, for an array). The ingest
 * processor reuses only passages that pass it, and {@link PassageIntegrityMapper} refuses every document that does
 * not, whichever way it reached the shard: so nothing cited, highlighted or returned as a passage can be text that
 * is not in the document, and no passage can outlive a change of its text.
 */
public final class PassageIntegrity {

    private PassageIntegrity() {}

    /**
     * Everything besides the text that decides a {@code semantic_text} field's passages: a change to any of it must
     * embed again. {@code chunking} {@link TextChunking#NONE} is one passage per string.
     */
    public static String recipe(String model, String fingerprint, TextChunking chunking) {
        return "model=" + model + ";fingerprint=" + fingerprint + ";input_type=passage"
            + (chunking.enabled() ? ";max_tokens=" + chunking.maxTokens() + ";overlap_tokens=" + chunking.overlapTokens() : ";passages");
    }

    /** The SHA-256, in hex, of {@code strings} (one string unless {@code array}) under {@code recipe}. */
    public static String hash(String recipe, List<String> strings, boolean array) {
        MessageDigest digest = MessageDigests.sha256();
        digest.update((recipe + ";array=" + array + ";").getBytes(StandardCharsets.UTF_8));
        for (String string : strings) {
            // The length first, so that ["ab", "c"] and ["a", "bc"] differ.
            digest.update((string.length() + ":").getBytes(StandardCharsets.UTF_8));
            digest.update(string.getBytes(StandardCharsets.UTF_8));
        }
        return MessageDigests.toHexString(digest.digest());
    }

    /** The hash that passages of {@code field} must carry for {@code strings}. */
    public static String hash(SemanticTextFieldType field, List<String> strings, boolean array) {
        SemanticTextFieldType.Options options = field.options();
        return hash(recipe(options.model(), options.fingerprint(), options.chunking()), strings, array);
    }

    /**
     * Why {@code semantic} (the value of {@code f_semantic}) does not belong to the text {@code strings}, or null when
     * it does: the hash is {@code expectedHash} and every passage is a slice of the text at its offset.
     */
    @Nullable
    public static String mismatch(String expectedHash, List<String> strings, boolean array, Object semantic) {
        if (semantic instanceof Map<?, ?> == false) {
            return "its passages object is not an object";
        }
        Map<?, ?> object = (Map<?, ?>) semantic;
        for (Object key : object.keySet()) {
            if (SemanticTextFieldMapper.HASH.equals(key) == false && SemanticTextFieldMapper.PASSAGES.equals(key) == false) {
                return "its passages object has an unknown key [" + key + "]";
            }
        }
        if (expectedHash.equals(object.get(SemanticTextFieldMapper.HASH)) == false) {
            return "its passages were made from other text (their hash is not the hash of the field's value)";
        }
        Object passages = object.get(SemanticTextFieldMapper.PASSAGES);
        if (passages == null) {
            return null;
        }
        if (passages instanceof List<?> == false) {
            return "its passages are not an array";
        }
        List<?> list = (List<?>) passages;
        for (int i = 0; i < list.size(); i++) {
            String problem = passageMismatch(list.get(i), strings, array);
            if (problem != null) {
                return "its passage [" + i + "] " + problem;
            }
        }
        return null;
    }

    @Nullable
    private static String passageMismatch(Object passage, List<String> strings, boolean array) {
        if (passage instanceof Map<?, ?> == false) {
            return "is not an object";
        }
        Map<?, ?> map = (Map<?, ?>) passage;
        Object element = map.get("element");
        int index = 0;
        if (element != null || array) {
            if (element instanceof Integer == false) {
                return "has no integer [element]";
            }
            index = (Integer) element;
            if (index < 0 || index >= strings.size()) {
                return "points at element [" + index + "] of a value of [" + strings.size() + "]";
            }
        }
        if (map.get("offset") instanceof Integer == false || map.get("text") instanceof String == false) {
            return "has no integer [offset] and string [text]";
        }
        int offset = (Integer) map.get("offset");
        String text = (String) map.get("text");
        String value = strings.get(index);
        if (offset < 0 || text.isEmpty() || value.startsWith(text, offset) == false) {
            return "is not the text of the field's value at its offset [" + offset + "]";
        }
        return null;
    }
}
