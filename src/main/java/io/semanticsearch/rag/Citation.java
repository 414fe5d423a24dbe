package io.semanticsearch.rag;

import org.opensearch.core.xcontent.ToXContentObject;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;

/** A numbered passage the answer may cite as {@code [n]}: what the answerer read, listed in the response. */
public record Citation(int n, String index, String id, String passage, Integer offset, double score) implements ToXContentObject {

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject();
        builder.field("n", n);
        builder.field("_index", index);
        builder.field("_id", id);
        builder.field("passage", passage);
        if (offset != null) {
            builder.field("offset", offset);
        }
        builder.field("score", score);
        return builder.endObject();
    }
}
