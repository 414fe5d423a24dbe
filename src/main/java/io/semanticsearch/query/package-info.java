/**
 * The {@code semantic} query: parsing ({@code SemanticQueryParser}), rewriting text or a liked document into a vector
 * ({@code SemanticQueryBuilder}, {@code QueryEmbedder}), the shard's Lucene query ({@code ShardVectorQuery},
 * {@code PassageQueryRewrite}), and the options that rank the whole result ({@code WholeResultRewrite}: fused on the
 * coordinating node, or by {@code ShardFusionQuery} on the one shard a search reaches).
 */
package io.semanticsearch.query;
