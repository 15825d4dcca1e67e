package dev.sonnx.runtime.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.autograd.Backward;
import dev.sonnx.runtime.autograd.Tape;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.TestTensors;
import dev.sonnx.runtime.onnx.Attrs;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.ops.Operator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cuDNN / cuBLAS operators (Conv, pools, BatchNormalization, Gemm, MatMul) against the CPU
 * operators, each as a one-node model through the real executor on {@code cuda:0} and on the CPU;
 * forward outputs, and gradients for the differentiable ones. Skipped without a CUDA device.
 */
class CudaOpsTest {
    private static final Device CUDA;
    private static final String REASON;

    static {
        Device d = null;
        String reason = null;
        try {
            d = Device.parse("cuda:0");
        } catch (Throwable e) {
            reason = String.valueOf(e.getMessage());
        }
        CUDA = d;
        REASON = reason;
        if (d == null) {
            // said once, in the build's output: the skips below are for want of a GPU, not a failure
            System.out.println("skipping CudaOpsTest: it needs a CUDA GPU; " + reason);
        }
    }

    private static final float TOL = 2e-4f;

    @BeforeEach
    void needsCuda() {
        Assumptions.assumeTrue(CUDA != null, "no CUDA device: " + REASON);
    }

    // ------------------------------------------------------------------ a one-node model

    /** One node over named feeds (graph inputs) and initializers, at an opset. */
    private static final class Case {
        final NodeProto node;
        final int opset;
        final Map<String, Tensor> feeds = new LinkedHashMap<>();
        final Map<String, Tensor> inits = new LinkedHashMap<>();

        Case(String op, int opset, String[] inputs, String[] outputs, AttributeProto... attrs) {
            NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(op.toLowerCase());
            b.addAllInput(List.of(inputs)).addAllOutput(List.of(outputs)).addAllAttribute(List.of(attrs));
            this.node = b.build();
            this.opset = opset;
        }

        Case feed(String name, Tensor t) {
            feeds.put(name, t);
            return this;
        }

        Case init(String name, Tensor t) {
            inits.put(name, t);
            return this;
        }

        SingaRep prepare(Device device) {
            GraphProto.Builder g = GraphProto.newBuilder().setName("one").addNode(node);
            feeds.forEach((n, t) -> g.addInput(Models.tensorInfo(n, DataType.FLOAT, t.shape())));
            inits.forEach((n, t) -> g.addInitializer(TensorProtos.fromTensor(t, n)));
            for (String o : node.getOutputList()) {
                g.addOutput(Models.value(o, Models.anyShape(DataType.FLOAT)));
            }
            return SingaBackend.prepare(Models.model(g.build(), opset), device);
        }
    }

    /** The outputs on the host, and (with {@code seed} set) the gradients of the feeds for that output seed. */
    private record Result(List<Tensor> outputs, List<Tensor> grads, SingaRep rep) {
    }

    private static Result run(Case c, Device device, boolean training, boolean gradients) {
        SingaRep rep = c.prepare(device);
        List<Tensor> feeds = new ArrayList<>();
        for (Tensor t : c.feeds.values()) {
            feeds.add(t.to(device));
        }
        Tape tape = gradients ? new Tape() : null;
        List<Value> out = rep.runValues(feeds, -1, training, tape, new SplittableRandom(1));
        List<Tensor> host = new ArrayList<>();
        for (Value v : out) {
            host.add(v == null ? null : v.asTensor().toHost());
        }
        List<Tensor> grads = new ArrayList<>();
        if (gradients) {
            Tensor y = out.get(0).asTensor();
            Tensor seed = TestTensors.random(99, y.shape()).to(device);
            Map<Tensor, Tensor> g = Backward.gradients(tape, y, seed, feeds);
            for (Tensor f : feeds) {
                Tensor gf = g.get(f);
                grads.add(gf == null ? null : gf.toHost());
            }
        }
        return new Result(host, grads, rep);
    }

    /**
     * Whether the node gets its CUDA operator (else the host fallback): a declined node would still
     * match the CPU, so each case also says where it must run.
     */
    private static void assertPlacement(Case c, boolean onDevice) {
        Node node = new Node(c.node, c.opset);
        Operator cpu = OpRegistry.standard().resolve("", c.node.getOpType(), c.opset).create(node, null);
        Operator placed = CudaOperators.place(cpu, (CudaDevice) CUDA);
        assertEquals(onDevice, placed instanceof CudaOp, c.node.getOpType() + " placed as "
                + placed.getClass().getSimpleName());
    }

    /** Runs on both devices and compares outputs (and gradients when asked). */
    private static Result[] compare(Case c, boolean training, boolean gradients) {
        return compare(c, training, gradients, true);
    }

