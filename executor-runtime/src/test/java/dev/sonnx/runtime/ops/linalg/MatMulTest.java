package dev.sonnx.runtime.ops.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import org.junit.jupiter.api.Test;

class MatMulTest {

    private static Tensor matmul(Tensor a, Tensor b) {
        return OpTester.of("MatMul", 13).inputs(2).run(a, b)[0];
    }

    /**
     * numpy.matmul for a of shape [ba0, ba1, m, k] and b of shape [bb0, bb1, k, n] where the batch dims
     * are each 1 or the output's: out[i, j, r, c] = sum_p a[i % ba0, j % ba1, r, p] * b[i % bb0, j % bb1, p, c].
     */
    private static double[] reference4d(Tensor a, Tensor b, int d0, int d1) {
        int[] as = a.shape();
        int[] bs = b.shape();
        int m = as[2];
        int k = as[3];
        int n = bs[3];
        double[] out = new double[d0 * d1 * m * n];
        for (int i = 0; i < d0; i++) {
            for (int j = 0; j < d1; j++) {
                int ao = (((i % as[0]) * as[1]) + j % as[1]) * m * k;
                int bo = (((i % bs[0]) * bs[1]) + j % bs[1]) * k * n;
                for (int r = 0; r < m; r++) {
                    for (int c = 0; c < n; c++) {
                        double s = 0;
                        for (int p = 0; p < k; p++) {
                            s += a.getDouble(ao + r * k + p) * b.getDouble(bo + p * n + c);
                        }
                        out[((i * d1 + j) * m + r) * n + c] = s;
                    }
                }
            }
        }
        return out;
    }

