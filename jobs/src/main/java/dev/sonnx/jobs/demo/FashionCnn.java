package dev.sonnx.jobs.demo;

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
import java.util.SplittableRandom;

/**
 * The main job's model, written as an exporter would write it (opset 13): two Conv-BatchNorm-Relu-
 * MaxPool blocks (32 and 64 channels of 3x3), then Flatten, Gemm(3136 -> 128), Relu, Gemm(128 -> 10).
 * Weights use He initialization from a fixed seed, so every run starts from the same model.
 */
public final class FashionCnn {
    private final GraphProto.Builder g = GraphProto.newBuilder().setName("fashion_cnn");
    private final SplittableRandom random;

    private FashionCnn(long seed) {
        this.random = new SplittableRandom(seed);
    }

    public static ModelProto build(long seed) {
        return new FashionCnn(seed).model();
    }

    private ModelProto model() {
        g.addInput(info("image", -1, 1, 28, 28));
        String x = block("image", 1, 32, 1);
        x = block(x, 32, 64, 2);
        node("Flatten", "flatten", new String[] {x}, "flat", attr("axis", 1));
        gemm("fc1", "flat", 64 * 7 * 7, 128, "fc1_out");
        node("Relu", "fc1_relu", new String[] {"fc1_out"}, "fc1_act");
        gemm("fc2", "fc1_act", 128, 10, "logits");
        g.addOutput(info("logits", -1, 10));
        return ModelProto.newBuilder().setIrVersion(7).setProducerName("sonnx").setProducerVersion("0.1.0")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                .setGraph(g).build();
    }

    private String block(String in, int cin, int cout, int index) {
        String p = "conv" + index;
        init(p + ".weight", he(cin * 9, cout, cin, 3, 3));
        init(p + ".bias", Tensor.zeros(DataType.FLOAT, cout));
        node("Conv", p, new String[] {in, p + ".weight", p + ".bias"}, p + "_out",
                ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1), ints("strides", 1, 1));
        String bn = "bn" + index;
        init(bn + ".weight", filled(1f, cout));
        init(bn + ".bias", Tensor.zeros(DataType.FLOAT, cout));
        init(bn + ".running_mean", Tensor.zeros(DataType.FLOAT, cout));
        init(bn + ".running_var", filled(1f, cout));
        node("BatchNormalization", bn, new String[] {p + "_out", bn + ".weight", bn + ".bias", bn + ".running_mean",
                bn + ".running_var"}, bn + "_out", attr("epsilon", 1e-5f), attr("momentum", 0.9f));
        node("Relu", "relu" + index, new String[] {bn + "_out"}, "relu" + index + "_out");
        node("MaxPool", "pool" + index, new String[] {"relu" + index + "_out"}, "pool" + index + "_out",
                ints("kernel_shape", 2, 2), ints("strides", 2, 2));
        return "pool" + index + "_out";
    }

    private void gemm(String name, String in, int fanIn, int out, String output) {
        init(name + ".weight", he(fanIn, out, fanIn));
        init(name + ".bias", Tensor.zeros(DataType.FLOAT, out));
        node("Gemm", name, new String[] {in, name + ".weight", name + ".bias"}, output, attr("transB", 1));
    }

    private Tensor he(int fanIn, int... shape) {
        Tensor t = Tensor.zeros(DataType.FLOAT, shape);
        double std = Math.sqrt(2.0 / fanIn);
        var f = t.floats();
        for (int i = 0; i < t.size(); i++) {
            f.put(i, (float) (gaussian() * std));
        }
        return t;
    }

    private double gaussian() {
        double u = 1 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    private static Tensor filled(float v, int n) {
        Tensor t = Tensor.zeros(DataType.FLOAT, n);
        for (int i = 0; i < n; i++) {
            t.setFloat(i, v);
        }
        return t;
    }

    private void init(String name, Tensor t) {
        g.addInitializer(TensorProtos.fromTensor(t, name));
    }

    private void node(String op, String name, String[] inputs, String output, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
        for (String i : inputs) {
            n.addInput(i);
        }
        for (AttributeProto a : attrs) {
            n.addAttribute(a);
        }
        g.addNode(n);
    }

    private static AttributeProto attr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static AttributeProto attr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    private static ValueInfoProto info(String name, int... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (int d : dims) {
            s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N")
                    : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(DataType.FLOAT.code()).setShape(s))).build();
    }
}
