package io.semanticsearch.rag;

import org.opensearch.core.xcontent.ToXContentObject;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;

/**
 * Why an LLM connector gave no answer. The {@code _rag} response carries it as {@code {"type", "reason"}} beside
 * the citations, with HTTP 200: retrieval worked and its results are still useful. Reasons never hold the API key.
 */
public final class LlmException extends RuntimeException implements ToXContentObject {

    /** The connector did not answer within its timeout. */
    public static final String TIMEOUT = "llm_timeout";
    /** The connector could not be reached. */
    public static final String CONNECTION = "llm_connection_error";
    /** The connector answered with an HTTP error status. */
    public static final String HTTP_ERROR = "llm_http_error";
    /** The connector answered something that is not a chat completion with text. */
    public static final String BAD_RESPONSE = "llm_bad_response";
    /** The model declined to answer, or a content filter withheld its answer. */
    public static final String REFUSAL = "llm_refusal";

    private final String type;

    public LlmException(String type, String reason) {
        // No cause and no stack trace: the reason says it all, and a cause could carry what a server echoed back.
        super(reason, null, false, false);
        this.type = type;
    }

    public String type() {
        return type;
    }

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        return builder.startObject().field("type", type).field("reason", getMessage()).endObject();
    }
}
