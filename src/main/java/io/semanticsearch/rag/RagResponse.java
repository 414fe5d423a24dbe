package io.semanticsearch.rag;

import org.opensearch.core.xcontent.ToXContentObject;
import org.opensearch.core.xcontent.XContentBuilder;

import java.io.IOException;
import java.util.List;

/**
 * What {@code _rag} answers: the answer with {@code [n]} markers, the passages it may cite, the generator, the model
 * the extractive answerer embedded with (null for an LLM) and the time each stage took. When an LLM connector
 * fails, {@code answer} is null and {@code error} says why.
 */
public record RagResponse(
    String answer,
    List<Citation> citations,
    String generator,
    String answerModel,
    long retrievalMillis,
    long generationMillis,
    LlmException error
) implements ToXContentObject {

    @Override
    public XContentBuilder toXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject();
        builder.field("answer", answer);
        builder.startArray("citations");
        for (Citation citation : citations) {
            citation.toXContent(builder, params);
        }
        builder.endArray();
        builder.field("generator", generator);
        if (answerModel != null) {
            builder.field("answer_model", answerModel);
        }
        builder.startObject("took").field("retrieval_ms", retrievalMillis).field("generation_ms", generationMillis).endObject();
        if (error != null) {
            builder.field("error", error);
        }
        return builder.endObject();
    }
}
