package io.semanticsearch.embed;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static java.util.stream.Collectors.toSet;

/**
 * The embedding models of a node: every sub-folder of the model roots (bundled with the plugin, then custom ones
 * in the node's config folder) loaded once at start. A folder that fails to load is recorded with its reason and
 * never stops the others. Immutable after {@link #load}, so thread-safe; loading costs a second or so per model.
 */
public final class ModelRegistry implements Closeable {

    private static final Logger logger = LogManager.getLogger(ModelRegistry.class);

    /** Used when no model.json says {@code "default": true}. */
    public static final String FALLBACK_DEFAULT = "all-minilm-l6-v2";

    /** Where a model folder came from. */
    public enum Source {
        /** Shipped in the plugin's {@code models/} folder. */
        BUNDLED,
        /** Added by the operator under {@code <config>/opensearch-semantic/models/}. */
        CUSTOM
    }

    /** A folder whose sub-folders are models. */
    public record Root(Path dir, Source source) {}

    /**
     * What became of one model folder.
     *
     * @param name     the model's name, or the folder's name when it failed before its model.json was read
     * @param failure  why it did not load; {@code null} when it loaded
     */
    public record ModelStatus(String name, Path folder, Source source, String failure) {
        public boolean loaded() {
            return failure == null;
        }
    }

    private final Map<String, EmbeddingModel> models;
    private final List<ModelStatus> statuses;
    private final String defaultName;
    // Why this node has no models at all, when it was told not to load any; null otherwise.
    private final String notLoaded;

    private ModelRegistry(Map<String, EmbeddingModel> models, List<ModelStatus> statuses, String defaultName) {
        this(models, statuses, defaultName, null);
    }

    private ModelRegistry(Map<String, EmbeddingModel> models, List<ModelStatus> statuses, String defaultName, String notLoaded) {
        this.models = Collections.unmodifiableMap(models);
        this.statuses = List.copyOf(statuses);
        this.defaultName = defaultName;
        this.notLoaded = notLoaded;
    }

    /**
     * A registry of a node that loads no models ({@code plugins.semantic.models.load: false}, for nodes that only hold
     * data): every request for a model says so.
     */
    public static ModelRegistry none(String reason) {
        return new ModelRegistry(Map.of(), List.of(), null, reason);
    }

    /** Whether this node loads models at all. */
    public boolean loadsModels() {
        return notLoaded == null;
    }

    /** The standard roots: {@code <pluginDir>/models} (bundled) and {@code <configDir>/opensearch-semantic/models} (custom). */
    public static List<Root> standardRoots(Path pluginDir, Path configDir) {
        return List.of(
            new Root(pluginDir.resolve("models"), Source.BUNDLED),
            new Root(configDir.resolve("opensearch-semantic").resolve("models"), Source.CUSTOM)
        );
    }

    /**
     * The names the model folders under the roots give in their {@code model.json}, without loading any model: what a
     * node publishes at start ({@link NodesWithModels#MODELS_ATTRIBUTE}). A folder whose {@code model.json} cannot be
     * read names nothing.
     */
    public static List<String> declaredNames(List<Root> roots) {
        Set<String> names = new TreeSet<>();
        for (Root root : roots) {
            for (Path folder : modelFolders(root)) {
                try {
                    names.add(ModelConfig.load(folder.resolve(ModelConfig.FILE_NAME)).name());
                } catch (IOException | RuntimeException e) {
                    // reported when the registry loads the folder
                }
            }
        }
        return List.copyOf(names);
    }

    /**
     * Loads every model folder under the roots, in root order then folder-name order. Roots that do not exist
     * are skipped (the custom one usually does not); plain files and hidden folders in a root are ignored.
     *
     * @param threads how many threads one forward pass of each model may use
     */
    public static ModelRegistry load(List<Root> roots, int threads) {
        return load(roots, threads, Long.MAX_VALUE);
    }

    /**
     * Like {@link #load(List, int)}, but a model whose ONNX file would take the models' total over
     * {@code maxMemoryBytes} is not loaded and is listed as failed: ONNX Runtime holds a model's weights in native
     * memory, about the size of its file, outside the JVM heap and its circuit breakers.
     */
    public static ModelRegistry load(List<Root> roots, int threads, long maxMemoryBytes) {
        long used = 0;
        Map<String, EmbeddingModel> models = new LinkedHashMap<>();
        Set<String> custom = new HashSet<>();
        List<ModelStatus> statuses = new ArrayList<>();
        for (Root root : roots) {
            for (Path folder : modelFolders(root)) {
                String folderName = folder.getFileName().toString();
                long need = onnxBytes(folder);
                if (used + need > maxMemoryBytes) {
                    String failure = "loading it would take the models' memory to [" + ((used + need) >> 20)
                        + "mb], over [plugins.semantic.models.max_memory] = [" + (maxMemoryBytes >> 20)
                        + "mb]; raise that setting or remove models";
                    logger.warn("not loading embedding model from [{}]: {}", folder, failure);
                    statuses.add(new ModelStatus(folderName, folder, root.source(), failure));
                    continue;
                }
                EmbeddingModel model;
                try {
                    model = EmbeddingModel.load(folder, threads);
                } catch (Exception | LinkageError e) {
                    // LinkageError: ONNX Runtime's native library could not be loaded; the node should still start.
                    logger.warn("cannot load embedding model from [{}]: {}", folder, e.getMessage());
                    logger.debug("cause", e);
                    statuses.add(new ModelStatus(folderName, folder, root.source(), describe(e)));
                    continue;
                }
                EmbeddingModel taken = models.get(model.name());
                if (taken != null) {
                    model.close();
                    String failure = "model name [" + model.name() + "] is already used by [" + taken.folder() + "]; "
                        + "rename it in model.json";
                    logger.warn("cannot load embedding model from [{}]: {}", folder, failure);
                    statuses.add(new ModelStatus(model.name(), folder, root.source(), failure));
                    continue;
                }
                logger.info(
                    "loaded embedding model [{}] from [{}] ({} dims, {} MB)",
                    model.name(),
                    folder,
                    model.dims(),
                    model.modelBytes() >> 20
                );
                models.put(model.name(), model);
                used += model.modelBytes();
                if (root.source() == Source.CUSTOM) {
                    custom.add(model.name());
                }
                statuses.add(new ModelStatus(model.name(), folder, root.source(), null));
            }
        }
        Set<String> marked = models.values().stream().filter(m -> m.config().isDefault()).map(EmbeddingModel::name).collect(toSet());
        return new ModelRegistry(models, statuses, pickDefault(List.copyOf(models.keySet()), marked, custom));
    }

