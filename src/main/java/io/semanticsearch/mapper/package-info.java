/**
 * Field types and storage: {@code semantic_vector}, {@code semantic_text} (its passages object, the model identity its
 * mapping records), the codec that stores passage vectors once and out of {@code _source}, the check that stored
 * passages are slices of the current text ({@code PassageIntegrity}), and what keeps the passages out of read APIs.
 */
package io.semanticsearch.mapper;
