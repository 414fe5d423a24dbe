package io.semanticsearch;

import org.opensearch.common.io.stream.BytesStreamOutput;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;

public class WireFormatTests extends OpenSearchTestCase {

    public void testAMessageOfThisVersionIsRead() throws IOException {
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            WireFormat.writeHeader(out);
            out.writeString("payload");
            StreamInput in = out.bytes().streamInput();
            assertEquals(WireFormat.CURRENT, WireFormat.readHeader(in, "semantic query"));
            assertEquals("payload", in.readString());
        }
    }

    public void testAMessageOfANewerPluginSaysSo() throws IOException {
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            out.writeVInt(WireFormat.CURRENT + 1);
            IllegalStateException e = expectThrows(IllegalStateException.class, () -> WireFormat.readHeader(out.bytes().streamInput(), "semantic query"));
            assertEquals(
                "[semantic query] was sent by a newer opensearch-semantic (wire format [" + (WireFormat.CURRENT + 1) + "], this node reads up to ["
                    + WireFormat.CURRENT + "]): upgrade the plugin on every node of the cluster",
                e.getMessage()
            );
        }
    }
}
