/**
 * Ranking that needs no search: {@code HybridRanking} (the final order of a whole-result ranking, shared by
 * {@code _search} and {@code _rag}), score fusion ({@code Fusion}, {@code LinearFusion}, {@code ReciprocalRankFusion}),
 * maximal marginal relevance, sentence splitting and the BM25 side's bounded text. Depends on no other capability.
 */
package io.semanticsearch.ranking;
