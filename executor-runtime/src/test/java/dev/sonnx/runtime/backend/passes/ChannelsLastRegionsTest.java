package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.testing.Models.opTypes;
import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which nodes go channels-last, where the layout converts, and that outputs stay those of the plain model. */
class ChannelsLastRegionsTest {

    private static NodeProto ints(NodeProto n, String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return n.toBuilder().addAttribute(a).build();
    }

    private static NodeProto node(String op, String in, String out) {
        return Models.node(op, op + "_" + out, in.split(","), new String[] {out});
    }

    /** x [1, 3, 8, 8] through a small residual network; extra outputs as asked. */
    private static ModelProto network(String... extraOutputs) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("g")
                .addNode(ints(node("Conv", "x,w1,b1", "c1"), "pads", 1, 1, 1, 1))
                .addNode(node("Relu", "c1", "t1"))
                .addNode(ints(ints(node("MaxPool", "t1", "p"), "kernel_shape", 2, 2), "strides", 2, 2))
                .addNode(ints(node("Conv", "p,w2", "c2"), "pads", 1, 1, 1, 1))
                .addNode(node("Add", "c2,p", "a"))
                .addNode(node("Relu", "a", "r"))
                .addNode(node("Conv", "r,w3", "c3"))
                .addNode(node("GlobalAveragePool", "c3", "gap"))
                .addNode(node("Flatten", "gap", "y"))
                .addInitializer(TensorProtos.fromTensor(random(1, 4, 3, 3, 3), "w1"))
                .addInitializer(TensorProtos.fromTensor(random(2, 4), "b1"))
                .addInitializer(TensorProtos.fromTensor(random(3, 4, 4, 3, 3), "w2"))
                .addInitializer(TensorProtos.fromTensor(random(4, 5, 4, 1, 1), "w3"))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 1, 3, 8, 8))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 1, 5));
        for (String o : extraOutputs) {
            g.addOutput(Models.tensorInfo(o, DataType.FLOAT, 1, 4, 4, 4));
        }
        return Models.model(g.build(), 13);
    }

    private static void assertSameOutputs(ModelProto m, Tensor x) {
        SingaRep fast = SingaBackend.prepare(m, CpuDevice.get());
        SingaRep plain = SingaBackend.prepare(m, CpuDevice.get(), SingaBackend.PrepareOptions.DEFAULTS.foldConstants(false));
        List<Tensor> a = fast.run(List.of(x));
        List<Tensor> e = plain.run(List.of(x));
        assertEquals(e.size(), a.size());
        for (int o = 0; o < e.size(); o++) {
            assertEquals(java.util.Arrays.toString(e.get(o).shape()), java.util.Arrays.toString(a.get(o).shape()));
            for (int i = 0; i < e.get(o).size(); i++) {
                float ev = e.get(o).getFloat(i);
                float av = a.get(o).getFloat(i);
                assertTrue(Math.abs(av - ev) <= 1e-5 * (1 + Math.abs(ev)), "output " + o + " element " + i + ": " + av
                        + ", expected " + ev);
            }
        }
    }

    @Test
    void aChainOfConvolutionsAndPoolsRunsChannelsLastBetweenTwoReorders() {
        ModelProto m = network();
        ModelProto rewritten = InferencePasses.apply(m);
        assertEquals(List.of("ToChannelsLast", "FusedConv", "NhwcMaxPool", "FusedConv", "FusedConv",
                "NhwcGlobalAveragePool", "ToChannelsFirst", "Flatten"), opTypes(rewritten));
        assertSameOutputs(m, random(10, 1, 3, 8, 8));
    }

    /**
     * The first convolution reads 3 channels: its padding moves into the reorder before it, which
     * writes the image inside a zero border; not where the image has another reader.
     */
    @Test
    void theStemConvolutionsPaddingBecomesTheReordersBorder() {
        ModelProto m = network();
        ModelProto planned = InferencePasses.apply(m);
        NodeProto reorder = planned.getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("ToChannelsLast")).findFirst().orElseThrow();
        assertArrayEquals(new long[] {1, 1, 1, 1}, GraphIndex.intsAttr(reorder, "pads"));
        NodeProto stem = planned.getGraph().getNodeList().stream()
                .filter(n -> n.getInputCount() > 0 && n.getInput(0).equals(reorder.getOutput(0))).findFirst().orElseThrow();
        assertNull(GraphIndex.intsAttr(stem, "pads"));
        assertSameOutputs(m, random(5, 1, 3, 8, 8));

        GraphProto.Builder shared = m.getGraph().toBuilder().addNode(node("Neg", "x", "nx"))
                .addOutput(Models.tensorInfo("nx", DataType.FLOAT, 1, 3, 8, 8));
        ModelProto twoReaders = m.toBuilder().setGraph(shared).build();
        NodeProto plainReorder = InferencePasses.apply(twoReaders).getGraph().getNodeList().stream()
                .filter(n -> n.getOpType().equals("ToChannelsLast")).findFirst().orElseThrow();
        assertNull(GraphIndex.intsAttr(plainReorder, "pads"));
        assertSameOutputs(twoReaders, random(6, 1, 3, 8, 8));
    }

    @Test
    void valuesSeenOutsideTheRegionAreConvertedBack() {
        ModelProto m = network("p");
        List<String> ops = opTypes(InferencePasses.apply(m));
        assertEquals(2, ops.stream().filter(o -> o.equals("ToChannelsFirst")).count(), ops.toString());
        assertSameOutputs(m, random(11, 1, 3, 8, 8));
    }

    @Test
    void poolsOfOutsideValuesAndLoneConvolutionsStayPlain() {
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addNode(ints(ints(node("MaxPool", "x", "p"), "kernel_shape", 2, 2), "strides", 2, 2))
                .addNode(node("Conv", "p,w", "y"))
                .addInitializer(TensorProtos.fromTensor(random(1, 4, 3, 1, 1), "w"))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 1, 3, 8, 8))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 1, 4, 4, 4)).build();
        ModelProto m = Models.model(g, 13);
        assertEquals(List.of("MaxPool", "Conv"), opTypes(ChannelsLastRegions.apply(m)));
        // a convolution whose residual comes from outside keeps the plain layout, and so does its pool
        GraphProto r = GraphProto.newBuilder().setName("g")
                .addNode(node("Conv", "x,w", "c"))
                .addNode(node("Add", "c,z", "a"))
                .addNode(ints(node("MaxPool", "a", "y"), "kernel_shape", 2, 2))
                .addInitializer(TensorProtos.fromTensor(random(1, 3, 3, 1, 1), "w"))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 1, 3, 8, 8))
                .addInput(Models.tensorInfo("z", DataType.FLOAT, 1, 3, 8, 8))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 1, 3, 7, 7)).build();
        ModelProto withResidual = Models.model(r, 13);
        assertEquals(List.of("FusedConv", "MaxPool"), opTypes(InferencePasses.apply(withResidual)));
        assertTrue(InferencePasses.apply(withResidual).getGraph().getNode(0).getAttributeList().stream()
                .noneMatch(a -> a.getName().equals("channels_last")));
    }

    /** Conv, Relu, Pad (pads computed by a node, as exporters write them), MaxPool, Conv: one region. */
    private static ModelProto padded(int opset, String mode, long[] pads, long[] axes, int padded, int side) {
        NodeProto pad = node("Pad", axes == null ? "t,pads,v" : "t,pads,v,axes", "q");
        pad = pad.toBuilder().addAttribute(AttributeProto.newBuilder().setName("mode")
                .setType(AttributeProto.AttributeType.STRING).setS(com.google.protobuf.ByteString.copyFromUtf8(mode)))
                .build();
        GraphProto.Builder g = GraphProto.newBuilder().setName("g")
                .addNode(ints(node("Conv", "x,w1,b1", "c1"), "pads", 1, 1, 1, 1))
                .addNode(node("Relu", "c1", "t"))
                .addNode(node("Cast", "padsf", "pads").toBuilder().addAttribute(AttributeProto.newBuilder()
                        .setName("to").setType(AttributeProto.AttributeType.INT).setI(7)).build())
                .addNode(pad)
                .addNode(ints(ints(node("MaxPool", "q", "p"), "kernel_shape", 2, 2), "strides", 1, 1))
                .addNode(node("Conv", "p,w2", "y"))
                .addInitializer(TensorProtos.fromTensor(random(1, 4, 3, 3, 3), "w1"))
                .addInitializer(TensorProtos.fromTensor(random(2, 4), "b1"))
                .addInitializer(TensorProtos.fromTensor(random(3, 6, padded, 3, 3), "w2"))
                .addInitializer(TensorProtos.fromTensor(Tensor.of(toFloats(pads), pads.length), "padsf"))
                .addInitializer(TensorProtos.fromTensor(Tensor.of(new float[] {0.25f}), "v"))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, 3, 8, 8))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 2, 6, side, side));
        if (axes != null) {
            g.addInitializer(TensorProtos.fromTensor(Tensor.of(axes, axes.length), "axes"));
        }
        return Models.model(g.build(), opset);
    }

    private static float[] toFloats(long[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i];
        }
        return f;
    }

    @Test
    void aPadBetweenConvolutionsAndPoolsStaysInTheRegion() {
        // constant fill 0.25 on H, W and one extra channel: pads count [N, C, H, W] axes
        ModelProto m = padded(13, "constant", new long[] {0, 1, 0, 1, 0, 0, 1, 0}, null, 5, 6);
        assertEquals(List.of("ToChannelsLast", "FusedConv", "Cast", "NhwcPad", "NhwcMaxPool", "FusedConv",
                "ToChannelsFirst"), opTypes(InferencePasses.apply(m)));
        assertSameOutputs(m, random(12, 2, 3, 8, 8));
        // opset 18's axes (negative, reordered), reflect mode
        ModelProto reflect = padded(18, "reflect", new long[] {2, 1, 0, 1}, new long[] {-1, 2}, 4, 7);
        assertTrue(opTypes(InferencePasses.apply(reflect)).contains("NhwcPad"));
        assertSameOutputs(reflect, random(13, 2, 3, 8, 8));
        // Pad-11 has no wrap mode: the rewrite leaves it for the operator to refuse
        ModelProto wrap = padded(13, "wrap", new long[] {0, 0, 1, 1, 0, 0, 1, 1}, null, 4, 8);
        assertTrue(opTypes(ChannelsLastRegions.apply(wrap)).contains("Pad"));
    }
}
