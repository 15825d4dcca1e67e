package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.backend.passes.PassTesting.node;
import static dev.sonnx.runtime.backend.passes.PassTesting.opTypes;
import static dev.sonnx.runtime.backend.passes.PassTesting.random;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInt;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.conformance.ValueComparator;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.conv.ZeroPadding;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.OrtReference;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which zero Pads move into the Conv or pool after them, and that every model, rewritten or not,
 * gives ONNX Runtime's outputs for the original graph (x drawn from [-1, 1], so negative values
 * meet a max pool's padding where no Relu comes first).
 */
class PadFusionTest {
    private static final int[] X = {2, 3, 7, 6};

    /** x -> [Relu ->] Pad(pads, value) -> {@code reader} -> y, opset 13 (pads and value as initializers). */
    private static ModelProto model(boolean relu, long[] pads, float value, String mode, NodeProto reader, int... yShape) {
        List<NodeProto> nodes = new ArrayList<>();
        String in = "x";
        if (relu) {
            nodes.add(node("Relu", "r", "x"));
            in = "r";
        }
        NodeProto pad = node("Pad", "p", in, "pads", "value");
        if (!mode.equals("constant")) {
            pad = pad.toBuilder().addAttribute(AttributeProto.newBuilder().setName("mode")
                    .setType(AttributeProto.AttributeType.STRING)
                    .setS(com.google.protobuf.ByteString.copyFromUtf8(mode))).build();
        }
        nodes.add(pad);
        nodes.add(reader);
        GraphProto g = Models.graph("pad", nodes, List.of(Models.tensorInfo("x", DataType.FLOAT, X)),
                List.of(Models.tensorInfo("y", DataType.FLOAT, yShape)),
                "pads", Tensor.of(pads, pads.length), "value", Tensor.scalar(value),
                "w", random(7, -1, 1, 4, 3, 3, 3));
        return Models.model(g, 13);
    }

    private static NodeProto conv(long... pads) {
        NodeProto c = node("Conv", "y", "p", "w");
        return pads.length == 0 ? c : withInts(c, "pads", pads);
    }

    private static NodeProto pool(String op, long... kernel) {
        return withInts(node(op, "y", "p"), "kernel_shape", kernel);
    }

    /** Runs {@code model} (its rewrites on) and ONNX Runtime on the original graph; returns the rewritten op types. */
    private static List<String> checkAgainstOrt(ModelProto model) {
        Tensor x = random(3, -1, 1, X);
        Tensor got = SingaBackend.prepare(model, CpuDevice.get()).run(List.of(x)).get(0);
        Tensor expected = OrtReference.run(model, List.of("x"), List.of(x)).get(0);
        assertArrayEquals(expected.shape(), got.shape());
        assertNull(ValueComparator.difference(got, expected, new Tolerance(1e-5, 1e-5)));
        return opTypes(PadFusion.apply(model, true));
    }

    @Test
    void convolutionsTakeThePadding() {
        ModelProto m = model(false, new long[] {0, 0, 1, 2, 0, 0, 3, 0}, 0f, "constant", conv(1, 1, 1, 1), 2, 4, 11, 8);
        assertEquals(List.of("Conv"), checkAgainstOrt(m));
        NodeProto c = PassTesting.only(PadFusion.apply(m, true), "Conv");
        assertArrayEquals(new long[] {2, 3, 4, 1}, GraphIndex.intsAttr(c, "pads"));
        assertEquals("x", c.getInput(0));
        // Pad-2's attributes, and a Conv without pads of its own
        GraphProto g = Models.graph("pad2", List.of(withInts(node("Pad", "p", "x"), "pads", 0, 0, 1, 1, 0, 0, 1, 1),
                        node("Conv", "y", "p", "w")), List.of(Models.tensorInfo("x", DataType.FLOAT, X)),
                List.of(Models.tensorInfo("y", DataType.FLOAT, 2, 4, 7, 6)), "w", random(7, -1, 1, 4, 3, 3, 3));
        assertEquals(List.of("Conv"), checkAgainstOrt(Models.model(g, 10)));
    }

