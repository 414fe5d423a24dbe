/**
 * The {@code semantic_sentences} highlighter: the sentences of a hit closest in meaning to the query
 * ({@code RankedSentences}), embedded with the field's model here or on a node that has it ({@code SentenceVectors}).
 */
package io.semanticsearch.highlight;
