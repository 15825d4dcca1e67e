package dev.sonnx.driver.ml;

import dev.sonnx.driver.io.Digests;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.tensor.Device;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prepared models of this executor JVM, keyed by the model's content and device: every task of a
 * batch-inference job on this executor shares one {@link SingaRep} (prepare runs once per JVM, as
 * SynapseML's ONNXModel does with its session cache).
 */
public final class ExecutorModelCache {
    private static final ConcurrentHashMap<String, SingaRep> CACHE = new ConcurrentHashMap<>();

    private ExecutorModelCache() {
    }

    public static SingaRep get(byte[] modelBytes, String device) {
        String key = Digests.sha256(modelBytes) + "@" + device;
        return CACHE.computeIfAbsent(key, k -> SingaBackend.prepare(ModelIO.parse(modelBytes, "broadcast model", null),
                Device.parse(device), SingaBackend.PrepareOptions.DEFAULTS.named("broadcast model")));
    }

    /** How many prepared models this JVM holds (for tests of the once-per-JVM rule). */
    public static int size() {
        return CACHE.size();
    }
}
