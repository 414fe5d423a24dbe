package io.semanticsearch.ingest;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.action.get.MultiGetItemResponse;
import org.opensearch.action.get.MultiGetRequest;
import org.opensearch.action.get.MultiGetResponse;
import org.opensearch.core.action.ActionListener;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.search.fetch.subphase.FetchSourceContext;
import org.opensearch.transport.client.Client;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * For {@code skip_existing}: what the stored versions of a batch's documents hold in the target fields and their
 * hash fields, read with one realtime multi-get through the node client, so that a document indexed a moment ago
 * is seen too. A look-up that fails is a cache miss, never an error: the documents are then embedded afresh.
 * Thread-safe.
 */
final class StoredTargets {

    private static final Logger logger = LogManager.getLogger(StoredTargets.class);

    private final Client client;
    // Only the fields skip_existing compares and copies travel back, not the whole stored source.
    private final String[] includes;

    /** @param includes the source paths to read back: the targets and their hashes */
    StoredTargets(Client client, Collection<String> includes) {
        this.client = client;
        this.includes = includes.toArray(String[]::new);
    }

    /**
     * Answers {@code consumer}, on a search or transport thread, with the stored source of each document in order:
     * null where the document is null, has no {@code _id}, is not stored, or could not be read.
     */
    void fetch(List<IngestDocument> documents, Consumer<List<Map<String, Object>>> consumer) {
        MultiGetRequest request = new MultiGetRequest();
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < documents.size(); i++) {
            if (documents.get(i) == null) {
                continue;
            }
            Map<String, Object> metadata = documents.get(i).getSourceAndMetadata();
            Object index = metadata.get(IngestDocument.Metadata.INDEX.getFieldName());
            Object id = metadata.get(IngestDocument.Metadata.ID.getFieldName());
            if (index instanceof String && id instanceof String) {
                Object routing = metadata.get(IngestDocument.Metadata.ROUTING.getFieldName());
                request.add(
                    new MultiGetRequest.Item((String) index, (String) id).routing(routing == null ? null : routing.toString())
                        .fetchSourceContext(new FetchSourceContext(true, includes, null))
                );
                positions.add(i);
            }
        }
        List<Map<String, Object>> stored = new ArrayList<>(documents.size());
        for (int i = 0; i < documents.size(); i++) {
            stored.add(null);
        }
        if (positions.isEmpty()) {
            consumer.accept(stored);
            return;
        }
        // Once: a failure thrown by the consumer would come back as onFailure and answer the documents twice.
        client.multiGet(request, ActionListener.notifyOnce(new ActionListener<>() {
            @Override
            public void onResponse(MultiGetResponse response) {
                MultiGetItemResponse[] items = response.getResponses();
                for (int i = 0; i < items.length; i++) {
                    if (items[i].isFailed() == false && items[i].getResponse().isExists()) {
                        stored.set(positions.get(i), items[i].getResponse().getSourceAsMap());
                    } else if (items[i].isFailed()) {
                        logger.debug("cannot read stored document [{}] for skip_existing: {}", items[i].getId(), items[i].getFailure().getMessage());
                    }
                }
                consumer.accept(stored);
            }

            @Override
            public void onFailure(Exception e) {
                logger.debug("cannot read stored documents for skip_existing; embedding them all", e);
                consumer.accept(stored);
            }
        }));
    }
}
