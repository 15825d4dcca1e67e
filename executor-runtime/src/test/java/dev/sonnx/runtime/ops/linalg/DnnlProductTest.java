package dev.sonnx.runtime.ops.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.OpTester;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The oneDNN float32 paths of MatMul and Gemm against the same operators on float64 inputs (BLAS
 * dgemm), for the layouts oneDNN is given: folded batches, broadcast batches, vectors, transposes,
 * bias rows, and constant B packed once inside a prepared model.
 */
class DnnlProductTest {

    private static double[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextDouble(-1, 1);
        }
        return v;
    }

    private static void assertClose(Tensor expected, Tensor actual, String what) {
        assertEquals(DataType.FLOAT, actual.dtype(), what);
        assertArrayEquals(expected.shape(), actual.shape(), what);
        for (int i = 0; i < expected.size(); i++) {
            double e = expected.getDouble(i);
            assertTrue(Math.abs(actual.getDouble(i) - e) <= 1e-5 * (1 + Math.abs(e)),
                    what + ": element " + i + " is " + actual.getDouble(i) + ", expected " + e);
        }
    }

    @Test
    void matMulOnEveryLayoutMatchesFloat64() {
        int[][][] pairs = {
                {{32, 128}, {128, 384}},
                {{1, 32, 128}, {128, 512}},          // a batch folded into one product
                {{2, 4, 7, 5}, {2, 4, 5, 3}},        // attention-style batches
                {{2, 1, 7, 5}, {1, 3, 5, 6}},        // batches broadcast both ways
                {{3, 7, 5}, {5, 2}},
                {{5}, {3, 5, 4}},                    // a vector on the left
                {{3, 7, 5}, {5}},                    // and on the right
                {{6}, {6}},
                {{1, 1280}, {1280, 1000}},
        };
        int seed = 0;
        for (int[][] p : pairs) {
            double[] av = random(seed++, Shapes.size(p[0]));
            double[] bv = random(seed++, Shapes.size(p[1]));
            Tensor y = OpTester.of("MatMul", 13).inputs(2)
                    .run(Tensor.fromDoubles(DataType.FLOAT, av, p[0]), Tensor.fromDoubles(DataType.FLOAT, bv, p[1]))[0];
            Tensor e = OpTester.of("MatMul", 13).inputs(2)
                    .run(Tensor.fromDoubles(DataType.DOUBLE, av, p[0]), Tensor.fromDoubles(DataType.DOUBLE, bv, p[1]))[0];
            assertClose(e, y, java.util.Arrays.deepToString(p));
        }
    }

    @Test
    void gemmWithTransposesAndBiasRowsMatchesFloat64() {
        int m = 9;
        int k = 17;
        int n = 13;
        int seed = 100;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (int[] cShape : new int[][] {null, {n}, {1, n}, {m, n}, {m, 1}}) {
                    for (float alpha : new float[] {1f, 0.5f}) {
                        int[] as = ta ? new int[] {k, m} : new int[] {m, k};
                        int[] bs = tb ? new int[] {n, k} : new int[] {k, n};
                        double[] av = random(seed++, m * k);
                        double[] bv = random(seed++, k * n);
                        double[] cv = cShape == null ? null : random(seed++, Shapes.size(cShape));
                        OpTester t = OpTester.of("Gemm", 13).inputs(cShape == null ? 2 : 3).attr("transA", ta ? 1 : 0)
                                .attr("transB", tb ? 1 : 0).attr("alpha", alpha);
                        Tensor y = cShape == null
                                ? t.run(Tensor.fromDoubles(DataType.FLOAT, av, as), Tensor.fromDoubles(DataType.FLOAT, bv, bs))[0]
                                : t.run(Tensor.fromDoubles(DataType.FLOAT, av, as), Tensor.fromDoubles(DataType.FLOAT, bv, bs),
                                        Tensor.fromDoubles(DataType.FLOAT, cv, cShape))[0];
                        Tensor e = cShape == null
                                ? t.run(Tensor.fromDoubles(DataType.DOUBLE, av, as), Tensor.fromDoubles(DataType.DOUBLE, bv, bs))[0]
                                : t.run(Tensor.fromDoubles(DataType.DOUBLE, av, as), Tensor.fromDoubles(DataType.DOUBLE, bv, bs),
                                        Tensor.fromDoubles(DataType.DOUBLE, cv, cShape))[0];
                        assertClose(e, y, "transA=" + ta + " transB=" + tb + " C=" + java.util.Arrays.toString(cShape)
                                + " alpha=" + alpha);
                    }
                }
            }
        }
    }

    @Test
    void constantWeightsArePackedOnceAndGiveTheSameResultsEveryRun() {
        Tensor w = Tensor.fromDoubles(DataType.FLOAT, random(7, 64 * 48), 64, 48);
        Tensor w2 = Tensor.fromDoubles(DataType.FLOAT, random(10, 32 * 48), 32, 48);
        Tensor c = Tensor.fromDoubles(DataType.FLOAT, random(8, 32), 32);
        NodeProto gemm = Models.node("Gemm", "g", new String[] {"x", "w2", "c"}, new String[] {"z"}).toBuilder()
                .addAttribute(AttributeProto.newBuilder().setName("transB").setType(AttributeProto.AttributeType.INT)
                        .setI(1)).build();
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addNode(Models.node("MatMul", "mm", new String[] {"x3", "w"}, new String[] {"y"}))
                .addNode(Models.node("Reshape", "flat", new String[] {"y", "shape"}, new String[] {"x"}))
                .addNode(gemm)
                .addInitializer(TensorProtos.fromTensor(w, "w"))
                .addInitializer(TensorProtos.fromTensor(w2, "w2"))
                .addInitializer(TensorProtos.fromTensor(c, "c"))
                .addInitializer(TensorProtos.fromTensor(Tensor.of(new long[] {-1, 48}, 2), "shape"))
                .addInput(Models.tensorInfo("x3", DataType.FLOAT, 2, 5, 64))
                .addOutput(Models.tensorInfo("z", DataType.FLOAT, 10, 32))
                .build();
        SingaRep rep = SingaBackend.prepare(Models.model(g, 13), CpuDevice.get());
        double[] xv = random(9, 2 * 5 * 64);
        // z = (x3 @ w) @ w2^T + c in float64
        double[] expected = new double[10 * 32];
        for (int r = 0; r < 10; r++) {
            double[] y = new double[48];
            for (int j = 0; j < 48; j++) {
                for (int p = 0; p < 64; p++) {
                    y[j] += xv[r * 64 + p] * w.getDouble(p * 48 + j);
                }
            }
            for (int j = 0; j < 32; j++) {
                double s = c.getDouble(j);
                for (int p = 0; p < 48; p++) {
                    s += y[p] * w2.getDouble(j * 48 + p);
                }
                expected[r * 32 + j] = s;
            }
        }
        Tensor e = Tensor.fromDoubles(DataType.DOUBLE, expected, 10, 32);
        for (int run = 0; run < 3; run++) {
            assertClose(e, rep.run(List.of(Tensor.fromDoubles(DataType.FLOAT, xv, 2, 5, 64))).get(0), "run " + run);
        }
    }
}
