package io.semanticsearch.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns text into the ids of a BERT model exactly as Hugging Face's tokenizers library does with the model's
 * {@code tokenizer.json} (BertNormalizer, BertPreTokenizer, WordPiece, {@code [CLS] ... [SEP]}), with each token's
 * span in the original text. Immutable and thread-safe after {@link #load}; cost is linear in the text, a few
 * vocabulary look-ups per word, and {@link #encode} stops reading a long text once it has enough tokens.
 *
 * <p>Written by hand because no well-kept JVM library does this in a way that fits a plugin: DJL's Hugging Face
 * tokenizers need a native library that it downloads.
 */
public final class WordPieceTokenizer {

    // Text is normalized in pieces of about this many chars, so that a huge text neither needs buffers of its
    // size nor is read to the end when encode has its tokens early.
    private static final int CHUNK_CHARS = 4096;

    private final BertNormalizer normalizer;
    // A word's first piece may be any vocabulary entry; a later piece is an entry that starts with the
    // continuing-subword prefix, kept here without it so that no prefixed string is built per look-up.
    private final Map<String, Integer> firstPieces;
    private final Map<String, Integer> laterPieces;
    // Pieces longer than the longest entry cannot match, so the longest-first search starts at that length.
    private final int longestFirstPiece;
    private final int longestLaterPiece;
    private final int maxInputCharsPerWord;
    private final int unkId;
    private final int clsId;
    private final int sepId;
    // Added tokens, longest first, matched in the original text before normalization.
    private final String[] addedTokens;
    private final int[] addedIds;
    private final String addedFirstChars;

    private WordPieceTokenizer(
        BertNormalizer normalizer,
        Map<String, Integer> vocab,
        String subwordPrefix,
        int maxInputCharsPerWord,
        int unkId,
        int clsId,
        int sepId,
        Map<String, Integer> addedTokens
    ) {
        this.normalizer = normalizer;
        this.firstPieces = vocab;
        this.laterPieces = new HashMap<>();
        int longestFirst = 0;
        int longestLater = 0;
        for (Map.Entry<String, Integer> entry : vocab.entrySet()) {
            String piece = entry.getKey();
            longestFirst = Math.max(longestFirst, piece.codePointCount(0, piece.length()));
            if (piece.startsWith(subwordPrefix) && piece.length() > subwordPrefix.length()) {
                String rest = piece.substring(subwordPrefix.length());
                laterPieces.put(rest, entry.getValue());
                longestLater = Math.max(longestLater, rest.codePointCount(0, rest.length()));
            }
        }
        this.longestFirstPiece = longestFirst;
        this.longestLaterPiece = longestLater;
        this.maxInputCharsPerWord = maxInputCharsPerWord;
        this.unkId = unkId;
        this.clsId = clsId;
        this.sepId = sepId;
        List<String> added = new ArrayList<>(addedTokens.keySet());
        added.sort(Comparator.comparingInt(String::length).reversed());
        this.addedTokens = added.toArray(new String[0]);
        this.addedIds = added.stream().mapToInt(addedTokens::get).toArray();
        StringBuilder firstChars = new StringBuilder();
        for (String token : this.addedTokens) {
            if (firstChars.indexOf(token.substring(0, 1)) < 0) {
                firstChars.append(token.charAt(0));
            }
        }
        this.addedFirstChars = firstChars.toString();
    }

    /**
     * Reads a Hugging Face {@code tokenizer.json}. Its truncation and padding settings are ignored: the caller
     * chooses the length per call and nothing is padded.
     *
     * @throws IllegalArgumentException naming the file and the setting when it uses a component or option this
     *                                  class does not implement
     * @throws IOException              when the file cannot be read or is not JSON
     */
    public static WordPieceTokenizer load(Path tokenizerJson) throws IOException {
        JsonNode root = new ObjectMapper().readTree(tokenizerJson.toFile());
        String file = tokenizerJson.toString();
        if (root == null || root.isObject() == false) {
            throw new IllegalArgumentException("[" + file + "] is not a tokenizer.json: expected a JSON object");
        }

        JsonNode normalizerNode = root.path("normalizer");
        BertNormalizer normalizer;
        if (normalizerNode.isMissingNode() || normalizerNode.isNull()) {
            normalizer = new BertNormalizer(false, false, false, false);
        } else {
            requireType(file, "normalizer", normalizerNode, "BertNormalizer");
            boolean lowercase = normalizerNode.path("lowercase").asBoolean(true);
            // strip_accents null means: strip exactly when lower-casing.
            JsonNode strip = normalizerNode.path("strip_accents");
            normalizer = new BertNormalizer(
                normalizerNode.path("clean_text").asBoolean(true),
                normalizerNode.path("handle_chinese_chars").asBoolean(true),
                strip.isBoolean() ? strip.booleanValue() : lowercase,
                lowercase
            );
        }
        requireType(file, "pre_tokenizer", root.path("pre_tokenizer"), "BertPreTokenizer");

        JsonNode model = root.path("model");
        requireType(file, "model", model, "WordPiece");
        Map<String, Integer> vocab = new HashMap<>();
        for (Map.Entry<String, JsonNode> entry : model.path("vocab").properties()) {
            vocab.put(entry.getKey(), entry.getValue().intValue());
        }
        String unkToken = model.path("unk_token").asText("[UNK]");
        Integer unkId = vocab.get(unkToken);
        if (unkId == null) {
            throw new IllegalArgumentException("[" + file + "] has unk_token [" + unkToken + "] that is not in the vocabulary");
        }
        String prefix = model.path("continuing_subword_prefix").asText("##");
        int maxInputCharsPerWord = model.path("max_input_chars_per_word").asInt(100);

        Map<String, Integer> added = new HashMap<>();
        for (JsonNode token : root.path("added_tokens")) {
            String content = token.path("content").asText();
            for (String option : new String[] { "single_word", "lstrip", "rstrip", "normalized" }) {
                if (token.path(option).asBoolean(false)) {
                    throw new IllegalArgumentException(
                        "[" + file + "] has added token [" + content + "] with [" + option + "] set, which is not supported"
                    );
                }
            }
            if (content.isEmpty() == false) {
                added.put(content, token.path("id").intValue());
            }
        }

        int[] clsSep = clsAndSep(file, root.path("post_processor"));
        return new WordPieceTokenizer(normalizer, vocab, prefix, maxInputCharsPerWord, unkId, clsSep[0], clsSep[1], added);
    }

    private static void requireType(String file, String component, JsonNode node, String supported) {
        String type = node.path("type").asText(null);
        if (supported.equals(type) == false) {
            throw new IllegalArgumentException(
                "[" + file + "] uses " + component + " [" + type + "], only [" + supported + "] is supported"
            );
        }
    }

    /** The ids of the tokens put before and after the text: BertProcessing, or TemplateProcessing of that shape. */
    private static int[] clsAndSep(String file, JsonNode processor) {
        String type = processor.path("type").asText(null);
        if ("BertProcessing".equals(type)) {
            return new int[] { processor.path("cls").path(1).intValue(), processor.path("sep").path(1).intValue() };
        }
        if ("TemplateProcessing".equals(type)) {
            JsonNode single = processor.path("single");
            if (single.size() == 3
                && single.get(0).has("SpecialToken")
                && "A".equals(single.get(1).path("Sequence").path("id").asText(null))
                && single.get(2).has("SpecialToken")) {
                JsonNode specials = processor.path("special_tokens");
                JsonNode cls = specials.path(single.get(0).path("SpecialToken").path("id").asText()).path("ids");
                JsonNode sep = specials.path(single.get(2).path("SpecialToken").path("id").asText()).path("ids");
                if (cls.size() == 1 && sep.size() == 1) {
                    return new int[] { cls.get(0).intValue(), sep.get(0).intValue() };
                }
            }
            throw new IllegalArgumentException(
                "[" + file + "] has a post_processor template " + single + ", only [special token, $A, special token] is supported"
            );
        }
        throw new IllegalArgumentException(
            "[" + file + "] uses post_processor [" + type + "], only [TemplateProcessing, BertProcessing] are supported"
        );
    }

    /**
     * Tokenizes {@code text} as {@code [CLS] tokens [SEP]}, dropping tokens from the end so that there are at
     * most {@code maxTokens}, the two special tokens included. {@code [CLS]} has the empty span at 0 and
     * {@code [SEP]} the empty span at the end of the last kept token.
     */
    public TokenizedText encode(String text, int maxTokens) {
        if (maxTokens < 2) {
            throw new IllegalArgumentException("[maxTokens] must be at least 2, got [" + maxTokens + "]");
        }
        Pieces pieces = tokenize(text, maxTokens - 2);
        int kept = Math.min(pieces.size, maxTokens - 2);
        long[] ids = new long[kept + 2];
        int[] starts = new int[kept + 2];
        int[] ends = new int[kept + 2];
        ids[0] = clsId;
        for (int i = 0; i < kept; i++) {
            ids[i + 1] = pieces.ids[i];
        }
        System.arraycopy(pieces.starts, 0, starts, 1, kept);
        System.arraycopy(pieces.ends, 0, ends, 1, kept);
        int sepAt = kept == 0 ? 0 : pieces.ends[kept - 1];
        ids[kept + 1] = sepId;
        starts[kept + 1] = sepAt;
        ends[kept + 1] = sepAt;
        return new TokenizedText(ids, starts, ends, pieces.size > kept);
    }

    /**
     * Whether {@code text} makes a token: false for text that is blank once normalised (spaces, control and format
     * characters, and with accent stripping combining marks and variation selectors), whose embedding would be the
     * model's answer to no text at all. Stops at the first token.
     */
    public boolean hasTokens(String text) {
        return tokenize(text, 0).size > 0;
    }

    /** The number of tokens of {@code text}, without {@code [CLS]} and {@code [SEP]} and without truncation. */
    public int tokenCount(String text) {
        return tokenize(text, Integer.MAX_VALUE).size;
    }

    /** Tokenizes until the end of the text or until there are more than {@code limit} tokens. */
    private Pieces tokenize(String text, int limit) {
        Pieces out = new Pieces();
        BertNormalizer.Normalized normalized = new BertNormalizer.Normalized(Math.min(text.length(), CHUNK_CHARS) + 64);
        BertNormalizer.Normalized scratch = new BertNormalizer.Normalized(16);
        int position = 0;
        while (position < text.length() && out.size <= limit) {
            // Added (special) tokens are cut out of the original text first; the text between them is tokenized alone.
            int matchStart = text.length();
            int matchIndex = -1;
            if (addedTokens.length > 0) {
                for (int at = nextAddedCandidate(text, position); at >= 0; at = nextAddedCandidate(text, at + 1)) {
                    matchIndex = addedTokenAt(text, at);
                    if (matchIndex >= 0) {
                        matchStart = at;
                        break;
                    }
                }
            }
            for (int from = position; from < matchStart && out.size <= limit;) {
                int to = chunkEnd(text, from, matchStart);
                normalized.clear();
                normalizer.normalize(text, from, to, normalized, scratch);
                splitWords(normalized, limit, out);
                from = to;
            }
            if (matchIndex < 0) {
                break;
            }
            position = matchStart + addedTokens[matchIndex].length();
            out.add(addedIds[matchIndex], matchStart, position);
        }
        return out;
    }

    private int nextAddedCandidate(String text, int from) {
        int next = -1;
        for (int i = 0; i < addedFirstChars.length(); i++) {
            int at = text.indexOf(addedFirstChars.charAt(i), from);
            if (at >= 0 && (next < 0 || at < next)) {
                next = at;
            }
        }
        return next;
    }

    /** The longest added token that starts at {@code at}, or -1 (Hugging Face matches leftmost-longest). */
    private int addedTokenAt(String text, int at) {
        for (int i = 0; i < addedTokens.length; i++) {
            if (text.startsWith(addedTokens[i], at)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Where to end the chunk that starts at {@code from}: before ASCII whitespace or a CJK ideograph, which always
     * end a word and which NFD never reorders a mark across, so chunks tokenize as the whole text would.
     */
    private int chunkEnd(String text, int from, int to) {
        if (to - from <= CHUNK_CHARS) {
            return to;
        }
        boolean chinese = normalizer.handlesChineseChars();
        for (int i = from + CHUNK_CHARS; i < to; i++) {
            char c = text.charAt(i);
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || (chinese && BertCharClasses.isChinese(c))) {
                return i;
            }
        }
        return to;
    }

    /** BertPreTokenizer: words end at whitespace, which is dropped, and every punctuation character is a word. */
    private void splitWords(BertNormalizer.Normalized text, int limit, Pieces out) {
        int wordStart = -1;
        for (int i = 0; i < text.size && out.size <= limit; i++) {
            int cp = text.cps[i];
            boolean whitespace = BertCharClasses.isWhitespace(cp);
            if (whitespace || BertCharClasses.isPunctuation(cp)) {
                if (wordStart >= 0) {
                    addWord(text, wordStart, i, out);
                    wordStart = -1;
                }
                if (whitespace == false) {
                    addWord(text, i, i + 1, out);
                }
            } else if (wordStart < 0) {
                wordStart = i;
            }
        }
        if (wordStart >= 0 && out.size <= limit) {
            addWord(text, wordStart, text.size, out);
        }
    }

    /**
     * WordPiece: the longest vocabulary entry that starts the word, then the longest continuation, and so on; a
     * word that cannot be covered, or has more than {@code max_input_chars_per_word} code points, is one
     * {@code [UNK]} spanning the whole word.
     */
    private void addWord(BertNormalizer.Normalized text, int from, int to, Pieces out) {
        int length = to - from;
        int wordStart = text.starts[from];
        int wordEnd = text.ends[to - 1];
        if (length > maxInputCharsPerWord) {
            out.add(unkId, wordStart, wordEnd);
            return;
        }
        String word = new String(text.cps, from, length);
        // Pieces end on code points, never inside a surrogate pair; map code point indexes to chars when they differ.
        int[] charIndex = word.length() == length ? null : charIndexes(word, length);
        int mark = out.size;
        for (int start = 0; start < length;) {
            Map<String, Integer> pieces = start == 0 ? firstPieces : laterPieces;
            int end = Math.min(length, start + (start == 0 ? longestFirstPiece : longestLaterPiece));
            Integer id = null;
            for (; end > start; end--) {
                String piece = charIndex == null ? word.substring(start, end) : word.substring(charIndex[start], charIndex[end]);
                id = pieces.get(piece);
                if (id != null) {
                    break;
                }
            }
            if (id == null) {
                out.size = mark;
                out.add(unkId, wordStart, wordEnd);
                return;
            }
            out.add(id, text.starts[from + start], text.ends[from + end - 1]);
            start = end;
        }
    }

    private static int[] charIndexes(String word, int codePoints) {
        int[] index = new int[codePoints + 1];
        int c = 0;
        for (int i = 0; i < codePoints; i++) {
            index[i] = c;
            c += Character.charCount(word.codePointAt(c));
        }
        index[codePoints] = c;
        return index;
    }

    /** Token ids with their spans in the original text, as they are found. */
    private static final class Pieces {
        int[] ids = new int[64];
        int[] starts = new int[64];
        int[] ends = new int[64];
        int size;

        void add(int id, int start, int end) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, size * 2);
                starts = Arrays.copyOf(starts, size * 2);
                ends = Arrays.copyOf(ends, size * 2);
            }
            ids[size] = id;
            starts[size] = start;
            ends[size] = end;
            size++;
        }
    }
}
