package dev.sonnx.runtime.export;

import dev.sonnx.runtime.model.SonnxModel;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.List;
import java.util.Map;

/** SINGA's module-level {@code sonnx.to_onnx}, for code ported from Python; see {@link SingaFrontend}. */
public final class Sonnx {
    private Sonnx() {
    }

    /** {@code sonnx.to_onnx(inputs, outputs)} over the current Autograd session, at the default opset. */
    public static ModelProto toOnnx(List<Tensor> inputs, List<Tensor> outputs, Map<Tensor, String> names) {
        return SingaFrontend.toOnnx(inputs, outputs, names, SingaFrontend.DEFAULT_OPSET);
    }

    /** A model with its added layers, traced on {@code sampleInputs}, at the default opset. */
    public static ModelProto toOnnx(SonnxModel model, List<Tensor> sampleInputs) {
        return SingaFrontend.toOnnx(model, sampleInputs, SingaFrontend.DEFAULT_OPSET);
    }
}
