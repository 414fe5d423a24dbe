/**
 * The plugin: {@link io.semanticsearch.SemanticSearchPlugin} wires every capability into OpenSearch (mappers, the
 * {@code semantic} query, ingest processors, transport actions, REST handlers); {@link io.semanticsearch.SemanticSettings}
 * declares and parses every setting in one place; {@link io.semanticsearch.WireFormat} versions what nodes send each
 * other. The capability packages depend on this one only for settings and request-body helpers, never on the plugin
 * class.
 */
package io.semanticsearch;