    @Test
    void averagePoolsCountThePaddedZeros() {
        ModelProto m = model(false, new long[] {0, 0, 1, 1, 0, 0, 1, 1}, 0f, "constant", pool("AveragePool", 3, 3),
                2, 3, 7, 6);
        assertEquals(List.of("AveragePool"), checkAgainstOrt(m));
        assertEquals(1, GraphIndex.intAttr(PassTesting.only(PadFusion.apply(m, true), "AveragePool"), "count_include_pad", 0));
        // padding of its own that it does not count: the two paddings mean different divisors
        NodeProto own = withInts(pool("AveragePool", 3, 3), "pads", 1, 1, 1, 1);
        assertEquals(List.of("Pad", "AveragePool"), checkAgainstOrt(model(false, new long[] {0, 0, 1, 0, 0, 0, 0, 1}, 0f,
                "constant", own, 2, 3, 8, 7)));
        // before opset 7 AveragePool has no count_include_pad: its padding would not count
        GraphProto g = Models.graph("pad6", List.of(withInts(node("Pad", "p", "x"), "pads", 0, 0, 1, 1, 0, 0, 1, 1),
                        pool("AveragePool", 3, 3)), List.of(Models.tensorInfo("x", DataType.FLOAT, X)),
                List.of(Models.tensorInfo("y", DataType.FLOAT, 2, 3, 7, 6)));
        assertEquals(List.of("Pad", "AveragePool"), opTypes(PadFusion.apply(Models.model(g, 6), true)));
    }

    @Test
    void maxPoolsTakeThePadding() {
        NodeProto maxPool = withInts(pool("MaxPool", 3, 3), "strides", 2, 2);
        ModelProto afterRelu = model(true, new long[] {0, 0, 1, 1, 0, 0, 1, 1}, 0f, "constant", maxPool, 2, 3, 4, 3);
        assertEquals(List.of("Relu", "MaxPool"), checkAgainstOrt(afterRelu));
        assertEquals(0, GraphIndex.intAttr(PassTesting.only(PadFusion.apply(afterRelu, true), "MaxPool"),
                ZeroPadding.ATTRIBUTE, 0));
        // negative values: zero padding may be a window's maximum, which ignored padding never is, so
        // the pool is marked to raise those windows to 0; a GPU's plan keeps the Pad
        ModelProto signed = model(false, new long[] {0, 0, 1, 1, 0, 0, 1, 1}, 0f, "constant", maxPool, 2, 3, 4, 3);
        assertEquals(List.of("MaxPool"), checkAgainstOrt(signed));
        assertEquals(1, GraphIndex.intAttr(PassTesting.only(PadFusion.apply(signed, true), "MaxPool"),
                ZeroPadding.ATTRIBUTE, 0));
        assertEquals(List.of("Pad", "MaxPool"), opTypes(PadFusion.apply(signed, false)));
        // float64: the plain pool's generic kernel, raised the same way
        GraphProto g = Models.graph("pad64", List.of(node("Pad", "p", "x", "pads", "value"), maxPool),
                List.of(Models.tensorInfo("x", DataType.DOUBLE, X)), List.of(Models.tensorInfo("y", DataType.DOUBLE, 2, 3, 4, 3)),
                "pads", Tensor.of(new long[] {0, 0, 1, 1, 0, 0, 1, 1}, 8), "value", Tensor.scalar(DataType.DOUBLE, 0));
        ModelProto m64 = Models.model(g, 13);
        assertEquals(List.of("MaxPool"), opTypes(PadFusion.apply(m64, true)));
        Tensor x64 = Tensor.zeros(DataType.DOUBLE, X);
        Tensor x32 = random(3, -1, 1, X);
        for (int i = 0; i < x64.size(); i++) {
            x64.setDouble(i, x32.getDouble(i));
        }
        Tensor got = SingaBackend.prepare(m64, CpuDevice.get()).run(List.of(x64)).get(0);
        Tensor expected = OrtReference.run(m64, List.of("x"), List.of(x64)).get(0);
        assertNull(ValueComparator.difference(got, expected, new Tolerance(1e-12, 1e-12)));
        // pads as wide as the kernel: a window of padding alone gives 0, ignored padding the lowest float
        assertEquals(List.of("Relu", "Pad", "MaxPool"), checkAgainstOrt(model(true, new long[] {0, 0, 0, 2, 0, 0, 0, 0}, 0f,
                "constant", withInt(pool("MaxPool", 2, 2), "ceil_mode", 0), 2, 3, 6, 7)));
    }

