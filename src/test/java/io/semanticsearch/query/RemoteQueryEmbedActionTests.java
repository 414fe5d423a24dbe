package io.semanticsearch.query;

import io.semanticsearch.embed.InputType;

import org.opensearch.common.io.stream.BytesStreamOutput;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.tasks.TaskId;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.util.List;

public class RemoteQueryEmbedActionTests extends OpenSearchTestCase {

    public void testSentencesTravelWithTheirInputType() throws IOException {
        RemoteQueryEmbedAction.Request sent = new RemoteQueryEmbedAction.Request(
            new String[] { "kb" }, "body", "all-minilm-l6-v2", "sha256:abc", InputType.PASSAGE, List.of("One.", "Two."), null
        );
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            sent.writeTo(out);
            RemoteQueryEmbedAction.Request read = new RemoteQueryEmbedAction.Request(out.bytes().streamInput());
            assertArrayEquals(new String[] { "kb" }, read.indices());
            assertEquals("body", read.field());
            assertEquals("all-minilm-l6-v2", read.model());
            assertEquals("sha256:abc", read.fingerprint());
            assertEquals(InputType.PASSAGE, read.inputType());
            assertEquals(List.of("One.", "Two."), read.texts());
            assertNull("the target is where it is sent, never sent itself", read.target());
        }
        float[][] vectors = { { 1f, 0f }, { 0f, 1f } };
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            new RemoteQueryEmbedAction.Response(vectors, "all-minilm-l6-v2").writeTo(out);
            RemoteQueryEmbedAction.Response read = new RemoteQueryEmbedAction.Response(out.bytes().streamInput());
            assertEquals(2, read.vectors().length);
            assertArrayEquals(vectors[1], read.vectors()[1], 0f);
            assertEquals("all-minilm-l6-v2", read.model());
        }
    }

    /** What a node of wire format 1 sent: one query text, one vector. */
    public void testTheFirstWireFormatIsStillRead() throws IOException {
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            // What ActionRequest#writeTo puts before the plugin's fields: the parent task.
            TaskId.EMPTY_TASK_ID.writeTo(out);
            out.writeVInt(1);
            out.writeStringArray(new String[] { "kb" });
            out.writeString("body");
            out.writeOptionalString(null);
            out.writeOptionalString(null);
            out.writeString("rotate the logs");
            RemoteQueryEmbedAction.Request read = new RemoteQueryEmbedAction.Request(out.bytes().streamInput());
            assertEquals(InputType.QUERY, read.inputType());
            assertEquals(List.of("rotate the logs"), read.texts());
            assertNull(read.model());
        }
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            out.writeVInt(1);
            out.writeFloatArray(new float[] { 0.6f, 0.8f });
            out.writeString("all-minilm-l6-v2");
            StreamInput in = out.bytes().streamInput();
            RemoteQueryEmbedAction.Response read = new RemoteQueryEmbedAction.Response(in);
            assertEquals(1, read.vectors().length);
            assertArrayEquals(new float[] { 0.6f, 0.8f }, read.vectors()[0], 0f);
        }
    }
}
