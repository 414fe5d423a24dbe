package io.semanticsearch.ingest;

import org.opensearch.action.ActionRequest;
import org.opensearch.action.ActionType;
import org.opensearch.action.get.GetResponse;
import org.opensearch.action.get.MultiGetAction;
import org.opensearch.action.get.MultiGetItemResponse;
import org.opensearch.action.get.MultiGetRequest;
import org.opensearch.action.get.MultiGetResponse;
import org.opensearch.common.xcontent.XContentFactory;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.core.common.bytes.BytesReference;
import org.opensearch.index.get.GetResult;
import org.opensearch.test.client.NoOpClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.Assert.assertSame;
import static org.opensearch.index.seqno.SequenceNumbers.UNASSIGNED_PRIMARY_TERM;
import static org.opensearch.index.seqno.SequenceNumbers.UNASSIGNED_SEQ_NO;

/** Answers multi-gets from documents stored by id; counts them; fails the next one when told to. */
final class StoredDocumentsClient extends NoOpClient {
    final Map<String, Map<String, Object>> documents = new HashMap<>();
    final AtomicInteger multiGets = new AtomicInteger();
    final AtomicInteger bulkInferences = new AtomicInteger();
    private volatile boolean failNext;

    StoredDocumentsClient() {
        super("stored-documents");
    }

    void store(String id, Map<String, Object> source) {
        documents.put(id, source);
    }

    void failNext() {
        failNext = true;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected <Request extends ActionRequest, Response extends ActionResponse> void doExecute(
        ActionType<Response> action,
        Request request,
        ActionListener<Response> listener
    ) {
        if (action == BulkInferenceAction.INSTANCE) {
            // As TransportBulkInferenceAction runs it, without a task manager: never cancelled.
            bulkInferences.incrementAndGet();
            ((BulkInferenceAction.Request) request).work().run(() -> false, () -> listener.onResponse((Response) BulkInferenceAction.Response.INSTANCE));
            return;
        }
        assertSame(MultiGetAction.INSTANCE, action);
        multiGets.incrementAndGet();
        if (failNext) {
            failNext = false;
            listener.onFailure(new IllegalStateException("no shards"));
            return;
        }
        List<MultiGetItemResponse> items = new ArrayList<>();
        for (MultiGetRequest.Item item : ((MultiGetRequest) request).getItems()) {
            Map<String, Object> stored = documents.get(item.id());
            GetResult result = stored == null
                ? new GetResult(item.index(), item.id(), UNASSIGNED_SEQ_NO, UNASSIGNED_PRIMARY_TERM, -1, false, null, Map.of(), Map.of())
                : new GetResult(item.index(), item.id(), 0, 1, 1, true, json(stored), Map.of(), Map.of());
            items.add(new MultiGetItemResponse(new GetResponse(result), null));
        }
        listener.onResponse((Response) new MultiGetResponse(items.toArray(new MultiGetItemResponse[0])));
    }

    private static BytesReference json(Map<String, Object> source) {
        try {
            return BytesReference.bytes(XContentFactory.jsonBuilder().map(source));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
