package dev.sonnx.runtime.testing;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TypeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;

/** Small ONNX models built in code for tests. */
public final class Models {
    private Models() {
    }

    /** A tensor value declaration; a negative dim is symbolic ("N"). */
    public static ValueInfoProto tensorInfo(String name, DataType type, int... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (int d : dims) {
            s.addDim(d >= 0 ? TensorShapeProto.Dimension.newBuilder().setDimValue(d)
                    : TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.code()).setShape(s))).build();
    }

    public static NodeProto node(String op, String name, String[] inputs, String[] outputs) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(name);
        for (String i : inputs) {
            b.addInput(i);
        }
        for (String o : outputs) {
            b.addOutput(o);
        }
        return b.build();
    }

    /** A model around {@code graph} importing ONNX opset {@code opset}. */
    public static ModelProto model(GraphProto graph, int opset) {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("sonnx-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph).build();
    }

    /** y = x + w with w an initializer: the smallest model with a weight. */
    public static ModelProto addWeight(Tensor w) {
        GraphProto g = GraphProto.newBuilder().setName("add")
                .addNode(node("Add", "add", new String[] {"x", "w"}, new String[] {"y"}))
                .addInitializer(TensorProtos.fromTensor(w, "w"))
                .addInput(tensorInfo("x", w.dtype(), w.shape()))
                .addOutput(tensorInfo("y", w.dtype(), w.shape()))
                .build();
        return model(g, 13);
    }
}
