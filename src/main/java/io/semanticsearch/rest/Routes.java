package io.semanticsearch.rest;

/** Where the plugin's own REST APIs live; {@code _rag} sits under each index, as OpenSearch's own index APIs do. */
final class Routes {

    /** As OpenSearch's plugins name theirs ({@code _plugins/_ml}, {@code _plugins/_neural}). */
    static final String PREFIX = "/_plugins/_semantic";

    private Routes() {}
}
