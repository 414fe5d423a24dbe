package io.semanticsearch.query;

import io.semanticsearch.SemanticSearchPlugin;
import io.semanticsearch.WireFormat;
import io.semanticsearch.query.FusedHitsQueryBuilder.Hit;
import io.semanticsearch.ranking.Fusion;
import io.semanticsearch.ranking.HybridRanking.Side;
import io.semanticsearch.ranking.LinearFusion;

import org.opensearch.common.io.stream.BytesStreamOutput;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.io.stream.NamedWriteableAwareStreamInput;
import org.opensearch.core.common.io.stream.NamedWriteableRegistry;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryBuilders;
import org.opensearch.search.SearchModule;
import org.opensearch.test.OpenSearchTestCase;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;

/** What the coordinating node sends a shard for a whole-result ranking, read back as it was written, and from older plugins. */
public class FusedQueriesWireTests extends OpenSearchTestCase {

    private static final NamedWriteableRegistry REGISTRY = new NamedWriteableRegistry(
        new SearchModule(Settings.EMPTY, List.of(new SemanticSearchPlugin(Settings.EMPTY))).getNamedWriteables()
    );

    private static QueryBuilder roundTrip(QueryBuilder query) throws IOException {
        BytesStreamOutput out = new BytesStreamOutput();
        out.writeNamedWriteable(query);
        StreamInput in = new NamedWriteableAwareStreamInput(out.bytes().streamInput(), REGISTRY);
        return in.readNamedWriteable(QueryBuilder.class);
    }

    private static SemanticQueryBuilder semanticSide() {
        return SemanticQueryBuilder.vector("body", new float[] { 0.1f, 0.2f, 0.3f }).k(20).filter(QueryBuilders.termQuery("topic", "logs")).model("m");
    }

    public void testShardFusionTravelsWhole() throws IOException {
        QueryBuilder match = QueryBuilders.matchQuery("body", "rotate logs");
        ShardFusionQueryBuilder query = new ShardFusionQueryBuilder(
            QueryBuilders.boolQuery().must(match).filter(QueryBuilders.termQuery("topic", "logs")),
            semanticSide(),
            "body",
            false,
            Fusion.linear(0.7, LinearFusion.Normalizer.MIN_MAX),
            20,
            "linear, min_max, semantic_weight 0.7, 20 documents per side",
            match,
            new float[] { 0.1f, 0.2f, 0.3f },
            "body"
        );
        query.boost(2f).queryName("q");
        assertEquals(query, roundTrip(query));
        ShardFusionQueryBuilder rrf = new ShardFusionQueryBuilder(match, semanticSide(), "title", true, Fusion.rrf(7), 10, "rrf", match,
            new float[] { 1 }, "v");
        assertEquals(rrf, roundTrip(rrf));
        assertNotEquals(query, rrf);
    }

    public void testFusedHitsTravelWithTheirSemanticSide() throws IOException {
        List<Hit> hits = List.of(new Hit("i", "a", 0.9f, new Side(1, 12f), null), new Hit("j", "b", 0.5f, null, new Side(1, 0.8f)));
        FusedHitsQueryBuilder query = new FusedHitsQueryBuilder(hits, "rrf", QueryBuilders.matchQuery("body", "logs"), semanticSide());
        assertEquals(query, roundTrip(query));
    }

    public void testFusedHitsOfAnOlderPluginAreReadWithoutPassages() throws IOException {
        // Wire format 3 wrote no semantic side: the hits come without passages, and nothing else changes.
        BytesStreamOutput out = new BytesStreamOutput();
        out.writeString(FusedHitsQueryBuilder.NAME);
        out.writeFloat(1f); // boost
        out.writeOptionalString(null); // _name
        out.writeVInt(WireFormat.FUSED_HITS_WITH_SEMANTIC_SIDE - 1);
        out.writeVInt(1);
        out.writeString("i");
        out.writeString("a");
        out.writeFloat(0.9f);
        out.writeBoolean(false);
        out.writeBoolean(true);
        out.writeVInt(1);
        out.writeFloat(0.8f);
        out.writeString("semantic only");
        out.writeOptionalNamedWriteable(null);
        out.writeFloatArray(new float[] { 0.5f });
        out.writeString("body");
        StreamInput in = new NamedWriteableAwareStreamInput(out.bytes().streamInput(), REGISTRY);
        FusedHitsQueryBuilder read = (FusedHitsQueryBuilder) in.readNamedWriteable(QueryBuilder.class);
        assertEquals(List.of(new Hit("i", "a", 0.9f, null, new Side(1, 0.8f))), read.hits());
        HashMap<String, org.opensearch.index.query.InnerHitContextBuilder> innerHits = new HashMap<>();
        org.opensearch.index.query.InnerHitContextBuilder.extractInnerHits(read, innerHits);
        assertTrue(innerHits.isEmpty());
        assertSame(read, read.rewrite(null));
    }
}
