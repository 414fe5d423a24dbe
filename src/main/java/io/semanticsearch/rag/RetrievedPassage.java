package io.semanticsearch.rag;

/**
 * A passage retrieval found, in rank order: a nested passage (with its {@code offset} in the document's text) or a
 * whole document's text (offset null). {@code score} is the document's retrieval score (RRF score in hybrid).
 */
public record RetrievedPassage(String index, String id, String text, Integer offset, double score) {}