    private static Result[] compare(Case c, boolean training, boolean gradients, boolean placedOnDevice) {
        assertPlacement(c, placedOnDevice);
        Result cpu = run(c, Device.parse("cpu"), training, gradients);
        Result gpu = run(c, CUDA, training, gradients);
        assertEquals(cpu.outputs.size(), gpu.outputs.size());
        for (int i = 0; i < cpu.outputs.size(); i++) {
            close(cpu.outputs.get(i), gpu.outputs.get(i), c.node.getOpType() + " output " + i);
        }
        List<String> names = new ArrayList<>(c.feeds.keySet());
        for (int i = 0; i < cpu.grads.size(); i++) {
            close(cpu.grads.get(i), gpu.grads.get(i), c.node.getOpType() + " gradient of " + names.get(i));
        }
        return new Result[] {cpu, gpu};
    }

    private static void close(Tensor expected, Tensor actual, String what) {
        if (expected == null) {
            assertTrue(actual == null, what + ": expected none");
            return;
        }
        assertNotNull(actual, what + ": missing");
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        for (int i = 0; i < expected.size(); i++) {
            float e = expected.getFloat(i);
            float a = actual.getFloat(i);
            float tol = TOL * Math.max(1f, Math.abs(e));
            if (!(Math.abs(e - a) <= tol)) {
                throw new AssertionError(what + ": element " + i + " is " + a + ", expected " + e + " (shape "
                        + Arrays.toString(expected.shape()) + ")");
            }
        }
    }

    private static Tensor random(long seed, int... shape) {
        return TestTensors.random(seed, shape);
    }

    // ------------------------------------------------------------------ Conv

    @Test
    void conv2dGroupsStridesDilationsPadsBias() {
        Case c = new Case("Conv", 13, new String[] {"x", "w", "b"}, new String[] {"y"},
                Attrs.of("group", 2L), Attrs.ints("strides", 2, 1), Attrs.ints("dilations", 1, 2),
                Attrs.ints("pads", 1, 1, 1, 1))
                .feed("x", random(1, 2, 4, 7, 6)).feed("w", random(2, 6, 2, 3, 3)).feed("b", random(3, 6));
        compare(c, false, true);
    }

    @Test
    void conv1dSameUpper() {
        Case c = new Case("Conv", 13, new String[] {"x", "w"}, new String[] {"y"},
                Attrs.of("auto_pad", "SAME_UPPER"))
                .feed("x", random(4, 2, 3, 9)).feed("w", random(5, 4, 3, 3));
        compare(c, false, true);
    }

    @Test
    void conv3d() {
        Case c = new Case("Conv", 13, new String[] {"x", "w", "b"}, new String[] {"y"}, Attrs.ints("pads", 1, 0, 1,
                1, 0, 1))
                .feed("x", random(6, 1, 2, 5, 5, 4)).feed("w", random(7, 3, 2, 2, 2, 2)).feed("b", random(8, 3));
        compare(c, false, true);
    }

    @Test
    void convAsymmetricPadsRunOnTheHost() {
        Case c = new Case("Conv", 13, new String[] {"x", "w"}, new String[] {"y"}, Attrs.ints("pads", 0, 1, 1, 0))
                .feed("x", random(9, 1, 2, 5, 5)).feed("w", random(10, 3, 2, 3, 3));
        compare(c, false, true, false);
    }

    // ------------------------------------------------------------------ pools

    @Test
    void maxPool2d() {
        Case c = new Case("MaxPool", 12, new String[] {"x"}, new String[] {"y"}, Attrs.ints("kernel_shape", 3, 3),
                Attrs.ints("strides", 2, 2), Attrs.ints("pads", 1, 1, 1, 1))
                .feed("x", random(11, 2, 3, 9, 8));
        compare(c, false, true);
    }

    @Test
    void maxPool1d() {
        Case c = new Case("MaxPool", 12, new String[] {"x"}, new String[] {"y"}, Attrs.ints("kernel_shape", 2),
                Attrs.ints("strides", 2))
                .feed("x", random(12, 2, 3, 10));
        compare(c, false, true);
    }

    @Test
    void averagePoolCountIncludePad() {
        for (long include = 0; include <= 1; include++) {
            Case c = new Case("AveragePool", 19, new String[] {"x"}, new String[] {"y"},
                    Attrs.ints("kernel_shape", 3, 3), Attrs.ints("pads", 1, 1, 1, 1),
                    Attrs.of("count_include_pad", include))
                    .feed("x", random(13, 2, 3, 6, 7));
            compare(c, false, true);
        }
    }

