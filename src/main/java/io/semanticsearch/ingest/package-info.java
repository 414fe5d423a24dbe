/**
 * Embedding at ingest: the {@code semantic_embed} processor (user pipelines) and the {@code semantic_text} system
 * processor, both through {@code DocumentEmbedder}, which batches a whole bulk into model calls and cuts text into
 * passages on the model's own tokens ({@code PassageChunker}).
 */
package io.semanticsearch.ingest;
