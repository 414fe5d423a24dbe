package io.semanticsearch.embed;

import org.apache.lucene.tests.util.LuceneTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.opensearch.test.OpenSearchTestCase;

/** The one rule every path uses to decide whether a vector or a node's model may meet a field's vectors. */
@LuceneTestCase.SuppressFileSystems("ExtrasFS")
public class ModelIdentityTests extends OpenSearchTestCase {

    private static ModelRegistry registry;

    @BeforeClass
    public static void loadModel() throws Exception {
        registry = ModelFixtures.registry(createTempDir(), ModelFixtures.MINILM);
    }

    @AfterClass
    public static void closeModel() {
        registry.close();
        registry = null;
    }

    public void testVectorsOfAnotherModelAreRefusedNamingBoth() {
        ModelIdentity field = new ModelIdentity("all-minilm-l6-v2", 384, null);
        field.requireComparable("all-minilm-l6-v2", "field [body]");
        field.requireComparable(null, "field [body]"); // a vector the user sent: theirs to vouch for
        IllegalArgumentException e = expectThrows(
            IllegalArgumentException.class,
            () -> field.requireComparable("all-minilm-l6-v2-int8", "field [body] in index [docs]")
        );
        assertEquals(
            "the vector is from [model] [all-minilm-l6-v2-int8], but field [body] in index [docs] holds vectors of [model] "
                + "[all-minilm-l6-v2]; vectors of different models cannot be compared",
            e.getMessage()
        );
        IllegalArgumentException none = expectThrows(
            IllegalArgumentException.class,
            () -> new ModelIdentity(null, 3, null).requireComparable("all-minilm-l6-v2", "field [v]")
        );
        assertTrue(none.getMessage(), none.getMessage().contains("field [v] has no model"));
    }

    public void testOtherFilesUnderTheSameNameAreRefusedNamingTheNodeAndBothFingerprints() {
        EmbeddingModel local = registry.get(ModelFixtures.MINILM);
        ModelIdentity.of(local).requireSameFiles(local, "node-a");
        new ModelIdentity(local.name(), null, null).requireSameFiles(local, "node-a"); // no fingerprint recorded
        IllegalArgumentException e = expectThrows(
            IllegalArgumentException.class,
            () -> new ModelIdentity(local.name(), 384, "sha256:1b7e").requireSameFiles(local, "node-b")
        );
        assertEquals(
            "model [all-minilm-l6-v2] has fingerprint [" + local.fingerprint() + "] on node [node-b], but the mapping records "
                + "[sha256:1b7e]; give every node the same files for [all-minilm-l6-v2]",
            e.getMessage()
        );
    }
}
