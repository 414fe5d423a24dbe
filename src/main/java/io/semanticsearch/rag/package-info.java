/**
 * {@code POST /{index}/_rag}: the request ({@code RagRequest}), retrieval through ordinary searches with the caller's
 * permissions ({@code Retriever}), the context window, the offline extractive answerer and the OpenAI-compatible LLM
 * connectors (secrets in the keystore).
 */
package io.semanticsearch.rag;
