/**
 * REST handlers: each parses and validates its body and hands over to a transport action. Routes live under
 * {@code Routes.PREFIX} ({@code /_plugins/_semantic}).
 */
package io.semanticsearch.rest;
