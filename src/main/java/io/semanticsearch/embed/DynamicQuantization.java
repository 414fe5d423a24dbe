package io.semanticsearch.embed;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Whether an ONNX model quantizes its activations per run, which makes a text's vector depend on its batch. */
final class DynamicQuantization {

    private DynamicQuantization() {}

    /**
     * Whether the model quantizes its activations dynamically ({@code DynamicQuantizeLinear}, what ONNX Runtime's
     * {@code quantize_dynamic} makes): that operator takes one scale for its whole input tensor, so a text's vector
     * would depend on the other texts of its batch and on their padding (cosine 0.994 for all-MiniLM-L6-v2 int8), and
     * ingest and queries would disagree. Such a model runs one text per run. ONNX Runtime's Java API does not list a
     * graph's operators, so the file is searched for the operator's name, which a model stores as plain text.
     */
    static boolean in(Path onnxFile) throws IOException {
        byte[] name = "DynamicQuantizeLinear".getBytes(StandardCharsets.US_ASCII);
        byte[] buffer = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(onnxFile)) {
            int kept = 0;
            for (int read; (read = in.read(buffer, kept, buffer.length - kept)) > 0;) {
                int end = kept + read;
                for (int i = 0; i + name.length <= end; i++) {
                    if (buffer[i] == name[0] && Arrays.equals(buffer, i, i + name.length, name, 0, name.length)) {
                        return true;
                    }
                }
                // Keep the tail that may hold the start of the name.
                kept = Math.min(name.length - 1, end);
                System.arraycopy(buffer, end - kept, buffer, 0, kept);
            }
        }
        return false;
    }
}
