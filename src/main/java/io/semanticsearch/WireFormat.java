package io.semanticsearch;

import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;

import java.io.IOException;

/**
 * The version of what this plugin sends between nodes (its queries, its nodes actions' answers). Each such message
 * starts with it, so that a node reading one from a newer plugin says so instead of misreading the bytes; a newer
 * plugin reads every older version it knows. OpenSearch's own stream version does not move with this plugin.
 * Raise {@link #CURRENT} with any change to a message's layout, and keep reading the older ones.
 */
public final class WireFormat {

    /**
     * 1: the first versioned format (plugin 0.1.0). 2: {@code _rag}'s answer carries its answer model. 3: a node's
     * models carry their default chunking. 4: a whole-result ranking's fused hits carry their semantic side (whose
     * passages each hit brings), and a hybrid search that reaches one shard goes there as {@code semantic_shard_fusion}.
     */
    public static final int CURRENT = 4;

    /** The first version whose fused hits carry their semantic side. */
    public static final int FUSED_HITS_WITH_SEMANTIC_SIDE = 4;

    private WireFormat() {}

    public static void writeHeader(StreamOutput out) throws IOException {
        out.writeVInt(CURRENT);
    }

    /**
     * @param what the message, for the error
     * @return the version the message was written in
     * @throws IllegalStateException for a message of a newer plugin
     */
    public static int readHeader(StreamInput in, String what) throws IOException {
        int version = in.readVInt();
        if (version > CURRENT) {
            throw new IllegalStateException(
                "[" + what + "] was sent by a newer opensearch-semantic (wire format [" + version + "], this node reads up to ["
                    + CURRENT + "]): upgrade the plugin on every node of the cluster"
            );
        }
        return version;
    }
}
