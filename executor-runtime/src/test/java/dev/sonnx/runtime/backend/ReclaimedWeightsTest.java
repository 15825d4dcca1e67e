package dev.sonnx.runtime.backend;

import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.export.SingaFrontend;
import dev.sonnx.runtime.onnx.Attrs;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.HostStorage;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Prepared inference models drop the plain copy of a weight once an operator keeps it packed, where
 * that operator is its only reader; outputs stay the same at every input shape, in any order, and
 * the weights read back (initializers, export) as the model's.
 */
class ReclaimedWeightsTest {

    private static NodeProto conv(String name, String x, String w, String b, String y, int pad) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType("Conv").setName(name).addInput(x).addInput(w);
        if (b != null) {
            n.addInput(b);
        }
        return n.addOutput(y).addAttribute(Attrs.ints("pads", pad, pad, pad, pad)).build();
    }

    private static final Tensor W1 = random(1, 64, 64, 3, 3);
    private static final Tensor B1 = random(2, 64);
    private static final Tensor W2 = random(3, 16, 64, 3, 3);

    /** x [N, 64, H, W] -> Conv(w1, b1) -> Relu -> Conv(w2) -> y [N, 16, H, W]. */
    private static ModelProto convNet() {
        GraphProto g = Models.graph("convs", List.of(
                        conv("c1", "x", "w1", "b1", "t", 1),
                        Models.node("Relu", "r", new String[] {"t"}, new String[] {"u"}),
                        conv("c2", "u", "w2", null, "y", 1)),
                List.of(Models.tensorInfo("x", DataType.FLOAT, -1, 64, -1, -1)),
                List.of(Models.tensorInfo("y", DataType.FLOAT, -1, 16, -1, -1)),
                "w1", W1, "b1", B1, "w2", W2);
        return Models.model(g, 13);
    }

    /** The same model with every weight a variable: no packed constants, W reordered at every call. */
    private static SingaRep unpacked(ModelProto m) {
        return SingaBackend.prepare(m, CpuDevice.get(),
                SingaBackend.PrepareOptions.DEFAULTS.variables(SingaRep.floatInitializers(m)));
    }

    private static float[] run(SingaRep rep, Tensor x) {
        return rep.run(List.of(x)).get(0).toFloatArray();
    }

    private static void assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            assertTrue(Math.abs(e - actual[i]) <= tol * (1 + Math.abs(e)), what + " element " + i + ": expected "
                    + e + ", got " + actual[i]);
        }
    }

    private static boolean reclaimed(SingaRep rep, String constant) {
        return ((HostStorage) rep.planConstant(constant).storage()).isReclaimed();
    }

    /**
     * Conv (9.4 MB of weights) -> BatchNormalization: the folded weights stay out of the heap (the
     * rewritten model's initializers are views of native scratch memory, freed once the plan has its
     * copy; a heap copy was promoted during prepare and stayed resident), and the folded model computes
     * what the unfolded one does.
     */
    @Test
    void foldedBatchNormWeightsTakeNoHeapCopy() {
        int c = 512;
        Tensor w = random(11, c, c, 3, 3);
        Tensor var = Tensor.zeros(DataType.FLOAT, c);
        for (int i = 0; i < c; i++) {
            var.setFloat(i, 0.5f + i % 7);
        }
        GraphProto g = Models.graph("conv-bn", List.of(
                        conv("c", "x", "w", null, "t", 1),
                        Models.node("BatchNormalization", "bn", new String[] {"t", "s", "b", "m", "v"},
                                new String[] {"y"})),
                List.of(Models.tensorInfo("x", DataType.FLOAT, 1, c, 4, 4)),
                List.of(Models.tensorInfo("y", DataType.FLOAT, 1, c, 4, 4)),
                "w", w, "s", random(12, c), "b", random(13, c), "m", random(14, c), "v", var);
        ModelProto m = Models.model(g, 13);
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        SingaRep folded = SingaBackend.prepare(m, CpuDevice.get());
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        long weightBytes = 4L * w.size();
        assertTrue(allocated < weightBytes / 2, "prepare allocated " + allocated + " bytes of heap for "
                + weightBytes + " bytes of weights");
        Tensor x = random(15, 1, c, 4, 4);
        assertClose(run(unpacked(m), x), run(folded, x), 1e-4, "folded Conv + BatchNormalization");
    }

    @Test
    void outputsAreTheSameAtEveryShapeAfterThePlainWeightsWereDropped() {
        ModelProto m = convNet();
        SingaRep rep = SingaBackend.prepare(m, CpuDevice.get());
        SingaRep reference = unpacked(m);
        Tensor a = random(10, 1, 64, 10, 10);
        Tensor b = random(11, 1, 64, 7, 9);
        Tensor c = random(12, 3, 64, 5, 6);

        float[] ya = run(rep, a);
        assertTrue(reclaimed(rep, "w1"), "w1's plain copy is dropped once packed");
        assertTrue(reclaimed(rep, "w2"));
        float[] yb = run(rep, b);
        float[] yc = run(rep, c);
        // the copies made after the drop come from the rebuilt weights: bit for bit what a fresh model packs
        SingaRep fresh = SingaBackend.prepare(m, CpuDevice.get());
        assertArrayEquals(run(fresh, b), yb);
        assertArrayEquals(run(fresh, c), yc);
        assertArrayEquals(ya, run(rep, a));
        assertArrayEquals(yb, run(rep, b));
        assertClose(run(reference, a), ya, 1e-5, "shape A");
        assertClose(run(reference, b), yb, 1e-5, "shape B");
        assertClose(run(reference, c), yc, 1e-5, "shape C");
        assertTrue(reclaimed(rep, "w1"));
    }

    @Test
    void initializersAndExportReadTheModelWeights() {
        ModelProto m = convNet();
        SingaRep rep = SingaBackend.prepare(m, CpuDevice.get());
        Tensor a = random(20, 1, 64, 10, 10);
        float[] ya = run(rep, a);
        assertTrue(reclaimed(rep, "w2"));

        ModelProto exported = SingaFrontend.toOnnx(rep, 13);
        for (TensorProto t : exported.getGraph().getInitializerList()) {
            Tensor expected = t.getName().equals("w1") ? W1 : t.getName().equals("w2") ? W2 : B1;
            assertArrayEquals(expected.toFloatArray(), TensorProtos.toTensor(t).toFloatArray(), t.getName());
        }
        assertEquals(3, exported.getGraph().getInitializerCount());
        // handed out: kept from now on, and the model still runs right
        assertArrayEquals(W2.toFloatArray(), rep.initializer("w2").toFloatArray());
        assertFalse(reclaimed(rep, "w2"));
        float[] yb = run(rep, random(21, 2, 64, 7, 9));
        assertFalse(reclaimed(rep, "w2"));
        assertArrayEquals(ya, run(rep, a));
        assertEquals(2 * 16 * 7 * 9, yb.length);
    }

    @Test
    void weightsWithOtherReadersStay() {
        // w feeds two convolutions; v is also a graph output
        Tensor w = random(30, 64, 64, 3, 3);
        Tensor v = random(31, 64, 64, 3, 3);
        GraphProto g = Models.graph("shared", List.of(
                        conv("c1", "x", "w", null, "t", 1),
                        conv("c2", "t", "w", null, "u", 1),
                        conv("c3", "u", "v", null, "y", 1)),
                List.of(Models.tensorInfo("x", DataType.FLOAT, 1, 64, 8, 8)),
                List.of(Models.tensorInfo("y", DataType.FLOAT, 1, 64, 8, 8),
                        Models.tensorInfo("v", DataType.FLOAT, 64, 64, 3, 3)),
                "w", w, "v", v);
        ModelProto m = Models.model(g, 13);
        SingaRep rep = SingaBackend.prepare(m, CpuDevice.get());
        Tensor x = random(32, 1, 64, 8, 8);
        List<Tensor> out = rep.run(List.of(x));
        assertFalse(reclaimed(rep, "w"), "two nodes read w");
        assertFalse(reclaimed(rep, "v"), "v is an output");
        assertArrayEquals(v.toFloatArray(), out.get(1).toFloatArray());
        assertClose(run(unpacked(m), x), out.get(0).toFloatArray(), 1e-5, "y");
    }

    @Test
    void constantProductWeightsAreDroppedAndRebuiltToo() {
        Tensor b1 = random(40, 64, 96);
        Tensor b2 = random(41, 40, 96);
        Tensor c2 = random(42, 40);
        GraphProto g = Models.graph("products", List.of(
                        Models.node("MatMul", "mm", new String[] {"x", "b1"}, new String[] {"t"}),
                        NodeProto.newBuilder().setOpType("Gemm").setName("gemm").addInput("t").addInput("b2")
                                .addInput("c2").addOutput("y").addAttribute(Attrs.of("transB", 1L)).build()),
                List.of(Models.tensorInfo("x", DataType.FLOAT, -1, 64)),
                List.of(Models.tensorInfo("y", DataType.FLOAT, -1, 40)),
                "b1", b1, "b2", b2, "c2", c2);
        ModelProto m = Models.model(g, 13);
        SingaRep rep = SingaBackend.prepare(m, CpuDevice.get());
        SingaRep reference = unpacked(m);
        Tensor x2 = random(43, 2, 64);
        Tensor x7 = random(44, 7, 64);
        Tensor x64 = random(45, 64, 64);
        float[] y2 = run(rep, x2);
        assertTrue(reclaimed(rep, "b1"), "MatMul's B is kept packed alone");
        assertTrue(reclaimed(rep, "b2"), "Gemm's B is kept packed alone");
        float[] y7 = run(rep, x7);
        float[] y64 = run(rep, x64);
        SingaRep fresh = SingaBackend.prepare(m, CpuDevice.get());
        assertArrayEquals(run(fresh, x64), y64);
        assertArrayEquals(y2, run(rep, x2));
        assertArrayEquals(y7, run(rep, x7));
        assertClose(run(reference, x2), y2, 1e-5, "2 rows");
        assertClose(run(reference, x7), y7, 1e-5, "7 rows");
        assertClose(run(reference, x64), y64, 1e-5, "64 rows");
        assertArrayEquals(b1.toFloatArray(), rep.initializer("b1").toFloatArray());
        assertArrayEquals(b2.toFloatArray(), rep.initializer("b2").toFloatArray());
    }

    @Test
    void foldedBatchNormalizationOutputsMatchTheUnfoldedModel() {
        // the inference rewrites fold BatchNormalization into the Conv in scratch memory released at once
        Tensor scale = random(50, 64);
        Tensor bias = random(51, 64);
        Tensor mean = random(52, 64);
        Tensor var = Tensor.zeros(DataType.FLOAT, 64);
        for (int i = 0; i < 64; i++) {
            var.setFloat(i, 0.5f + i / 64f);
        }
        GraphProto g = Models.graph("bn", List.of(
                        conv("c1", "x", "w1", "b1", "t", 1),
                        Models.node("BatchNormalization", "bn", new String[] {"t", "s", "bb", "m", "v"},
                                new String[] {"u"}),
                        Models.node("Relu", "r", new String[] {"u"}, new String[] {"y"})),
                List.of(Models.tensorInfo("x", DataType.FLOAT, -1, 64, -1, -1)),
                List.of(Models.tensorInfo("y", DataType.FLOAT, -1, 64, -1, -1)),
                "w1", W1, "b1", B1, "s", scale, "bb", bias, "m", mean, "v", var);
        ModelProto m = Models.model(g, 13);
        SingaRep rep = SingaBackend.prepare(m, CpuDevice.get());
        SingaRep reference = unpacked(m);
        for (int[] shape : new int[][] {{1, 64, 10, 10}, {2, 64, 7, 9}, {1, 64, 10, 10}}) {
            Tensor x = random(53, shape);
            assertClose(run(reference, x), run(rep, x), 1e-4, java.util.Arrays.toString(shape));
        }
    }

    /** Conv + BatchNormalization (+ Relu) three times, with a residual, as resnet has them. */
    private static ModelProto foldedBlock() {
        int c = 64;
        List<NodeProto> nodes = new java.util.ArrayList<>();
        List<Object> inits = new java.util.ArrayList<>();
        String in = "x";
        for (int i = 0; i < 3; i++) {
            java.util.Collections.addAll(inits, "w" + i, random(60 + i, c, c, 3, 3));
            nodes.add(conv("c" + i, in, "w" + i, null, "t" + i, 1));
            nodes.add(Models.node("BatchNormalization", "bn" + i,
                    new String[] {"t" + i, "s" + i, "b" + i, "m" + i, "v" + i}, new String[] {"n" + i}));
            Tensor var = Tensor.zeros(DataType.FLOAT, c);
            for (int k = 0; k < c; k++) {
                var.setFloat(k, 0.25f + (k * 7 + i) % 11 / 4f);
            }
            java.util.Collections.addAll(inits, "s" + i, random(70 + i, c), "b" + i, random(80 + i, c),
                    "m" + i, random(90 + i, c), "v" + i, var);
            String out = i == 2 ? "n2" : "r" + i;
            if (i < 2) {
                nodes.add(Models.node("Relu", "relu" + i, new String[] {"n" + i}, new String[] {out}));
            }
            in = out;
        }
        nodes.add(Models.node("Add", "add", new String[] {"n2", "r0"}, new String[] {"s"}));
        nodes.add(Models.node("Relu", "relu", new String[] {"s"}, new String[] {"y"}));
        GraphProto g = Models.graph("bn-block", nodes,
                List.of(Models.tensorInfo("x", DataType.FLOAT, -1, c, -1, -1)),
                List.of(Models.tensorInfo("y", DataType.FLOAT, -1, c, -1, -1)), inits.toArray());
        return Models.model(g, 13);
    }

    /**
     * {@link #foldedBlock} at a size that takes Winograd: U rounds the folded weights and cannot give
     * them back, so their plain copy goes only because it can be recomputed from the model's own
     * tensors. A shape too small for Winograd then packs oneDNN's copy from the recomputed weights,
     * bit for bit what a fresh model packs from the first computation, and both shapes match ONNX
     * Runtime.
     */
    @Test
    void foldedWeightsUnderWinogradAreRecomputedFromTheModel() {
        assumeWinograd();
        ModelProto m = foldedBlock();
        SingaRep rep = SingaBackend.prepare(m, CpuDevice.get());
        SingaRep fresh = SingaBackend.prepare(m, CpuDevice.get());
        float[] firstComputed = rep.planConstant("w1_bnfolded").toFloatArray();
        Tensor big = random(100, 8, 64, 32, 32);
        long before = dev.sonnx.runtime.ops.conv.dnnl.WinogradConvolution.calls();
        float[] yBig = run(rep, big);
        assertEquals(3, dev.sonnx.runtime.ops.conv.dnnl.WinogradConvolution.calls() - before);
        for (int i = 0; i < 3; i++) {
            assertTrue(reclaimed(rep, "w" + i + "_bnfolded"), "w" + i + "'s folded weights stay beside U");
        }
        // 4 tiles an image: the direct kernel, whose packed copy reads the recomputed weights
        Tensor small = random(101, 1, 64, 8, 8);
        float[] ySmall = run(rep, small);
        assertArrayEquals(run(fresh, small), ySmall);
        assertArrayEquals(yBig, run(rep, big));
        // Winograd's error grows with the sums it rounds: measured against the largest output
        assertCloseToLargest(ortRun(m, big), yBig, 2e-5, "batch 8, Winograd");
        assertCloseToLargest(ortRun(m, small), ySmall, 2e-5, "batch 1, direct");
        // read back: the recomputation is the first computation, bit for bit
        assertArrayEquals(firstComputed, rep.planConstant("w1_bnfolded").toFloatArray());
    }

    private static void assumeWinograd() {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                dev.sonnx.runtime.ops.conv.dnnl.WinogradConvolution.available(),
                "Winograd convolution unavailable (no jdk.incubator.vector or oneDNN): nothing to check");
    }

    private static void assertCloseToLargest(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what);
        double largest = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            largest = Math.max(largest, Math.abs(expected[i]));
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst <= tol * largest, what + ": largest difference " + worst + " against outputs up to " + largest);
    }

    private static float[] ortRun(ModelProto m, Tensor x) {
        return dev.sonnx.runtime.testing.OrtReference.run(m, List.of("x"), List.of(x)).get(0).toFloatArray();
    }
}
