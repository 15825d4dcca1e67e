package dev.sonnx.runtime.ops;

import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.tensor.Device;

/** What an operator's constructor may ask of the prepare step. */
public interface BuildContext {

    Device device();

    /** The version of {@code domain} ("" for ONNX) that the model imports, or -1 when it does not. */
    int opsetVersion(String domain);

    /**
     * Compiles a graph attribute (If/Loop/Scan body) with the names of the enclosing scopes visible
     * to it, once, at prepare.
     */
    Subgraph compileSubgraph(GraphProto graph);
}
