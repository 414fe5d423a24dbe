package io.semanticsearch.rag;

import org.opensearch.common.io.stream.BytesStreamOutput;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.util.List;

public class RagActionTests extends OpenSearchTestCase {

    private static final Citation CITATION = new Citation(1, "kb", "logrotate", "Logs are kept four weeks.", 0, 0.8);

    public void testTheAnswerTravelsWithItsAnswerModel() throws IOException {
        RagResponse sent = new RagResponse("Logs are kept four weeks. [1]", List.of(CITATION), "extractive", "all-minilm-l6-v2-int8", 12, 30, null);
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            new RagAction.Response(sent).writeTo(out);
            assertEquals(sent, new RagAction.Response(out.bytes().streamInput()).rag());
        }
        RagResponse failed = new RagResponse(null, List.of(CITATION), "gpt", null, 12, 30, new LlmException(LlmException.TIMEOUT, "timed out"));
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            new RagAction.Response(failed).writeTo(out);
            RagResponse read = new RagAction.Response(out.bytes().streamInput()).rag();
            assertNull(read.answerModel());
            assertEquals(LlmException.TIMEOUT, read.error().type());
        }
    }

    /** An answer from a node of wire format 1, which had no answer model. */
    public void testTheFirstWireFormatIsStillRead() throws IOException {
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            out.writeVInt(1);
            out.writeOptionalString("Logs are kept four weeks. [1]");
            out.writeVInt(1);
            out.writeVInt(CITATION.n());
            out.writeString(CITATION.index());
            out.writeString(CITATION.id());
            out.writeString(CITATION.passage());
            out.writeOptionalVInt(CITATION.offset());
            out.writeDouble(CITATION.score());
            out.writeString("extractive");
            out.writeVLong(12);
            out.writeVLong(30);
            out.writeBoolean(false);
            RagResponse read = new RagAction.Response(out.bytes().streamInput()).rag();
            assertEquals(new RagResponse("Logs are kept four weeks. [1]", List.of(CITATION), "extractive", null, 12, 30, null), read);
        }
    }
}
