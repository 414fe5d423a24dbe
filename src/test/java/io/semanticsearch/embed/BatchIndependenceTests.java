package io.semanticsearch.embed;

import org.apache.lucene.tests.util.LuceneTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.test.OpenSearchTestCase;

import java.util.ArrayList;
import java.util.List;

import static io.semanticsearch.embed.ModelFixtures.cosine;

/**
 * The same text embeds to the same vector alone or in any batch, for every bundled model: ingest (bulk-wide batches)
 * and queries (one text) must agree, and a document's vector must not depend on which others came in its bulk.
 */
@LuceneTestCase.SuppressFileSystems("ExtrasFS")
public class BatchIndependenceTests extends OpenSearchTestCase {

    /** What the issue of record asks: cosine 0.99999 between a text's vector alone and in a batch. */
    private static final double MIN_COSINE = 0.99999;

    private static ModelRegistry registry;

    @BeforeClass
    public static void loadModels() throws Exception {
        registry = ModelFixtures.registry(createTempDir(), ModelFixtures.MINILM, ModelFixtures.MINILM_INT8, ModelFixtures.BGE);
    }

    @AfterClass
    public static void closeModels() {
        if (registry != null) {
            registry.close();
            registry = null;
        }
    }

    private static final String TARGET = "Logrotate rotates, compresses and removes old log files so that they do not fill the disk.";
    private static final List<String> NEIGHBOURS = List.of(
        "The OpenSSH server reads its settings from the sshd_config file; restart the service after you change it.",
        "Cron runs commands at scheduled times, and each user edits their own table of jobs with crontab -e today.",
        "UFW is a simple front end for the Linux firewall: allow incoming SSH connections, then turn it on.",
        "Rsync copies files to and from remote machines over ssh, sending only the parts of files that changed.",
        "HUGE NUMBERS 999999999 888888888 777777777 AND SHOUTING WORDS THAT LOOK NOTHING LIKE THE OTHERS AT ALL!!",
        "如何配置日志轮转，使旧的日志文件不会占满磁盘空间？这是系统管理员经常遇到的问题之一，需要定期检查。"
    );

    public void testATextsVectorIsTheSameAloneAndInAnyBatch() {
        for (String name : List.of(ModelFixtures.MINILM, ModelFixtures.MINILM_INT8, ModelFixtures.BGE)) {
            EmbeddingModel model = registry.get(name);
            for (InputType type : InputType.values()) {
                float[] alone = model.embed(List.of(TARGET), type, 1)[0];
                for (int neighbours = 1; neighbours <= NEIGHBOURS.size(); neighbours++) {
                    List<String> batch = new ArrayList<>(NEIGHBOURS.subList(0, neighbours));
                    batch.add(random().nextInt(batch.size() + 1), TARGET);
                    float[][] vectors = model.embed(batch, type, 32);
                    double cosine = cosine(alone, vectors[batch.indexOf(TARGET)]);
                    assertTrue(name + " " + type + " with " + neighbours + " others: cosine " + cosine, cosine >= MIN_COSINE);
                }
            }
        }
    }

    public void testDynamicQuantizationIsFoundInTheGraph() throws Exception {
        assertTrue(DynamicQuantization.in(ModelFixtures.onnxFile(ModelFixtures.MINILM_INT8)));
        assertFalse(DynamicQuantization.in(ModelFixtures.onnxFile(ModelFixtures.MINILM)));
        assertTrue(registry.get(ModelFixtures.MINILM_INT8).embedder().runsTextsAlone());
        assertFalse(registry.get(ModelFixtures.BGE).embedder().runsTextsAlone());
        // The name split across two reads of the file is still found.
        byte[] name = "DynamicQuantizeLinear".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int at : new int[] { 0, (1 << 20) - 7, (1 << 20) - name.length, (1 << 20) + 3 }) {
            byte[] file = new byte[(1 << 20) + 64];
            System.arraycopy(name, 0, file, at, name.length);
            java.nio.file.Path path = createTempFile();
            java.nio.file.Files.write(path, file);
            assertTrue("at " + at, DynamicQuantization.in(path));
            file[at + 5] = 'x';
            java.nio.file.Files.write(path, file);
            assertFalse("at " + at, DynamicQuantization.in(path));
        }
    }
}
