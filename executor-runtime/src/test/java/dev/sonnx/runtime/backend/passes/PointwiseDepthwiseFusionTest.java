package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.backend.passes.PassTesting.assertMatchesOnnxRuntime;
import static dev.sonnx.runtime.backend.passes.PassTesting.node;
import static dev.sonnx.runtime.backend.passes.PassTesting.withFloat;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInt;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInts;
import static dev.sonnx.runtime.testing.Models.opTypes;
import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlPointwiseDepthwise;
import dev.sonnx.runtime.ops.conv.dnnl.KernelTrial;
import dev.sonnx.runtime.ops.conv.dnnl.PostOps;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * MobileNet v2's inverted residual blocks as PyTorch exports them (BatchNormalization folded): a
 * 1 x 1 expansion and ReLU6, a 3 x 3 depthwise convolution and ReLU6, a 1 x 1 projection and the
 * residual Add, then a block whose depthwise layer has stride 2. Each expansion and depthwise pair
 * becomes one PointwiseDepthwiseConv, and the outputs match ONNX Runtime's on the original graph,
 * both where oneDNN runs the pair as one primitive (batch 8 on 56 x 56 images) and where the two
 * convolutions run one after the other (batch 1).
 */
class PointwiseDepthwiseFusionTest {
    private static final int IN = 24;
    private static final int EXPANDED = 144;
    private static final int SIDE = 56;

