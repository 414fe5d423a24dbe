package io.semanticsearch.embed;

import org.opensearch.common.Nullable;

/**
 * Which model a field's vectors come from: its name, the dims of its vectors and the fingerprint of its files, as a
 * mapping records them. Two vectors may be compared only when they come from the same model, and a node may embed for
 * a field only with the files the field was mapped with: this type holds the one rule for both, and every path that
 * embeds or compares (queries by text, vector or like, hybrid, diversity, {@code _rag}, the highlighter, both
 * processors) goes through it, so that none can forget it and all say the same.
 *
 * @param name        the model's name; null for a field that has none (its vectors are the user's)
 * @param dims        the dims of its vectors; null where not known
 * @param fingerprint the fingerprint of the files the mapping was made with; null where it recorded none
 */
public record ModelIdentity(@Nullable String name, @Nullable Integer dims, @Nullable String fingerprint) {

    /** A loaded model's identity. */
    public static ModelIdentity of(EmbeddingModel model) {
        return new ModelIdentity(model.name(), model.dims(), model.fingerprint());
    }

    /**
     * That a vector made by {@code vectorModel} may be compared with vectors of this identity: a vector of unknown
     * model (null: one the user sent) is the user's to vouch for.
     *
     * @param what what holds this identity's vectors, e.g. {@code field [body] in index [docs]}
     * @throws IllegalArgumentException naming both models, when they differ
     */
    public void requireComparable(@Nullable String vectorModel, String what) {
        if (vectorModel != null && vectorModel.equals(name) == false) {
            String holds = name == null ? "has no model" : "holds vectors of [model] [" + name + "]";
            throw new IllegalArgumentException(
                "the vector is from [model] [" + vectorModel + "], but " + what + " " + holds
                    + "; vectors of different models cannot be compared"
            );
        }
    }

    /**
     * That {@code local}, a node's model of this name, may embed for what recorded this identity: the same files.
     * Other files under the same name make vectors that merely look alike.
     *
     * @param node the node whose model it is, for the message
     * @throws IllegalArgumentException naming the node and both fingerprints, when they differ
     */
    public void requireSameFiles(EmbeddingModel local, String node) {
        if (fingerprint != null && fingerprint.equals(local.fingerprint()) == false) {
            throw new IllegalArgumentException(
                "model [" + local.name() + "] has fingerprint [" + local.fingerprint() + "] on node [" + node + "], but the mapping "
                    + "records [" + fingerprint + "]; give every node the same files for [" + local.name() + "]"
            );
        }
    }
}