    @Test
    void matrixTimesMatrixByHand() {
        Tensor y = matmul(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3), Tensor.of(new float[] {1, 0, 0, 1, 1, 1}, 3, 2));
        // rows [1 2 3] and [4 5 6] against columns [1 0 1] and [0 1 1]
        assertArrayEquals(new int[] {2, 2}, y.shape());
        assertArrayEquals(new float[] {4, 5, 10, 11}, y.toFloatArray());
    }

    @Test
    void vectorOperandsLoseTheirDimension() {
        Tensor v = Tensor.of(new float[] {1, 2}, 2);
        Tensor m = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor vm = matmul(v, m);
        assertArrayEquals(new int[] {3}, vm.shape());
        assertArrayEquals(new float[] {9, 12, 15}, vm.toFloatArray());
        Tensor mt = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        Tensor mv = matmul(mt, v);
        assertArrayEquals(new int[] {3}, mv.shape());
        assertArrayEquals(new float[] {5, 11, 17}, mv.toFloatArray());
        Tensor dot = matmul(v, Tensor.of(new float[] {3, -1}, 2));
        assertArrayEquals(new int[0], dot.shape());
        assertEquals(1, dot.getFloat(0), 0);
        // a batch of matrices times a vector
        Tensor batched = matmul(GradCheck.random(9, -1, 1, 2, 3, 2), Tensor.of(new double[] {1, 1}, 2));
        assertArrayEquals(new int[] {2, 3}, batched.shape());
    }

    @Test
    void batchDimensionsBroadcast() {
        int[][][] cases = {
            {{2, 3, 4, 5}, {2, 3, 5, 6}},   // same batch
            {{2, 1, 4, 5}, {1, 3, 5, 6}},   // both broadcast
            {{2, 3, 4, 5}, {1, 1, 5, 6}},   // shared B: one folded product
            {{1, 1, 4, 5}, {2, 3, 5, 6}},   // shared A
        };
        for (int[][] c : cases) {
            Tensor a = GradCheck.random(1, -1, 1, c[0]);
            Tensor b = GradCheck.random(2, -1, 1, c[1]);
            Tensor y = matmul(a, b);
            assertArrayEquals(new int[] {2, 3, 4, 6}, y.shape());
            assertArrayEquals(reference4d(a, b, 2, 3), y.toDoubleArray(), 1e-12);
        }
        // batch ranks differ: [3, 4, 5] x [5, 6] and [4, 5] x [2, 3, 5, 6]
        Tensor a3 = GradCheck.random(3, -1, 1, 3, 4, 5);
        Tensor y3 = matmul(a3, GradCheck.random(4, -1, 1, 5, 6));
        assertArrayEquals(new int[] {3, 4, 6}, y3.shape());
        Tensor y4 = matmul(GradCheck.random(5, -1, 1, 4, 5), GradCheck.random(6, -1, 1, 2, 3, 5, 6));
        assertArrayEquals(new int[] {2, 3, 4, 6}, y4.shape());
    }

    @Test
    void manySmallProductsRunInParallel() {
        // 64 products of 32 x 32 x 32: each below the size where OpenBLAS threads, so split across ours
        Tensor a = GradCheck.random(30, -1, 1, 8, 8, 32, 32);
        Tensor b = GradCheck.random(31, -1, 1, 8, 8, 32, 32);
        Tensor y = OpTester.of("MatMul", 13).inputs(2).build()
                .forward(new Tensor[] {a, b}, new TestContext(false, CpuDevice.withThreads(4)))[0].asTensor();
        assertArrayEquals(reference4d(a, b, 8, 8), y.toDoubleArray(), 1e-12);
    }

    @Test
    void float32MatchesDoubleReference() {
        Tensor a = GradCheck.random(7, -1, 1, 3, 17, 33);
        Tensor b = GradCheck.random(8, -1, 1, 33, 9);
        Tensor af = Tensor.of(a.toFloatArray(), a.shape());
        Tensor bf = Tensor.of(b.toFloatArray(), b.shape());
        Tensor y = matmul(af, bf);
        assertEquals(DataType.FLOAT, y.dtype());
        double[] want = reference4d(af.reshape(1, 1, 51, 33), bf.reshape(1, 1, 33, 9), 1, 1);
        assertArrayEquals(want, y.toDoubleArray(), 1e-5);
    }

    @Test
    void integersWrapLikeTheirType() {
        Tensor a = Tensor.of(new int[] {1 << 30, 1 << 30}, 1, 2);
        Tensor b = Tensor.of(new int[] {2, 2}, 2, 1);
        // 2^31 + 2^31 = 2^32 wraps to 0 in int32
        assertEquals(0, matmul(a, b).getLong(0));
        Tensor al = Tensor.of(new long[] {1L << 40, 3}, 1, 2);
        Tensor bl = Tensor.of(new long[] {4, -5}, 2, 1);
        assertEquals((1L << 42) - 15, matmul(al, bl).getLong(0));
        Tensor au = Tensor.fromLongs(DataType.UINT32, new long[] {0xffffffffL}, 1, 1);
        Tensor bu = Tensor.fromLongs(DataType.UINT32, new long[] {3}, 1, 1);
        assertEquals((3 * 0xffffffffL) & 0xffffffffL, matmul(au, bu).getLong(0));
    }

    @Test
    void bfloat16RoundsItsResult() {
        Tensor a = Tensor.fromDoubles(DataType.BFLOAT16, new double[] {1, 1}, 1, 2);
        Tensor b = Tensor.fromDoubles(DataType.BFLOAT16, new double[] {256, 1}, 2, 1);
        Tensor y = matmul(a, b);
        assertEquals(DataType.BFLOAT16, y.dtype());
        // 257 is not a bfloat16 (8 bits of mantissa): it rounds to even, 256
        assertEquals(256, y.getDouble(0), 0);
    }

    @Test
    void emptyAndMismatchedShapes() {
        Tensor y = matmul(Tensor.zeros(DataType.FLOAT, 2, 0), Tensor.zeros(DataType.FLOAT, 0, 3));
        assertArrayEquals(new float[6], y.toFloatArray());
        assertArrayEquals(new int[] {0, 4, 3}, matmul(Tensor.zeros(DataType.FLOAT, 0, 4, 2),
                Tensor.zeros(DataType.FLOAT, 2, 3)).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> matmul(Tensor.zeros(DataType.FLOAT, 2, 3), Tensor.zeros(DataType.FLOAT, 4, 2)));
        assertTrue(e.getMessage().contains("A has 3 columns, B has 4 rows"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> matmul(Tensor.zeros(DataType.FLOAT, 2, 2, 3), Tensor.zeros(DataType.FLOAT, 3, 3, 2)));
        assertThrows(IllegalArgumentException.class, () -> matmul(Tensor.scalar(1f), Tensor.zeros(DataType.FLOAT, 1)));
    }

    @Test
    void gradients() {
        Operator op = OpTester.of("MatMul", 13).inputs(2).build();
        int[][][] cases = {
            {{3, 4}, {4, 2}},
            {{2, 3, 4}, {4, 2}},          // folded: a batch over one B
            {{3, 4}, {2, 4, 2}},          // one A over a batch
            {{2, 1, 3, 4}, {1, 3, 4, 2}}, // both broadcast
            {{4}, {4, 2}},                // vector times matrix
            {{2, 3, 4}, {4}},             // matrices times vector
            {{4}, {4}},                   // dot product
        };
        long seed = 10;
        for (int[][] c : cases) {
            Tensor a = GradCheck.random(seed++, -1, 1, c[0]);
            Tensor b = GradCheck.random(seed++, -1, 1, c[1]);
            GradCheck.of(op).check(new Tensor[] {a, b}, 0, 1);
        }
    }

    /**
     * float32 batches (oneDNN: one product over the whole batch, an operand read transposed) against
     * the float64 kernels' gradients: both operands covering the batch, attention's [B, H, L, D]
     * shapes, one A over a batch of B (dB batched, dA summed), broadcast batch dimensions; and the
     * products that fold into one matrix product (a linear layer), vectors among them.
     */
    @Test
    void float32BatchedGradientsMatchFloat64() {
        Operator op = OpTester.of("MatMul", 13).inputs(2).build();
        int[][][] cases = {
            {{2, 3, 4}, {2, 4, 5}},
            {{2, 3, 7, 5}, {2, 3, 5, 7}},
            {{3, 4}, {2, 4, 2}},
            {{2, 1, 3, 4}, {1, 3, 4, 2}},
            {{4, 6, 8}, {1, 8, 3}},
            {{2, 3, 4}, {4, 5}},          // folded: a linear layer over tokens
            {{5, 4}, {4, 3}},
            {{4}, {4, 2}},
            {{2, 3, 4}, {4}},
        };
        long seed = 40;
        for (int[][] c : cases) {
            Tensor a64 = GradCheck.random(seed++, -1, 1, c[0]);
            Tensor b64 = GradCheck.random(seed++, -1, 1, c[1]);
            Tensor[] expected = gradients(op, a64, b64);
            Tensor[] actual = gradients(op, toFloat(a64), toFloat(b64));
            for (int g = 0; g < 2; g++) {
                assertArrayEquals(expected[g].shape(), actual[g].shape());
                assertEquals(DataType.FLOAT, actual[g].dtype());
                for (int i = 0; i < expected[g].size(); i++) {
                    assertEquals(expected[g].getDouble(i), actual[g].getDouble(i), 1e-5,
                            java.util.Arrays.deepToString(c) + " gradient " + g + "[" + i + "]");
                }
            }
        }
    }

    private static Tensor toFloat(Tensor t) {
        Tensor f = Tensor.zeros(DataType.FLOAT, t.shape());
        for (int i = 0; i < t.size(); i++) {
            f.setDouble(i, t.getDouble(i));
        }
        return f;
    }

    /** dA and dB for dY = 1 + i / 100 (a gradient with distinct elements). */
    private static Tensor[] gradients(Operator op, Tensor a, Tensor b) {
        TestContext ctx = new TestContext(true);
        Tensor y = op.forward(new dev.sonnx.runtime.tensor.Value[] {a, b}, ctx)[0].asTensor();
        Tensor gy = Tensor.uninitialized(y.dtype(), y.shape());
        for (int i = 0; i < gy.size(); i++) {
            gy.setDouble(i, 1 + i / 100.0);
        }
        return op.backward(new dev.sonnx.runtime.ops.BackwardContext(new dev.sonnx.runtime.tensor.Value[] {a, b},
                new dev.sonnx.runtime.tensor.Value[] {y}, new Tensor[] {gy}, new boolean[] {true, true}, ctx.saved, ctx));
    }
}
