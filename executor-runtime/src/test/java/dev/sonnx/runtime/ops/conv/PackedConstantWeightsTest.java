package dev.sonnx.runtime.ops.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.Attrs;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpRegistry;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.Subgraph;
import dev.sonnx.runtime.ops.conv.dnnl.Dnnl;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.HostStorage;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.TestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * A Conv whose weights are a constant keeps them only in oneDNN's packed layout once it ran: the
 * plain copy's memory goes back, and a new input shape (another primitive, maybe another layout)
 * gets the plain weights rebuilt from the packed copy. Outputs are checked against the same
 * convolution with W fed at every call (reordered per call, never dropped), bit for bit, and against
 * the direct-loop reference.
 */
class PackedConstantWeightsTest {

    /**
     * One convolution geometry: W's shape, group, pads (begin = end), the X shapes to feed in order,
     * and whether oneDNN reads W packed (then the plain copy goes) or as it is (then it stays).
     */
    private record Geometry(int[] wShape, int group, int pad, int[][] xShapes, boolean packs) {
    }

    private static final List<Geometry> GEOMETRIES = List.of(
            // on AVX2/AVX-512, batch-1 images of 7x9 or 2x2 get primitives with another weight layout
            // than 10x10 or batch 2: the plain weights are rebuilt from the first packed copy
            new Geometry(new int[] {64, 64, 3, 3}, 1, 1, new int[][] {{1, 64, 10, 10}, {1, 64, 7, 9},
                    {1, 64, 10, 10}, {2, 64, 7, 9}, {1, 64, 2, 2}, {1, 64, 10, 10}}, true),
            new Geometry(new int[] {16, 8, 3, 3}, 1, 1,
                    new int[][] {{1, 8, 10, 10}, {3, 8, 7, 9}, {1, 8, 10, 10}, {2, 8, 12, 5}, {1, 8, 10, 10}}, true),
            new Geometry(new int[] {24, 1, 3, 3}, 24, 1,
                    new int[][] {{1, 24, 14, 14}, {2, 24, 6, 6}, {1, 24, 14, 14}}, true),
            new Geometry(new int[] {32, 8, 1, 1}, 2, 0, new int[][] {{1, 16, 9, 9}, {4, 16, 3, 17}, {1, 16, 9, 9}},
                    true),
            // a 1x1 convolution whose primitive reads ONNX's layout (OI is already what it wants): nothing to drop
            new Geometry(new int[] {32, 16, 1, 1}, 1, 0, new int[][] {{1, 16, 9, 9}, {4, 16, 3, 17}}, false));

    private static Tensor random(long seed, int... shape) {
        double[] v = ConvReference.random(seed, ConvReference.size(shape));
        return ConvReference.tensor(DataType.FLOAT, v, shape);
    }

    /** A Conv node built as prepare builds it, with W (input 1) the constant {@code w} when given. */
    private static Operator conv(Geometry g, Tensor w) {
        int p = g.pad;
        NodeProto np = NodeProto.newBuilder().setOpType("Conv").setName("conv")
                .addInput("x").addInput("w").addInput("b").addOutput("y")
                .addAttribute(Attrs.of("group", (long) g.group))
                .addAttribute(Attrs.ints("pads", p, p, p, p))
                .build();
        OpRegistry.Factory f = OpRegistry.standard().resolve("", "Conv", 11);
        return f.create(new Node(np, 11), new BuildContext() {
            @Override
            public Device device() {
                return CpuDevice.get();
            }

            @Override
            public int opsetVersion(String domain) {
                return 11;
            }

            @Override
            public Tensor constantInput(int index) {
                return index == 1 ? w : null;
            }

            @Override
            public Subgraph compileSubgraph(GraphProto graph) {
                throw new AssertionError("no bodies here");
            }
        });
    }

    private static float[] run(Operator op, Tensor x, Tensor w, Tensor b) {
        return op.forward(new Tensor[] {x, w, b}, TestContext.inference())[0].asTensor().toFloatArray();
    }

    private static double[] reference(Geometry g, Tensor x, Tensor w, Tensor b) {
        int[] xs = x.shape();
        int[] ws = w.shape();
        int[] out = new int[2];
        for (int d = 0; d < 2; d++) {
            out[d] = xs[2 + d] + 2 * g.pad - ws[2 + d] + 1;
        }
        return ConvReference.conv(x.toDoubleArray(), xs, w.toDoubleArray(), ws, b.toDoubleArray(), g.group,
                new int[] {1, 1}, new int[] {1, 1}, new int[] {g.pad, g.pad}, out);
    }

    @Test
    void newShapesAfterThePlainWeightsWereDroppedGiveTheSameOutputs() {
        assertTrue(Dnnl.available(), "oneDNN did not load: " + Dnnl.unavailableReason());
        long seed = 100;
        for (Geometry g : GEOMETRIES) {
            Tensor w = random(seed++, g.wShape);
            float[] original = w.toFloatArray();
            Tensor b = random(seed++, g.wShape[0]);
            HostStorage storage = (HostStorage) w.storage();
            storage.allowReclaim(); // as the plan compiler does for a constant with one reader
            Operator packed = conv(g, w);
            Operator perCall = conv(g, null);
            // the per-call path reads its own copy of W, which is never dropped
            Tensor wFed = Tensor.of(original, g.wShape);
            for (int i = 0; i < g.xShapes.length; i++) {
                Tensor x = random(seed++, g.xShapes[i]);
                float[] y = run(packed, x, w, b);
                String what = java.util.Arrays.toString(g.wShape) + " X " + java.util.Arrays.toString(g.xShapes[i])
                        + " (call " + i + ")";
                assertArrayEquals(run(perCall, x, wFed, b), y, what);
                ConvTest.assertClose(reference(g, x, wFed, b), Tensor.of(y, y.length), 1e-5, 1e-5, what);
                assertEquals(g.packs, storage.isReclaimed(), what + ": the plain weights are dropped once packed");
            }
            // the plan's tensor still reads as the model's weights, rebuilt from the packed copy
            assertArrayEquals(original, w.toFloatArray());
        }
    }

    @Test
    void concurrentRunsOfSeveralShapesWhileThePlainCopyComesAndGoes() throws Exception {
        Geometry g = GEOMETRIES.get(0);
        Tensor w = random(7, g.wShape);
        Tensor b = random(8, g.wShape[0]);
        Tensor wFed = Tensor.of(w.toFloatArray(), g.wShape);
        ((HostStorage) w.storage()).allowReclaim();
        Operator packed = conv(g, w);
        Operator perCall = conv(g, null);
        int[][] shapes = {{1, 64, 10, 10}, {1, 64, 7, 9}, {2, 64, 5, 6}, {1, 64, 2, 2}};
        List<Tensor> xs = new ArrayList<>();
        List<float[]> expected = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            Tensor x = random(20 + i, shapes[i]);
            xs.add(x);
            expected.add(run(perCall, x, wFed, b));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int first = t;
                done.add(pool.submit(() -> {
                    for (int k = 0; k < 12; k++) {
                        int s = (first + k) % shapes.length;
                        assertArrayEquals(expected.get(s), run(packed, xs.get(s), w, b), "shape " + s);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertArrayEquals(wFed.toFloatArray(), w.toFloatArray());
    }
}
