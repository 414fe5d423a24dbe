package io.semanticsearch.mapper;

import io.semanticsearch.embed.EmbeddingModel;
import io.semanticsearch.embed.ModelRegistry;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.common.logging.HeaderWarning;
import org.opensearch.index.mapper.MapperParsingException;

/**
 * The model a {@code semantic_vector} field ends up with ({@code name} null: none, so only vectors can query it) and
 * its dims, resolved against the node's registry when a user maps the field; a mapping read back with its recorded
 * model, dims and fingerprint is not resolved again.
 */
record VectorFieldModel(String name, int dims) {

    private static final Logger logger = LogManager.getLogger(VectorFieldModel.class);

    /**
     * Fills in what the mapping left out: the model defaults to the registry's default when the dims agree (a field
     * mapped for another model's vectors gets none rather than a wrong one), and the dims come from the model.
     *
     * <p>A named model this node has not loaded is accepted when {@code dims} is given, with a warning: mappings are
     * parsed again on every node at recovery, and a node missing a custom model must still open the index. Text
     * queries then fail with the model's name.
     */
    static VectorFieldModel resolve(String field, String model, Integer dims, ModelRegistry registry) {
        if (registry == null || (model == null && registry.defaultModelName() == null)) {
            if (dims == null) {
                throw new MapperParsingException(
                    "[" + SemanticVectorFieldMapper.CONTENT_TYPE + "] field [" + field + "] needs [dims]: no embedding model is loaded to take them from"
                );
            }
            return new VectorFieldModel(model, dims);
        }
        if (model == null) {
            EmbeddingModel fallback = registry.defaultModel();
            boolean fits = dims == null || dims == fallback.dims();
            return fits ? new VectorFieldModel(fallback.name(), fallback.dims()) : new VectorFieldModel(null, dims);
        }
        EmbeddingModel named;
        try {
            named = registry.get(model);
        } catch (IllegalArgumentException e) {
            if (dims == null) {
                throw new MapperParsingException("[" + SemanticVectorFieldMapper.CONTENT_TYPE + "] field [" + field + "] has [model] [" + model + "]: " + e.getMessage());
            }
            String warning = "[" + SemanticVectorFieldMapper.CONTENT_TYPE + "] field [" + field + "] names [model] [" + model + "], which is not loaded on this "
                + "node; queries with text on it will fail here: " + e.getMessage();
            HeaderWarning.addWarning(warning);
            logger.warn(warning);
            return new VectorFieldModel(model, dims);
        }
        if (dims != null && dims != named.dims()) {
            throw new MapperParsingException(
                "["
                    + SemanticVectorFieldMapper.CONTENT_TYPE
                    + "] field ["
                    + field
                    + "] has [dims] ["
                    + dims
                    + "] but [model] ["
                    + model
                    + "] makes vectors of ["
                    + named.dims()
                    + "] dims; leave [dims] out or make them match"
            );
        }
        return new VectorFieldModel(named.name(), named.dims());
    }
}
