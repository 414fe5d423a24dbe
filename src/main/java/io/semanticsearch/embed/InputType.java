package io.semanticsearch.embed;

/**
 * Whether a text is a search query or a passage to be searched: models such as bge and e5 were trained with a
 * different prefix for each, and vectors only match well when the same prefixes are used.
 */
public enum InputType {
    QUERY {
        @Override
        public String prefix(ModelConfig config) {
            return config.queryPrefix();
        }
    },
    PASSAGE {
        @Override
        public String prefix(ModelConfig config) {
            return config.passagePrefix();
        }
    };

    /** The text to put before an input of this type for the given model (often empty). */
    public abstract String prefix(ModelConfig config);
}
