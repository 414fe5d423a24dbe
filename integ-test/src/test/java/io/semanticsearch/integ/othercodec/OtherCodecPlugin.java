package io.semanticsearch.integ.othercodec;

import org.opensearch.common.settings.Setting;
import org.opensearch.index.IndexSettings;
import org.opensearch.index.codec.CodecService;
import org.opensearch.index.codec.CodecServiceFactory;
import org.opensearch.plugins.EnginePlugin;
import org.opensearch.plugins.Plugin;

import java.util.List;
import java.util.Optional;

/**
 * Stands for another plugin that supplies a codec service for the indices it owns (as k-NN does for
 * {@code index.knn}): {@link CodecServiceIT} installs it beside ours. Not part of the product; packaged by the test.
 */
public class OtherCodecPlugin extends Plugin implements EnginePlugin {

    public static final Setting<Boolean> ENABLED = Setting.boolSetting("index.other_codec.enabled", false, Setting.Property.IndexScope, Setting.Property.Final);

    @Override
    public List<Setting<?>> getSettings() {
        return List.of(ENABLED);
    }

    @Override
    public Optional<CodecServiceFactory> getCustomCodecServiceFactory(IndexSettings indexSettings) {
        if (ENABLED.get(indexSettings.getSettings()) == false) {
            return Optional.empty();
        }
        return Optional.of(config -> new CodecService(config.getMapperService(), config.getIndexSettings(), config.getLogger(), config.getAdditionalCodecs()));
    }
}
