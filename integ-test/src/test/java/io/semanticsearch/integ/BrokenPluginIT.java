package io.semanticsearch.integ;

import org.junit.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The harness notices a broken plugin: the integ tests cannot pass on a zip OpenSearch would not load. */
public class BrokenPluginIT {

    @Test
    public void zipWithoutDescriptorIsRefusedByTheInstaller() throws IOException {
        Path broken = rewriteDescriptor(descriptor -> null);
        IOException failure = assertThrows(IOException.class, () -> LocalNode.builder("broken-descriptor").plugin(broken).start());
        assertTrue(failure.getMessage(), failure.getMessage().contains("plugin-descriptor.properties"));
    }

    @Test
    public void zipWhosePluginClassDoesNotExistStopsTheNode() throws IOException {
        Path broken = rewriteDescriptor(
            descriptor -> descriptor.replace("classname=io.semanticsearch.SemanticSearchPlugin", "classname=io.semanticsearch.NoSuchPlugin")
        );
        LocalNode.NodeStartException failure = assertThrows(
            LocalNode.NodeStartException.class,
            () -> LocalNode.builder("broken-classname").plugin(broken).start()
        );
        assertTrue(failure.getMessage(), failure.getMessage().contains("exited with code"));
        assertTrue(failure.getMessage(), failure.getMessage().contains("NoSuchPlugin"));
    }

    /** A copy of the real zip whose descriptor is changed, or left out when the function returns null. */
    private static Path rewriteDescriptor(UnaryOperator<String> change) throws IOException {
        Path copy = LocalNode.integDir().resolve("broken-" + System.nanoTime() + ".zip");
        Files.createDirectories(copy.getParent());
        try (ZipFile original = new ZipFile(LocalNode.pluginZip().toFile()); OutputStream out = Files.newOutputStream(copy); ZipOutputStream zip = new ZipOutputStream(out)) {
            Enumeration<? extends ZipEntry> entries = original.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                try (InputStream in = original.getInputStream(entry)) {
                    byte[] bytes = in.readAllBytes();
                    if (entry.getName().equals("plugin-descriptor.properties")) {
                        String changed = change.apply(new String(bytes, StandardCharsets.UTF_8));
                        if (changed == null) {
                            continue;
                        }
                        bytes = changed.getBytes(StandardCharsets.UTF_8);
                    }
                    zip.putNextEntry(new ZipEntry(entry.getName()));
                    zip.write(bytes);
                    zip.closeEntry();
                }
            }
        }
        return copy;
    }
}