    /** The two blocks; {@code edit} may change the graph before it is built. */
    private static ModelProto blocks(UnaryOperator<GraphProto.Builder> edit) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("inverted_residuals")
                // a stem, so that the first block's residual is an image of the channels-last region
                .addNode(withInts(node("Conv", "c0", "x", "w0", "b0"), "pads", 1, 1, 1, 1))
                .addNode(node("Relu", "s0", "c0"))
                .addNode(node("Conv", "e1", "s0", "we1", "be1"))
                .addNode(node("Clip", "r1", "e1", "zero", "six"))
                .addNode(withInt(withInts(node("Conv", "d1", "r1", "wd1", "bd1"), "pads", 1, 1, 1, 1), "group",
                        EXPANDED))
                .addNode(node("Clip", "r2", "d1", "zero", "six"))
                .addNode(node("Conv", "p1", "r2", "wp1", "bp1"))
                .addNode(node("Add", "s1", "p1", "s0"))
                // the second block: no biases, Relu after the expansion, nothing after the depthwise layer
                .addNode(node("Conv", "e2", "s1", "we2"))
                .addNode(node("Relu", "r3", "e2"))
                .addNode(withInts(withInt(withInts(node("Conv", "y", "r3", "wd2"), "pads", 1, 1, 1, 1), "group",
                        EXPANDED), "strides", 2, 2))
                .addInitializer(TensorProtos.fromTensor(scaled(random(9, IN, 3, 3, 3), 0.3), "w0"))
                .addInitializer(TensorProtos.fromTensor(random(10, IN), "b0"))
                .addInitializer(TensorProtos.fromTensor(scaled(random(1, EXPANDED, IN, 1, 1), 0.3), "we1"))
                .addInitializer(TensorProtos.fromTensor(random(2, EXPANDED), "be1"))
                .addInitializer(TensorProtos.fromTensor(scaled(random(3, EXPANDED, 1, 3, 3), 0.4), "wd1"))
                .addInitializer(TensorProtos.fromTensor(random(4, EXPANDED), "bd1"))
                .addInitializer(TensorProtos.fromTensor(scaled(random(5, IN, EXPANDED, 1, 1), 0.1), "wp1"))
                .addInitializer(TensorProtos.fromTensor(random(6, IN), "bp1"))
                .addInitializer(TensorProtos.fromTensor(scaled(random(7, EXPANDED, IN, 1, 1), 0.3), "we2"))
                .addInitializer(TensorProtos.fromTensor(scaled(random(8, EXPANDED, 1, 3, 3), 0.4), "wd2"))
                .addInitializer(TensorProtos.fromTensor(Tensor.scalar(0f), "zero"))
                .addInitializer(TensorProtos.fromTensor(Tensor.scalar(6f), "six"))
                .addInput(Models.tensorInfoAnyShape("x", DataType.FLOAT))
                .addOutput(Models.tensorInfoAnyShape("y", DataType.FLOAT));
        return Models.model(edit.apply(g).build(), 13);
    }

    private static Tensor scaled(Tensor t, double s) {
        for (int i = 0; i < t.size(); i++) {
            t.setFloat(i, (float) (t.getFloat(i) * s));
        }
        return t;
    }

    private static long fusedPairs(ModelProto m) {
        return opTypes(InferencePasses.apply(m)).stream().filter(o -> o.equals("PointwiseDepthwiseConv")).count();
    }

    @Test
    void bothBlocksFuseAndMatchOnnxRuntime() {
        ModelProto m = blocks(g -> g);
        ModelProto planned = InferencePasses.apply(m);
        assertEquals(List.of("ToChannelsLast", "FusedConv", "PointwiseDepthwiseConv", "FusedConv",
                "PointwiseDepthwiseConv", "ToChannelsFirst"), opTypes(planned));
        NodeProto projection = planned.getGraph().getNode(3);
        assertEquals(4, projection.getInputCount(), "the projection keeps its residual");
        // where oneDNN has the fused kernel on this CPU, the batch of 8 goes through it (the trial
        // against the separate primitives pinned off, so that this test checks the fused kernel)
        KernelTrial.Choice previous = KernelTrial.pin(KernelTrial.Candidate.FUSED_DEPTHWISE, KernelTrial.Choice.ALWAYS);
        try {
            PostOps relu6 = PostOps.of(false, PostOps.Eltwise.CLIP, 0, 6);
            boolean fusedKernel = DnnlPointwiseDepthwise.create(new int[] {8, IN, SIDE, SIDE}, EXPANDED, relu6, 1,
                    relu6) != null;
            long before = DnnlPointwiseDepthwise.calls();
            assertMatchesOnnxRuntime(m, random(20, 8, 3, SIDE, SIDE));
            if (fusedKernel) {
                assertTrue(DnnlPointwiseDepthwise.calls() - before >= 1, "no fused call at batch 8");
            } else {
                System.out.println("oneDNN has no fused 1x1 + depthwise kernel on this CPU: only the"
                        + " two-primitive path was checked");
            }
            // odd sizes, where the stride-2 layer's last row and column read the padding on one side only
            assertMatchesOnnxRuntime(m, random(22, 8, 3, 57, 55));
        } finally {
            KernelTrial.pin(KernelTrial.Candidate.FUSED_DEPTHWISE, previous);
        }
        // with the trial, whichever form it keeps
        long before = DnnlPointwiseDepthwise.calls();
        assertMatchesOnnxRuntime(m, random(25, 8, 3, SIDE, SIDE));
        System.out.println("with the trial, " + (DnnlPointwiseDepthwise.calls() - before)
                + " fused calls at batch 8");
        // batch 1: oneDNN offers only its reference kernel for the pair, so the two convolutions run
        assertMatchesOnnxRuntime(m, random(21, 1, 3, SIDE, SIDE));
        assertMatchesOnnxRuntime(m, random(24, 2, 3, 9, 11));
    }

    @Test
    void pairsThatAreNotAnExpansionAndItsDepthwiseLayerStayApart() {
        // the expansion's result is also a graph output
        assertEquals(1, fusedPairs(blocks(g -> g.addOutput(Models.tensorInfoAnyShape("r1", DataType.FLOAT)))));
        // the depthwise layer without padding
        assertEquals(1, fusedPairs(blocks(g -> g.setNode(4, withInt(node("Conv", "d1", "r1", "wd1", "bd1"),
                "group", EXPANDED)))));
        // a stride of 3
        assertEquals(1, fusedPairs(blocks(g -> g.setNode(10, withInts(withInt(withInts(node("Conv", "y", "r3", "wd2"),
                "pads", 1, 1, 1, 1), "group", EXPANDED), "strides", 3, 3)))));
        // a 1 x 1 convolution of stride 2 before the depthwise layer
        assertEquals(1, fusedPairs(blocks(g -> g.setNode(8, withInts(node("Conv", "e2", "s1", "we2"), "strides",
                2, 2)))));
        // a residual added to the depthwise layer's result (another 1 x 1 convolution of the block's input)
        assertEquals(1, fusedPairs(blocks(g -> g.setNode(10, withInt(withInts(node("Conv", "d2", "r3", "wd2"),
                "pads", 1, 1, 1, 1), "group", EXPANDED))
                .addNode(node("Conv", "e3", "s1", "we2"))
                .addNode(node("Add", "y", "d2", "e3")))));
        // a LeakyRelu between the two is fused with them
        ModelProto leaky = blocks(g -> g.setNode(9, withFloat(node("LeakyRelu", "r3", "e2"), "alpha", 0.1f)));
        assertEquals(2, fusedPairs(leaky));
        assertMatchesOnnxRuntime(leaky, random(23, 8, 3, SIDE, SIDE));
    }

    /** Concurrent runs share the fused primitive, its packed weights and the zero biases; each has its own memory. */
    @Test
    void concurrentRunsOfOneModelAgree() throws Exception {
        KernelTrial.Choice previous = KernelTrial.pin(KernelTrial.Candidate.FUSED_DEPTHWISE, KernelTrial.Choice.ALWAYS);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            dev.sonnx.runtime.backend.SingaRep rep = dev.sonnx.runtime.backend.SingaBackend.prepare(blocks(g -> g),
                    dev.sonnx.runtime.cpu.CpuDevice.get());
            Tensor[] inputs = new Tensor[4];
            float[][] alone = new float[inputs.length][];
            for (int i = 0; i < inputs.length; i++) {
                inputs[i] = random(30 + i, 8, 3, SIDE, SIDE);
                alone[i] = rep.run(List.of(inputs[i])).get(0).toFloatArray();
            }
            List<java.util.concurrent.Future<float[]>> results = new java.util.ArrayList<>();
            for (Tensor x : inputs) {
                results.add(pool.submit(() -> rep.run(List.of(x)).get(0).toFloatArray()));
            }
            for (int i = 0; i < inputs.length; i++) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(alone[i], results.get(i).get(),
                        "input " + i + " run concurrently differs from its run alone");
            }
        } finally {
            pool.shutdownNow();
            KernelTrial.pin(KernelTrial.Candidate.FUSED_DEPTHWISE, previous);
        }
    }
}