    /**
     * tinyyolov2's tail: Conv -> LeakyRelu -> Pad (end of each spatial axis) -> MaxPool 2 x 2 stride 1,
     * where the pool runs channels-last after the convolution, and a wider pool padded on both sides;
     * against ONNX Runtime on the original graph (many results negative).
     */
    @Test
    void zeroPaddedMaxPoolsMatchThePadBetweenChannelsLastLayers() {
        for (long[][] geometry : new long[][][] {
                {{0, 0, 0, 0, 0, 0, 1, 1}, {2, 2}, {1, 1}},
                {{0, 0, 1, 2, 0, 0, 2, 1}, {3, 3}, {2, 2}}}) {
            long[] pads = geometry[0];
            long[] kernel = geometry[1];
            long[] strides = geometry[2];
            int h = (int) ((X[2] + pads[2] + pads[6] - kernel[0]) / strides[0] + 1);
            int w = (int) ((X[3] + pads[3] + pads[7] - kernel[1]) / strides[1] + 1);
            NodeProto leaky = PassTesting.withFloat(node("LeakyRelu", "l", "c"), "alpha", 0.1f);
            List<NodeProto> nodes = List.of(withInts(node("Conv", "c", "x", "w"), "pads", 1, 1, 1, 1), leaky,
                    node("Pad", "p", "l", "pads", "value"),
                    withInts(withInts(node("MaxPool", "y", "p"), "kernel_shape", kernel), "strides", strides));
            GraphProto g = Models.graph("tail", nodes, List.of(Models.tensorInfo("x", DataType.FLOAT, X)),
                    List.of(Models.tensorInfo("y", DataType.FLOAT, X[0], 4, h, w)),
                    "pads", Tensor.of(pads, pads.length), "value", Tensor.scalar(0f),
                    "w", random(7, -1, 1, 4, 3, 3, 3));
            ModelProto m = Models.model(g, 13);
            assertEquals(List.of("Conv", "LeakyRelu", "MaxPool"), checkAgainstOrt(m));
            List<String> planned = opTypes(InferencePasses.apply(m));
            assertTrue(planned.contains("NhwcMaxPool"), planned.toString());
        }
    }

    @Test
    void otherPadsStay() {
        NodeProto c = conv();
        // another value, the channel axis, another mode
        assertEquals(List.of("Pad", "Conv"), checkAgainstOrt(model(false, new long[] {0, 0, 1, 1, 0, 0, 1, 1}, 0.5f,
                "constant", c, 2, 4, 7, 6)));
        assertEquals(List.of("Pad", "Conv"), checkAgainstOrt(model(false, new long[] {0, 0, 1, 1, 0, 0, 1, 1}, -0f,
                "constant", c, 2, 4, 7, 6)));
        assertEquals(List.of("Pad", "AveragePool"), checkAgainstOrt(model(false, new long[] {0, 1, 0, 0, 0, 0, 0, 0}, 0f,
                "constant", pool("AveragePool", 1, 1), 2, 4, 7, 6)));
        assertEquals(List.of("Pad", "Conv"), checkAgainstOrt(model(false, new long[] {0, 0, 1, 1, 0, 0, 1, 1}, 0f,
                "reflect", c, 2, 4, 7, 6)));
    }
}
