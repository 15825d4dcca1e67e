package dev.sonnx.runtime.ops;

import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.tensor.Device;

/** What an operator's constructor may ask of the prepare step. */
public interface BuildContext {

    Device device();

    /** The version of {@code domain} ("" for ONNX) that the model imports, or -1 when it does not. */
    int opsetVersion(String domain);

    /**
     * The value of input {@code index} of the node being built when it is a constant that no run will
     * change (an initializer or folded constant of an inference model), else null. Operators use it to
     * prepare their weights once (pack, reorder, transpose) instead of at every run. Never null-check
     * a training model's weights through it: they change at every step, so they are not constant.
     */
    default dev.sonnx.runtime.tensor.Tensor constantInput(int index) {
        return null;
    }

    /**
     * Compiles a graph attribute (If/Loop/Scan body) with the names of the enclosing scopes visible
     * to it, once, at prepare.
     */
    Subgraph compileSubgraph(GraphProto graph);
}