    @Test
    void averagePool3dCeilModeThatChangesNothing() {
        Case c = new Case("AveragePool", 19, new String[] {"x"}, new String[] {"y"},
                Attrs.ints("kernel_shape", 2, 2, 2), Attrs.ints("strides", 2, 2, 2), Attrs.of("ceil_mode", 1L))
                .feed("x", random(14, 1, 2, 4, 6, 4));
        compare(c, false, true);
    }

    @Test
    void globalPools() {
        for (String op : new String[] {"GlobalAveragePool", "GlobalMaxPool"}) {
            Case c = new Case(op, 13, new String[] {"x"}, new String[] {"y"}).feed("x", random(15, 2, 3, 5, 4));
            compare(c, false, true);
            Case c1 = new Case(op, 13, new String[] {"x"}, new String[] {"y"}).feed("x", random(16, 2, 3, 7));
            compare(c1, false, false);
        }
    }

    // ------------------------------------------------------------------ BatchNormalization

    @Test
    void batchNormInference() {
        Case c = new Case("BatchNormalization", 15, new String[] {"x", "s", "b", "m", "v"}, new String[] {"y"},
                Attrs.of("epsilon", 1e-3f))
                .feed("x", random(17, 2, 3, 4, 5)).feed("s", random(18, 3)).feed("b", random(19, 3))
                .init("m", random(20, 3)).init("v", TestTensors.positive(21, 3));
        compare(c, false, true);
    }

    @Test
    void batchNormTrainingUpdatesRunningStatistics() {
        Case c = new Case("BatchNormalization", 15, new String[] {"x", "s", "b", "m", "v"}, new String[] {"y"},
                Attrs.of("momentum", 0.8f))
                .feed("x", random(22, 4, 3, 5, 2)).feed("s", random(23, 3)).feed("b", random(24, 3))
                .init("m", random(25, 3)).init("v", TestTensors.positive(26, 3));
        Result[] r = compare(c, true, true);
        for (String state : new String[] {"m", "v"}) {
            close(r[0].rep.initializer(state).toHost(), r[1].rep.initializer(state).toHost(),
                    "BatchNormalization running statistic " + state);
        }
    }

    // ------------------------------------------------------------------ Gemm and MatMul

    @Test
    void gemmTransposesAlphaBetaBroadcastC() {
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0;
            boolean tb = (t & 2) != 0;
            int m = 5;
            int n = 7;
            int k = 3;
            Case c = new Case("Gemm", 13, new String[] {"a", "b", "c"}, new String[] {"y"},
                    Attrs.of("transA", ta ? 1L : 0L), Attrs.of("transB", tb ? 1L : 0L), Attrs.of("alpha", 0.5f),
                    Attrs.of("beta", 2f))
                    .feed("a", random(30 + t, ta ? k : m, ta ? m : k)).feed("b", random(40 + t, tb ? n : k, tb ? k : n))
                    .feed("c", random(50 + t, n));
            compare(c, false, true);
        }
        Case full = new Case("Gemm", 13, new String[] {"a", "b", "c"}, new String[] {"y"})
                .feed("a", random(60, 4, 6)).feed("b", random(61, 6, 2)).feed("c", random(62, 4, 2));
        compare(full, false, true);
        Case column = new Case("Gemm", 13, new String[] {"a", "b", "c"}, new String[] {"y"})
                .feed("a", random(63, 4, 6)).feed("b", random(64, 6, 2)).feed("c", random(65, 4, 1));
        compare(column, false, true);
        Case noC = new Case("Gemm", 13, new String[] {"a", "b"}, new String[] {"y"}, Attrs.of("transB", 1L))
                .feed("a", random(66, 3, 4)).feed("b", random(67, 5, 4));
        compare(noC, false, true);
    }

    @Test
    void matMulShapes() {
        int[][][] shapes = {
            {{4, 3}, {3, 5}},          // plain
            {{2, 4, 3}, {3, 5}},       // batch folded into M
            {{2, 4, 3}, {2, 3, 5}},    // equal batches
            {{4, 3}, {2, 3, 5}},       // shared A
            {{3}, {2, 3, 5}},          // vector A
            {{2, 4, 3}, {3}},          // vector B
            {{3}, {3}},                // dot
            {{1, 2, 4, 3}, {2, 3, 5}}, // leading unit batch axis
            {{2, 1, 4, 3}, {1, 3, 3, 5}}, // true broadcast: the host
        };
        long seed = 70;
        for (int[][] s : shapes) {
            Case c = new Case("MatMul", 13, new String[] {"a", "b"}, new String[] {"y"})
                    .feed("a", random(seed++, s[0])).feed("b", random(seed++, s[1]));
            compare(c, false, true);
        }
    }
}
