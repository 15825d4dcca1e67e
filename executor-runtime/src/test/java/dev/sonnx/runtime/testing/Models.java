package dev.sonnx.runtime.testing;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.Attrs;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TypeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.List;
import java.util.SplittableRandom;

/** Small ONNX models built in code for tests: nodes, types, graphs with bodies, and runs of them. */
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

    /** A tensor value declaration of unknown shape (any rank). */
    public static ValueInfoProto tensorInfoAnyShape(String name, DataType type) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.code()))).build();
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

    // ------------------------------------------------------------------ types

    public static TypeProto tensorType(DataType t, int... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (int d : dims) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(t.code()).setShape(s))
                .build();
    }

    /** A tensor type without a shape. */
    public static TypeProto anyShape(DataType t) {
        return TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(t.code())).build();
    }

    public static TypeProto sequenceType(DataType t) {
        return TypeProto.newBuilder().setSequenceType(TypeProto.Sequence.newBuilder().setElemType(anyShape(t)))
                .build();
    }

    public static TypeProto optionalType(TypeProto element) {
        return TypeProto.newBuilder().setOptionalType(TypeProto.Optional.newBuilder().setElemType(element)).build();
    }

    public static ValueInfoProto value(String name, TypeProto type) {
        return ValueInfoProto.newBuilder().setName(name).setType(type).build();
    }

    public static ValueInfoProto tensor(String name, DataType t, int... dims) {
        return value(name, tensorType(t, dims));
    }

    // ------------------------------------------------------------------ nodes and attributes

    public static NodeProto node(String op, List<String> inputs, List<String> outputs, AttributeProto... attrs) {
        return NodeProto.newBuilder().setOpType(op).addAllInput(inputs).addAllOutput(outputs)
                .addAllAttribute(List.of(attrs)).build();
    }

    public static AttributeProto graph(String name, GraphProto g) {
        return Attrs.of(name, g);
    }

    public static AttributeProto integer(String name, long v) {
        return Attrs.of(name, v);
    }

    public static AttributeProto floating(String name, float v) {
        return Attrs.of(name, v);
    }

    public static AttributeProto ints(String name, long... v) {
        return Attrs.ints(name, v);
    }

    public static AttributeProto string(String name, String v) {
        return Attrs.of(name, v);
    }

    public static AttributeProto type(String name, TypeProto t) {
        return Attrs.of(name, t);
    }

    // ------------------------------------------------------------------ graphs and models

    /** A graph; {@code initializers} are (name, tensor) pairs. */
    public static GraphProto graph(String name, List<NodeProto> nodes, List<ValueInfoProto> inputs,
                                   List<ValueInfoProto> outputs, Object... initializers) {
        GraphProto.Builder g = GraphProto.newBuilder().setName(name).addAllNode(nodes).addAllInput(inputs)
                .addAllOutput(outputs);
        for (int i = 0; i < initializers.length; i += 2) {
            g.addInitializer(TensorProtos.fromTensor((Tensor) initializers[i + 1], (String) initializers[i]));
        }
        return g.build();
    }


    /** The op types of the graph's nodes, in order. */
    public static List<String> opTypes(ModelProto m) {
        return m.getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
    }

    public static SingaRep prepare(GraphProto g, int opset) {
        return SingaBackend.prepare(model(g, opset), CpuDevice.get());
    }

    /** Prepares and runs the graph on {@code inputs} (in graph input order) with a fixed random seed. */
    public static List<Value> run(GraphProto g, int opset, Value... inputs) {
        return prepare(g, opset).runValues(List.of(inputs), -1, false, null, new SplittableRandom(1));
    }

    // ------------------------------------------------------------------ values

    public static Tensor floats(float[] data, int... shape) {
        return Tensor.of(data, shape);
    }

    public static Tensor longScalar(long v) {
        return Tensor.of(new long[] {v});
    }

    public static Tensor bool(boolean v) {
        return Tensor.of(new boolean[] {v});
    }
}
