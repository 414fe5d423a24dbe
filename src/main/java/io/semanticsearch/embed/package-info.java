/**
 * Models: loading a model folder ({@code ModelRegistry}, {@code ModelConfig}), the tokenizer written to match Hugging
 * Face byte for byte ({@code WordPieceTokenizer}), ONNX Runtime sessions and pooling ({@code OnnxEmbedder}), the two
 * inference lanes and the query-vector cache ({@code EmbeddingService}), the one model-identity rule
 * ({@code ModelIdentity}) and which node holds which model ({@code NodesWithModels}). Depends on no other capability.
 */
package io.semanticsearch.embed;