    private static long onnxBytes(Path folder) {
        try {
            return Files.size(folder.resolve(EmbeddingModel.ONNX_FILE));
        } catch (IOException e) {
            return 0; // loading reports the missing file
        }
    }

    private static List<Path> modelFolders(Root root) {
        if (Files.isDirectory(root.dir()) == false) {
            logger.debug("no model folder at [{}]", root.dir());
            return List.of();
        }
        try (Stream<Path> entries = Files.list(root.dir())) {
            return entries.filter(Files::isDirectory).filter(p -> p.getFileName().toString().startsWith(".") == false).sorted().toList();
        } catch (IOException e) {
            logger.warn("cannot list model folder [{}]: {}", root.dir(), e.getMessage());
            return List.of();
        }
    }

    /**
     * A model marked default, where a custom one wins over a bundled one since the operator put it there to be
     * used; else {@link #FALLBACK_DEFAULT}; else the first loaded model; {@code null} when none loaded.
     *
     * @param loaded  loaded model names in load order
     * @param marked  those whose model.json says {@code "default": true}
     * @param custom  those from a custom root
     */
    static String pickDefault(List<String> loaded, Set<String> marked, Set<String> custom) {
        List<String> candidates = loaded.stream().filter(marked::contains).toList();
        if (candidates.isEmpty() == false) {
            String chosen = candidates.stream().filter(custom::contains).findFirst().orElse(candidates.get(0));
            if (candidates.size() > 1) {
                logger.info("models {} are all marked default; using [{}]", candidates, chosen);
            }
            return chosen;
        }
        if (loaded.contains(FALLBACK_DEFAULT)) {
            return FALLBACK_DEFAULT;
        }
        return loaded.isEmpty() ? null : loaded.get(0);
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }

    /**
     * The loaded model of that name.
     *
     * @throws IllegalArgumentException naming the loaded models when there is none of that name
     */
    public EmbeddingModel get(String name) {
        EmbeddingModel model = models.get(name);
        if (model != null) {
            return model;
        }
        for (ModelStatus status : statuses) {
            if (status.name().equals(name) && status.loaded() == false) {
                throw new IllegalArgumentException("model [" + name + "] failed to load: " + status.failure());
            }
        }
        if (notLoaded != null) {
            throw new IllegalArgumentException("model [" + name + "] is not here: " + notLoaded);
        }
        throw new IllegalArgumentException("unknown model [" + name + "]; loaded models are " + models.keySet());
    }

    /**
     * The first loaded model, in load order, whose {@code model.json} says it is a quantized build of {@code name}
     * ({@code quantized_from}); null when none is loaded. Load order is the sorted folder names, so nodes with the
     * same files pick the same variant.
     */
    public EmbeddingModel quantizedVariant(String name) {
        for (EmbeddingModel model : models.values()) {
            if (name.equals(model.config().quantizedFrom())) {
                return model;
            }
        }
        return null;
    }

    /**
     * The model to use when a request names none.
     *
     * @throws IllegalStateException when no model loaded, listing why each folder failed
     */
    public EmbeddingModel defaultModel() {
        // IllegalStateException (a 500) when models failed to load; IllegalArgumentException on a node told to load none.
        if (defaultName == null) {
            if (notLoaded != null) {
                // Not a fault of the node but a request sent to the wrong one: a 400 that says where to send it.
                throw new IllegalArgumentException("no embedding model is loaded: " + notLoaded);
            }
            throw new IllegalStateException("no embedding model is loaded; " + failureSummary());
        }
        return models.get(defaultName);
    }

    private String failureSummary() {
        List<String> failures = statuses.stream().filter(s -> s.loaded() == false).map(s -> s.folder() + ": " + s.failure()).toList();
        return failures.isEmpty() ? "no model folders were found" : "failures: " + failures;
    }

    /** The default model's name, or {@code null} when no model loaded. */
    public String defaultModelName() {
        return defaultName;
    }

    /** Names of the loaded models, in load order. */
    public Set<String> modelNames() {
        return models.keySet();
    }

    /** One entry per model folder found, loaded or not, in load order. */
    public List<ModelStatus> statuses() {
        return statuses;
    }

    /** Closes every model; running calls finish first. */
    @Override
    public void close() {
        RuntimeException failure = null;
        for (EmbeddingModel model : models.values()) {
            try {
                model.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
