package dev.sonnx.runtime.ops.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

class GemmTest {

    /** alpha * op(A) op(B) + beta * C[i % cRows][j % cCols], straight from the definition. */
    private static double[] reference(double[] a, double[] b, double[] c, int cRows, int cCols, int m, int n, int k,
                                      boolean ta, boolean tb, double alpha, double beta) {
        double[] y = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[p * m + i] : a[i * k + p];
                    double bv = tb ? b[j * k + p] : b[p * n + j];
                    s += av * bv;
                }
                y[i * n + j] = alpha * s + (c == null ? 0 : beta * c[(i % cRows) * cCols + j % cCols]);
            }
        }
        return y;
    }

    private static double[] seq(int n, double start, double step) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = start + i * step;
        }
        return r;
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Test
    void smallProductByHand() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        Tensor b = Tensor.of(new float[] {5, 6, 7, 8}, 2, 2);
        Tensor c = Tensor.of(new float[] {1, -1}, 2);
        Tensor y = OpTester.of("Gemm", 13).inputs(3).run(a, b, c)[0];
        // [1 2; 3 4] [5 6; 7 8] = [19 22; 43 50], plus the row [1, -1]
        assertArrayEquals(new float[] {20, 21, 44, 49}, y.toFloatArray());
    }

    @Test
    void everyTransposeAndBiasShape() {
        int m = 3;
        int n = 4;
        int k = 5;
        int[][] biasShapes = {{}, {1}, {n}, {1, n}, {m, 1}, {m, n}};
        for (int ta = 0; ta < 2; ta++) {
            for (int tb = 0; tb < 2; tb++) {
                for (int[] cs : biasShapes) {
                    double[] a = seq(m * k, -1, 0.25);
                    double[] b = seq(k * n, 2, -0.5);
                    int cRows = cs.length == 2 ? cs[0] : 1;
                    int cCols = cs.length == 0 ? 1 : cs[cs.length - 1];
                    double[] c = seq(cRows * cCols, 0.5, 1);
                    Tensor at = Tensor.of(toFloats(a), ta == 1 ? new int[] {k, m} : new int[] {m, k});
                    Tensor bt = Tensor.of(toFloats(b), tb == 1 ? new int[] {n, k} : new int[] {k, n});
                    Tensor ct = Tensor.of(toFloats(c), cs);
                    Tensor y = OpTester.of("Gemm", 13).inputs(3).attr("transA", ta).attr("transB", tb)
                            .attr("alpha", 0.5f).attr("beta", 2f).run(at, bt, ct)[0];
                    assertArrayEquals(new int[] {m, n}, y.shape());
                    double[] want = reference(a, b, c, cRows, cCols, m, n, k, ta == 1, tb == 1, 0.5, 2);
                    for (int i = 0; i < want.length; i++) {
                        assertEquals(want[i], y.getDouble(i), 1e-4, "transA=" + ta + " transB=" + tb + " C "
                                + java.util.Arrays.toString(cs) + " at " + i);
                    }
                }
            }
        }
    }

    @Test
    void optionalBiasFromOpset11() {
        Tensor a = Tensor.of(new double[] {1, 2, 3}, 1, 3);
        Tensor b = Tensor.of(new double[] {1, 1, 1}, 3, 1);
        Tensor y = OpTester.of("Gemm", 11).inputs(2).attr("alpha", 2f).run(a, b)[0];
        assertEquals(DataType.DOUBLE, y.dtype());
        assertEquals(12, y.getDouble(0), 0);
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("Gemm", 9).inputs(2).build());
    }

    @Test
    void legacyBroadcastAttribute() {
        Tensor a = Tensor.of(new float[] {1, 2}, 1, 2);
        Tensor b = Tensor.of(new float[] {3, 4}, 2, 1);
        Tensor c = Tensor.of(new float[] {10}, 1);
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("Gemm", 6).inputs(3).run(a, b, c));
        Tensor y = OpTester.of("Gemm", 6).inputs(3).attr("broadcast", 1).run(a, b, c)[0];
        assertEquals(21, y.getFloat(0), 0);
    }

    @Test
    void mismatchedInnerDimensionsAreNamed() {
        Tensor a = Tensor.zeros(DataType.FLOAT, 2, 3);
        Tensor b = Tensor.zeros(DataType.FLOAT, 4, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("Gemm", 13).inputs(2).run(a, b));
        assertTrue(e.getMessage().contains("op(A) is 2 x 3"), e.getMessage());
        Tensor c = Tensor.zeros(DataType.FLOAT, 3);
        Tensor b2 = Tensor.zeros(DataType.FLOAT, 3, 2);
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("Gemm", 13).inputs(3).run(a, b2, c));
    }

    @Test
    void integersAreExact() {
        Tensor a = Tensor.of(new long[] {1L << 40, 3}, 1, 2);
        Tensor b = Tensor.of(new long[] {5, 7}, 2, 1);
        Tensor c = Tensor.of(new long[] {-1}, 1);
        Tensor y = OpTester.of("Gemm", 13).inputs(3).attr("alpha", 2f).attr("beta", 3f).run(a, b, c)[0];
        assertEquals(DataType.INT64, y.dtype());
        assertEquals(2 * (5L * (1L << 40) + 21) - 3, y.getLong(0));
        Tensor ai = Tensor.of(new int[] {Integer.MAX_VALUE, 1}, 1, 2);
        Tensor bi = Tensor.of(new int[] {2, 0}, 2, 1);
        // int32 arithmetic wraps: 2 * (2^31 - 1) = 2^32 - 2 -> -2
        assertEquals(-2, OpTester.of("Gemm", 13).inputs(2).run(ai, bi)[0].getLong(0));
    }

    @Test
    void float16ComputesInFloat() {
        Tensor a = Tensor.fromDoubles(DataType.FLOAT16, new double[] {0.5, 1.5, 2, -1}, 2, 2);
        Tensor b = Tensor.fromDoubles(DataType.FLOAT16, new double[] {2, 0, 1, 4}, 2, 2);
        Tensor y = OpTester.of("Gemm", 13).inputs(2).attr("transB", 1).run(a, b)[0];
        assertEquals(DataType.FLOAT16, y.dtype());
        // A B^T = [0.5*2+1.5*0, 0.5*1+1.5*4; 2*2-0, 2*1-4]
        assertArrayEquals(new double[] {1, 6.5, 4, -2}, y.toDoubleArray(), 0);
    }

    @Test
    void emptyInnerDimensionLeavesScaledBias() {
        Tensor a = Tensor.zeros(DataType.FLOAT, 2, 0);
        Tensor b = Tensor.zeros(DataType.FLOAT, 0, 3);
        Tensor c = Tensor.of(new float[] {1, 2, 3}, 3);
        Tensor y = OpTester.of("Gemm", 13).inputs(3).attr("beta", 2f).run(a, b, c)[0];
        assertArrayEquals(new float[] {2, 4, 6, 2, 4, 6}, y.toFloatArray());
        Tensor empty = OpTester.of("Gemm", 13).inputs(2).run(Tensor.zeros(DataType.FLOAT, 0, 4),
                Tensor.zeros(DataType.FLOAT, 4, 3))[0];
        assertArrayEquals(new int[] {0, 3}, empty.shape());
    }

    @Test
    void gradientsOfEveryTransposeCombination() {
        int m = 3;
        int n = 2;
        int k = 4;
        for (int ta = 0; ta < 2; ta++) {
            for (int tb = 0; tb < 2; tb++) {
                Operator op = OpTester.of("Gemm", 13).inputs(3).attr("transA", ta).attr("transB", tb)
                        .attr("alpha", 0.7f).attr("beta", -1.5f).build();
                Tensor a = GradCheck.random(1, -1, 1, ta == 1 ? new int[] {k, m} : new int[] {m, k});
                Tensor b = GradCheck.random(2, -1, 1, tb == 1 ? new int[] {n, k} : new int[] {k, n});
                Tensor c = GradCheck.random(3, -1, 1, m, 1);
                GradCheck.of(op).check(new Tensor[] {a, b, c}, 0, 1, 2);
            }
        }
    }

    @Test
    void gradientOfScalarBias() {
        Operator op = OpTester.of("Gemm", 13).inputs(3).attr("beta", 0.5f).build();
        GradCheck.of(op).check(new Tensor[] {GradCheck.random(4, -1, 1, 2, 3), GradCheck.random(5, -1, 1, 3, 2),
                GradCheck.random(6, -1, 1)}, 0, 1, 2);
    }
}
