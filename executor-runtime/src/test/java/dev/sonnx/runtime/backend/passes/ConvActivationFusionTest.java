package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.backend.passes.PassTesting.withFloat;
import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fusion of Conv [+ Add] [+ activation]: which chains it rewrites, which it must leave alone, and
 * that a prepared model gives the same outputs as the same model prepared without rewrites.
 */
class ConvActivationFusionTest {
    private static final int C = 3;
    private static final int M = 4;

    /** A 3x3 convolution with padding 1 of x [1, C, 5, 5] into {@code out} [1, M, 5, 5]. */
    private static NodeProto conv(String name, String x, String w, String b, String out) {
        NodeProto.Builder n = Models.node("Conv", name, b == null ? new String[] {x, w} : new String[] {x, w, b},
                new String[] {out}).toBuilder();
        n.addAttribute(AttributeProto.newBuilder().setName("pads").setType(AttributeProto.AttributeType.INTS)
                .addInts(1).addInts(1).addInts(1).addInts(1));
        return n.build();
    }

    private static NodeProto constant(String out, float v) {
        return Models.node("Constant", out + "_node", new String[0], new String[] {out}).toBuilder()
                .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                        .setT(TensorProtos.fromTensor(Tensor.scalar(v), out))).build();
    }

    /** A graph with input x [1, C, 5, 5], weights w [M, C, 3, 3] and bias b [M], the given nodes, output y. */
    private static GraphProto.Builder graph(List<NodeProto> nodes, String... extraInputs) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("g")
                .addInitializer(TensorProtos.fromTensor(random(1, M, C, 3, 3), "w"))
                .addInitializer(TensorProtos.fromTensor(random(2, M), "b"))
                .addInitializer(TensorProtos.fromTensor(random(3, M, M, 1, 1), "w2"))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 1, C, 5, 5))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 1, M, 5, 5));
        for (String in : extraInputs) {
            g.addInput(Models.tensorInfo(in, DataType.FLOAT, 1, M, 5, 5));
        }
        nodes.forEach(g::addNode);
        return g;
    }

    private static List<String> opTypes(ModelProto m) {
        List<String> r = new ArrayList<>();
        for (NodeProto n : m.getGraph().getNodeList()) {
            r.add(n.getOpType());
        }
        return r;
    }

    /** The model's outputs prepared with the inference rewrites and without any, on the same feeds. */
    private static void assertSameOutputs(ModelProto m, Tensor... feeds) {
        SingaRep fused = SingaBackend.prepare(m, CpuDevice.get());
        SingaRep plain = SingaBackend.prepare(m, CpuDevice.get(), SingaBackend.PrepareOptions.DEFAULTS.foldConstants(false));
        for (int run = 0; run < 2; run++) {   // the second run uses the weights prepared by the first
            float[] a = fused.run(List.of(feeds)).get(0).toFloatArray();
            float[] e = plain.run(List.of(feeds)).get(0).toFloatArray();
            assertEquals(e.length, a.length);
            for (int i = 0; i < e.length; i++) {
                assertTrue(Math.abs(a[i] - e[i]) <= 1e-5 + 1e-5 * Math.abs(e[i]),
                        "element " + i + ": fused " + a[i] + ", unfused " + e[i]);
            }
        }
    }

    @Test
    void convReluBecomesOneFusedConvWithTheSameOutputs() {
        ModelProto m = Models.model(graph(List.of(conv("c", "x", "w", "b", "t"),
                Models.node("Relu", "r", new String[] {"t"}, new String[] {"y"}))).build(), 13);
        ModelProto rewritten = ConvActivationFusion.apply(m);
        assertEquals(List.of(FusedConv.OP_TYPE), opTypes(rewritten));
        NodeProto f = rewritten.getGraph().getNode(0);
        assertEquals(FusedConv.DOMAIN, f.getDomain());
        assertEquals(List.of("x", "w", "b"), f.getInputList());
        assertEquals(List.of("y"), f.getOutputList());
        assertTrue(rewritten.getOpsetImportList().stream().anyMatch(o -> o.getDomain().equals(FusedConv.DOMAIN)));
        assertSameOutputs(m, random(10, 1, C, 5, 5));
    }

    @Test
    void residualAddThenReluFuseIntoTheLaterConvolution() {
        // y = relu(conv(x) + conv1x1(conv(x))): the 1x1 convolution takes the Add and the Relu
        ModelProto m = Models.model(graph(List.of(conv("c1", "x", "w", "b", "t1"),
                Models.node("Relu", "r1", new String[] {"t1"}, new String[] {"a"}),
                Models.node("Conv", "c2", new String[] {"a", "w2"}, new String[] {"t2"}),
                Models.node("Add", "add", new String[] {"a", "t2"}, new String[] {"s"}),
                Models.node("Relu", "r2", new String[] {"s"}, new String[] {"y"}))).build(), 13);
        ModelProto rewritten = ConvActivationFusion.apply(m);
        // c1 + r1 fuse; c2 takes add + r2 with the residual a (read twice, so c1's chain stops at r1)
        assertEquals(List.of(FusedConv.OP_TYPE, FusedConv.OP_TYPE), opTypes(rewritten));
        NodeProto second = rewritten.getGraph().getNode(1);
        assertEquals(List.of("a", "w2", "", "a"), second.getInputList());
        assertSameOutputs(m, random(11, 1, C, 5, 5));
    }

    @Test
    void everyActivationKindMatchesItsUnfusedOperator() {
        List<List<NodeProto>> tails = List.of(
                List.of(withFloat(Models.node("LeakyRelu", "a", new String[] {"t"}, new String[] {"y"}), "alpha", 0.2f)),
                List.of(withFloat(withFloat(Models.node("HardSigmoid", "a", new String[] {"t"}, new String[] {"y"}),
                        "alpha", 0.3f), "beta", 0.4f)),
                List.of(Models.node("HardSwish", "a", new String[] {"t"}, new String[] {"y"})),
                List.of(constant("lo", 0f), constant("hi", 0.5f),
                        Models.node("Clip", "a", new String[] {"t", "lo", "hi"}, new String[] {"y"})),
                List.of(constant("hi", 0.5f), Models.node("Clip", "a", new String[] {"t", "", "hi"}, new String[] {"y"})));
        for (List<NodeProto> tail : tails) {
            List<NodeProto> nodes = new ArrayList<>();
            nodes.add(conv("c", "x", "w", "b", "t"));
            nodes.addAll(tail);
            ModelProto m = Models.model(graph(nodes).build(), 14);
            ModelProto rewritten = ConvActivationFusion.apply(m);
            assertTrue(opTypes(rewritten).contains(FusedConv.OP_TYPE), opTypes(rewritten).toString());
            assertTrue(opTypes(rewritten).stream().noneMatch(t -> t.equals(tail.get(tail.size() - 1).getOpType())),
                    opTypes(rewritten).toString());
            assertSameOutputs(m, random(12, 1, C, 5, 5));
        }
    }

    @Test
    void clipSixTakesItsBoundsFromAttributes() {
        NodeProto clip = withFloat(withFloat(Models.node("Clip", "a", new String[] {"t"}, new String[] {"y"}),
                "min", 0f), "max", 0.25f);
        ModelProto m = Models.model(graph(List.of(conv("c", "x", "w", "b", "t"), clip)).build(), 6);
        assertEquals(List.of(FusedConv.OP_TYPE), opTypes(ConvActivationFusion.apply(m)));
        assertSameOutputs(m, random(13, 1, C, 5, 5));
    }

    @Test
    void aResidualFromAGraphInputFusesWithoutActivation() {
        ModelProto m = Models.model(graph(List.of(conv("c", "x", "w", "b", "t"),
                Models.node("Add", "add", new String[] {"z", "t"}, new String[] {"y"})), "z").build(), 13);
        ModelProto rewritten = ConvActivationFusion.apply(m);
        assertEquals(List.of(FusedConv.OP_TYPE), opTypes(rewritten));
        assertEquals(List.of("x", "w", "b", "z"), rewritten.getGraph().getNode(0).getInputList());
        assertSameOutputs(m, random(14, 1, C, 5, 5), random(15, 1, M, 5, 5));
    }

    @Test
    void chainsWhoseIntermediatesOthersSeeStayAsTheyAre() {
        // t is read twice
        ModelProto twoReaders = Models.model(graph(List.of(conv("c", "x", "w", "b", "t"),
                Models.node("Relu", "r", new String[] {"t"}, new String[] {"u"}),
                Models.node("Add", "add", new String[] {"t", "u"}, new String[] {"y"}))).build(), 13);
        assertEquals(List.of("Conv", "Relu", "Add"), opTypes(ConvActivationFusion.apply(twoReaders)));
        // t is a graph output
        GraphProto.Builder g = graph(List.of(conv("c", "x", "w", "b", "t"),
                Models.node("Relu", "r", new String[] {"t"}, new String[] {"y"})));
        g.addOutput(Models.tensorInfo("t", DataType.FLOAT, 1, M, 5, 5));
        assertEquals(List.of("Conv", "Relu"), opTypes(ConvActivationFusion.apply(Models.model(g.build(), 13))));
        // the weights are fed, so their type is not known at prepare
        GraphProto.Builder fed = graph(List.of(conv("c", "x", "wf", "b", "t"),
                Models.node("Relu", "r", new String[] {"t"}, new String[] {"y"})));
        fed.addInput(Models.tensorInfo("wf", DataType.FLOAT, M, C, 3, 3));
        assertEquals(List.of("Conv", "Relu"), opTypes(ConvActivationFusion.apply(Models.model(fed.build(), 13))));
        // a bound computed at run time
        ModelProto runtimeBound = Models.model(graph(List.of(conv("c", "x", "w", "b", "t"),
                Models.node("ReduceMax", "m", new String[] {"x"}, new String[] {"hi"}),
                Models.node("Clip", "a", new String[] {"t", "", "hi"}, new String[] {"y"}))).build(), 13);
        assertEquals(List.of("Conv", "ReduceMax", "Clip"), opTypes(ConvActivationFusion.apply(runtimeBound)));
        // Add before opset 7 broadcast by attributes: left alone
        ModelProto legacy = Models.model(graph(List.of(conv("c", "x", "w", "b", "t"),
                Models.node("Add", "add", new String[] {"t", "z"}, new String[] {"y"})), "z").build(), 6);
        assertEquals(List.of("Conv", "Add"), opTypes(ConvActivationFusion.apply(legacy)));
    }

    @Test
    void aModelWithNothingToFuseIsReturnedAsItIs() {
        ModelProto m = Models.addWeight(Tensor.of(new float[] {1, 2}, 2));
        assertSame(m, ConvActivationFusion.apply(m));
    }

    @Test
    void cutsAndRecordedRunsStillSeeTheUnfusedValues() {
        ModelProto m = Models.model(graph(List.of(conv("c", "x", "w", "b", "t"),
                Models.node("Relu", "r", new String[] {"t"}, new String[] {"y"}))).build(), 13);
        SingaRep rep = SingaBackend.prepare(m, CpuDevice.get());
        SingaRep plain = SingaBackend.prepare(m, CpuDevice.get(), SingaBackend.PrepareOptions.DEFAULTS.foldConstants(false));
        Tensor x = random(16, 1, C, 5, 5);
        // the first node alone: the convolution's own output, which the fused plan never materializes
        assertArrayEquals(plain.run(List.of(x), 1).get(0).toFloatArray(), rep.run(List.of(x), 1).get(0).toFloatArray(),
                1e-6f);
        assertEquals(List.of("t"), rep.outputNamesAt(1));
    }
}
