package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.backend.passes.PassTesting.assertMatchesOnnxRuntime;
import static dev.sonnx.runtime.backend.passes.PassTesting.node;
import static dev.sonnx.runtime.backend.passes.PassTesting.positive;
import static dev.sonnx.runtime.backend.passes.PassTesting.withFloat;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInt;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInts;
import static dev.sonnx.runtime.testing.Models.opTypes;
import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.OrtReference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The blocks of EfficientNet, SqueezeNet and DenseNet as PyTorch exports them: SiLU written as
 * Sigmoid and Mul, squeeze-and-excitation (a global pool, two 1 x 1 convolutions, a Sigmoid, and
 * the image multiplied by the result), Fire's Concat of two convolutions, DenseNet's
 * BatchNormalization and Relu of a Concat before a convolution, and ConvNeXt's block (a depthwise
 * convolution, a Transpose to [N, H, W, C], channels-last layers, a Transpose back, a per-channel
 * layer scale and a residual Add). With the activations fused into the
 * convolutions and the Mul, Concat and normalization inside the region, the whole network runs
 * channels-last between one reorder in and one out; its outputs match ONNX Runtime's on the
 * original graph.
 */
class ChannelsLastBlocksTest {

    /** x [2, 3, 10, 10] through the four blocks; {@code extraOutputs} become graph outputs too. */
    private static ModelProto network(String... extraOutputs) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("blocks")
                .addNode(withInts(node("Conv", "c1", "x", "w1", "b1"), "pads", 1, 1, 1, 1))
                .addNode(node("Relu", "r1", "c1"))
                // SiLU as exported: Mul(c2, Sigmoid(c2))
                .addNode(withInts(node("Conv", "c2", "r1", "w2"), "pads", 1, 1, 1, 1))
                .addNode(node("Sigmoid", "s2", "c2"))
                .addNode(node("Mul", "silu", "c2", "s2"))
                // squeeze-and-excitation
                .addNode(node("GlobalAveragePool", "g", "silu"))
                .addNode(node("Conv", "e1", "g", "wse1", "bse1"))
                .addNode(node("Sigmoid", "es", "e1"))
                .addNode(node("Mul", "e1silu", "es", "e1"))
                .addNode(node("Conv", "e2", "e1silu", "wse2", "bse2"))
                .addNode(node("Sigmoid", "gate", "e2"))
                .addNode(node("Mul", "se", "silu", "gate"))
                // Fire: two convolutions of one input, concatenated along the channels
                .addNode(node("Conv", "c3", "se", "w3"))
                .addNode(withInts(node("Conv", "c4", "se", "w4"), "pads", 1, 1, 1, 1))
                .addNode(withInt(node("Concat", "cat", "c3", "c4"), "axis", 1))
                // DenseNet: normalization and Relu of the concatenation, then a convolution
                .addNode(node("BatchNormalization", "bn", "cat", "scale", "bias", "mean", "var"))
                .addNode(node("Relu", "br", "bn"))
                .addNode(withInts(node("Conv", "y", "br", "w5"), "pads", 1, 1, 1, 1))
                .addInitializer(TensorProtos.fromTensor(random(1, 8, 3, 3, 3), "w1"))
                .addInitializer(TensorProtos.fromTensor(random(2, 8), "b1"))
                .addInitializer(TensorProtos.fromTensor(random(3, 8, 8, 3, 3), "w2"))
                .addInitializer(TensorProtos.fromTensor(random(4, 4, 8, 1, 1), "wse1"))
                .addInitializer(TensorProtos.fromTensor(random(5, 4), "bse1"))
                .addInitializer(TensorProtos.fromTensor(random(6, 8, 4, 1, 1), "wse2"))
                .addInitializer(TensorProtos.fromTensor(random(7, 8), "bse2"))
                .addInitializer(TensorProtos.fromTensor(random(8, 6, 8, 1, 1), "w3"))
                .addInitializer(TensorProtos.fromTensor(random(9, 4, 8, 3, 3), "w4"))
                .addInitializer(TensorProtos.fromTensor(positive(10, 10), "scale"))
                .addInitializer(TensorProtos.fromTensor(random(11, 10), "bias"))
                .addInitializer(TensorProtos.fromTensor(random(12, 10), "mean"))
                .addInitializer(TensorProtos.fromTensor(positive(13, 10), "var"))
                .addInitializer(TensorProtos.fromTensor(random(14, 5, 10, 3, 3), "w5"))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, 3, 10, 10))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 2, 5, 10, 10));
        for (String o : extraOutputs) {
            g.addOutput(Models.tensorInfoAnyShape(o, DataType.FLOAT));
        }
        return Models.model(g.build(), 13);
    }

    private static List<String> fusedActivations(ModelProto m) {
        List<String> r = new ArrayList<>();
        for (NodeProto n : m.getGraph().getNodeList()) {
            for (AttributeProto a : n.getAttributeList()) {
                if (a.getName().equals("activation")) {
                    r.add(n.getOpType() + ":" + a.getS().toStringUtf8());
                }
            }
        }
        return r;
    }

    @Test
    void theBlocksRunChannelsLastBetweenOneReorderInAndOneOut() {
        ModelProto m = network();
        ModelProto planned = InferencePasses.apply(m);
        List<String> ops = opTypes(planned);
        assertEquals(List.of("ToChannelsLast", "FusedConv", "FusedConv", "NhwcGlobalAveragePool", "FusedConv",
                "FusedConv", "Mul", "FusedConv", "FusedConv", "Concat", "NhwcBatchNormalization", "FusedConv",
                "ToChannelsFirst"), ops);
        assertEquals(List.of("FusedConv:Relu", "FusedConv:SiLU", "FusedConv:SiLU", "FusedConv:Sigmoid",
                "NhwcBatchNormalization:Relu"), fusedActivations(planned));
        NodeProto concat = planned.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Concat"))
                .findFirst().orElseThrow();
        assertEquals(3, GraphIndex.intAttr(concat, "axis", -1), "the channels are the stored last axis");
        assertMatchesOnnxRuntime(m, random(20, 2, 3, 10, 10));
    }

    /**
     * ConvNeXt's block: the Transposes around its channels-last layers become the region's own
     * storage (an Identity out, its source read in), and the layer scale [C, 1, 1] joins the region
     * as [C]: no reorder inside, and the stem's output permuted by hand needs none either.
     */
    @Test
    void convNextBlocksReadTheRegionsStorageThroughTheirTransposes() {
        int c = 8;
        GraphProto g = GraphProto.newBuilder().setName("convnext")
                .addNode(withInts(withInts(node("Conv", "s", "x", "stem"), "strides", 2, 2), "kernel_shape", 2, 2))
                .addNode(withInts(node("Transpose", "sl", "s"), "perm", 0, 2, 3, 1))
                .addNode(withInt(node("LayerNormalization", "sn", "sl", "lnw", "lnb"), "axis", -1))
                .addNode(withInts(node("Transpose", "sf", "sn"), "perm", 0, 3, 1, 2))
                .addNode(withInt(withInts(node("Conv", "d", "sf", "dw", "dwb"), "pads", 3, 3, 3, 3), "group", c))
                .addNode(withInts(node("Transpose", "dl", "d"), "perm", 0, 2, 3, 1))
                .addNode(withInt(node("LayerNormalization", "dn", "dl", "lnw", "lnb"), "axis", -1))
                .addNode(node("MatMul", "h", "dn", "fc1"))
                .addNode(node("Relu", "hr", "h"))
                .addNode(node("MatMul", "o", "hr", "fc2"))
                .addNode(withInts(node("Transpose", "of", "o"), "perm", 0, 3, 1, 2))
                .addNode(node("Mul", "scaled", "gamma", "of"))
                .addNode(node("Add", "res", "scaled", "sf"))
                .addNode(node("GlobalAveragePool", "y", "res"))
                .addInitializer(TensorProtos.fromTensor(random(30, c, 3, 2, 2), "stem"))
                .addInitializer(TensorProtos.fromTensor(positive(31, c), "lnw"))
                .addInitializer(TensorProtos.fromTensor(random(32, c), "lnb"))
                .addInitializer(TensorProtos.fromTensor(random(33, c, 1, 7, 7), "dw"))
                .addInitializer(TensorProtos.fromTensor(random(34, c), "dwb"))
                .addInitializer(TensorProtos.fromTensor(random(35, c, 4 * c), "fc1"))
                .addInitializer(TensorProtos.fromTensor(random(36, 4 * c, c), "fc2"))
                .addInitializer(TensorProtos.fromTensor(random(37, c, 1, 1), "gamma"))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, 3, 16, 16))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 2, c, 1, 1)).build();
        ModelProto m = Models.model(g, 17);
        List<String> ops = opTypes(InferencePasses.apply(m));
        assertEquals(1, ops.stream().filter(o -> o.equals("ToChannelsLast")).count(), ops.toString());
        assertEquals(1, ops.stream().filter(o -> o.equals("ToChannelsFirst")).count(), ops.toString());
        assertFalse(ops.contains("Transpose"), ops.toString());
        assertEquals(2, ops.stream().filter(o -> o.equals("Identity")).count(), ops.toString());
        assertMatchesOnnxRuntime(m, random(38, 2, 3, 16, 16));
    }

    /**
     * HardSwish as PyTorch exports it before opset 14 (MobileNet v3): HardSigmoid with alpha 1/6 and
     * beta 1/2, and a Mul of its input by its result, fuses into the convolution; with other
     * constants it is not HardSwish and stays.
     */
    @Test
    void hardSwishWrittenAsHardSigmoidAndMulFuses() {
        for (float alpha : new float[] {1f / 6, 0.2f}) {
            NodeProto gate = withFloat(withFloat(node("HardSigmoid", "h", "c"), "alpha", alpha), "beta", 0.5f);
            GraphProto g = GraphProto.newBuilder().setName("hardswish")
                    .addNode(withInts(node("Conv", "c", "x", "w1"), "pads", 1, 1, 1, 1))
                    .addNode(gate)
                    .addNode(node("Mul", "hs", "h", "c"))
                    .addNode(node("Conv", "y", "hs", "w2"))
                    .addInitializer(TensorProtos.fromTensor(random(40, 6, 3, 3, 3), "w1"))
                    .addInitializer(TensorProtos.fromTensor(random(41, 4, 6, 1, 1), "w2"))
                    .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, 3, 9, 9))
                    .addOutput(Models.tensorInfo("y", DataType.FLOAT, 2, 4, 9, 9)).build();
            ModelProto m = Models.model(g, 13);
            ModelProto planned = InferencePasses.apply(m);
            boolean hardSwish = alpha != 0.2f;
            assertEquals(hardSwish, fusedActivations(planned).contains("FusedConv:HardSwish"),
                    fusedActivations(planned).toString());
            assertEquals(!hardSwish, opTypes(planned).contains("HardSigmoid"), opTypes(planned).toString());
            assertMatchesOnnxRuntime(m, random(42, 2, 3, 9, 9));
        }
    }

    /** Values read outside stay whole: a Sigmoid seen by the caller is not fused, a Relu seen outside neither. */
    @Test
    void intermediatesTheCallerReadsAreKept() {
        ModelProto m = network("s2", "bn", "cat");
        ModelProto planned = InferencePasses.apply(m);
        List<String> activations = fusedActivations(planned);
        assertEquals(1, activations.stream().filter(a -> a.equals("FusedConv:SiLU")).count(), activations.toString());
        assertFalse(activations.contains("NhwcBatchNormalization:Relu"), activations.toString());
        assertTrue(opTypes(planned).contains("Sigmoid"), opTypes(planned).toString());
        assertTrue(opTypes(planned).contains("Relu"), opTypes(planned).toString());
        assertMatchesOnnxRuntime(m, random(21, 2, 3, 10, 10));
    }

    /** A NaN and infinities through the fused SiLU and the normalization, as the graph computes them. */
    @Test
    void specialValuesFollowTheGraph() {
        Tensor x = random(22, 2, 3, 10, 10);
        x.setFloat(0, Float.NaN);
        x.setFloat(17, Float.POSITIVE_INFINITY);
        x.setFloat(333, Float.NEGATIVE_INFINITY);
        ModelProto m = network();
        List<Tensor> expected = OrtReference.run(m, List.of("x"), List.of(x));
        List<Tensor> actual = SingaBackend.prepare(m, CpuDevice.get()).run(List.of(x));
        for (int i = 0; i < expected.get(0).size(); i++) {
            float ev = expected.get(0).getFloat(i);
            float av = actual.get(0).getFloat(i);
            assertTrue(Float.isNaN(ev) == Float.isNaN(av) && (Float.isNaN(ev) || Math.abs(av - ev) <= 1e-4 * (1 + Math.abs(ev))),
                    "element " + i + ": " + av + ", expected " + ev);
        }
    }
}
