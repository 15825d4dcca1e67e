package dev.sonnx.driver.rank;

import dev.sonnx.runtime.model.Activation;
import dev.sonnx.runtime.model.Linear;
import dev.sonnx.runtime.model.SonnxModel;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.List;

/**
 * The model a fine-tuning job trains: the imported graph, optionally cut ({@code lastLayers}) and
 * followed by a new Linear head (SINGA's transfer-learning example), flattening the cut's output
 * first when it has more than two dimensions.
 */
public final class FineTuneModel extends SonnxModel {
    private final int lastLayers;
    private final Activation flatten;
    private final Linear head;

    public FineTuneModel(ModelProto onnx, Device device, int lastLayers, int headClasses, long seed) {
        super(onnx, device);
        this.lastLayers = lastLayers;
        this.flatten = headClasses > 0 ? Activation.flatten() : null;
        this.head = headClasses > 0 ? new Linear(-1, headClasses, true, seed) : null;
    }

    @Override
    public List<Tensor> forward(Tensor... x) {
        List<Tensor> out = forward(lastLayers, x);
        if (head == null) {
            return out;
        }
        Tensor features = out.get(0);
        if (features.rank() != 2) {
            features = flatten.forward(features);
        }
        return List.of(head.forward(features));
    }
}
