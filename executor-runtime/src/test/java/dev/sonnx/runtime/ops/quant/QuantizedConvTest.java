package dev.sonnx.runtime.ops.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** ConvInteger and QLinearConv against a direct integer convolution written here. */
class QuantizedConvTest {

    /**
     * acc[m][i][j] = sum over c, ki, kj of (x - xz) * (w - wz[m]), 2-D, stride 1, symmetric pad p,
     * padding contributing nothing.
     */
    private static long[] reference(long[] x, int c, int h, int w, long xz, long[] wt, int m, int k, long[] wz, int p) {
        int oh = h + 2 * p - k + 1;
        int ow = w + 2 * p - k + 1;
        long[] acc = new long[m * oh * ow];
        for (int o = 0; o < m; o++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    long s = 0;
                    for (int ch = 0; ch < c; ch++) {
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                int y = i - p + a;
                                int z = j - p + b;
                                if (y >= 0 && y < h && z >= 0 && z < w) {
                                    s += (x[(ch * h + y) * w + z] - xz) * (wt[((o * c + ch) * k + a) * k + b] - wz[o]);
                                }
                            }
                        }
                    }
                    acc[(o * oh + i) * ow + j] = s;
                }
            }
        }
        return acc;
    }

    private static long[] randomBytes(SplittableRandom r, int n, boolean signed) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = signed ? r.nextInt(256) - 128 : r.nextInt(256);
        }
        return v;
    }

    @Test
    void convIntegerWithPaddingAndPerChannelWeightZeroPoints() {
        SplittableRandom r = new SplittableRandom(41);
        int c = 3;
        int h = 5;
        int w = 4;
        int m = 2;
        int k = 3;
        long[] x = randomBytes(r, c * h * w, false);
        long[] wt = randomBytes(r, m * c * k * k, true);
        long[] wz = {-3, 5};
        long[] expected = reference(x, c, h, w, 17, wt, m, k, wz, 1);
        Tensor y = OpTester.of("ConvInteger", 10).inputs(4).attrInts("pads", 1, 1, 1, 1).run(
                Tensor.fromLongs(DataType.UINT8, x, 1, c, h, w), Tensor.fromLongs(DataType.INT8, wt, m, c, k, k),
                Tensor.scalar(DataType.UINT8, 17), Tensor.fromLongs(DataType.INT8, wz, m))[0];
        assertEquals(DataType.INT32, y.dtype());
        assertArrayEquals(new int[] {1, m, h, w}, y.shape());
        assertArrayEquals(expected, y.toLongArray());
    }

    @Test
    void convIntegerWithoutZeroPoints() {
        Tensor y = OpTester.of("ConvInteger", 10).inputs(2).run(
                Tensor.fromLongs(DataType.UINT8, new long[] {1, 2, 3, 255}, 1, 1, 4),
                Tensor.fromLongs(DataType.UINT8, new long[] {2, 1}, 1, 1, 2))[0];
        assertArrayEquals(new long[] {4, 7, 261}, y.toLongArray());
    }

    @Test
    void qlinearConvRequantizesPerOutputChannel() {
        SplittableRandom r = new SplittableRandom(42);
        int c = 2;
        int h = 4;
        int w = 5;
        int m = 3;
        int k = 2;
        long[] x = randomBytes(r, c * h * w, true);
        long[] wt = randomBytes(r, m * c * k * k, true);
        long[] wz = {0, 1, -2};
        float xs = 0.02f;
        float[] ws = {0.01f, 0.003f, 0.05f};
        float ys = 0.7f;
        long yz = 100;
        int[] bias = {1000, -50, 0};
        long[] acc = reference(x, c, h, w, -4, wt, m, k, wz, 0);
        int plane = (h - k + 1) * (w - k + 1);
        long[] expected = new long[acc.length];
        for (int i = 0; i < acc.length; i++) {
            int o = i / plane;
            float multiplier = xs * ws[o] / ys;
            expected[i] = (long) Math.max(0, Math.min(255, Math.rint((float) (acc[i] + bias[o]) * multiplier) + yz));
        }
        Tensor y = OpTester.of("QLinearConv", 10).inputs(9).run(
                Tensor.fromLongs(DataType.INT8, x, 1, c, h, w), Tensor.scalar(DataType.FLOAT, xs),
                Tensor.scalar(DataType.INT8, -4), Tensor.fromLongs(DataType.INT8, wt, m, c, k, k),
                Tensor.of(ws, m), Tensor.fromLongs(DataType.INT8, wz, m), Tensor.scalar(DataType.FLOAT, ys),
                Tensor.scalar(DataType.UINT8, yz), Tensor.of(bias, m))[0];
        assertEquals(DataType.UINT8, y.dtype());
        assertArrayEquals(expected, y.toLongArray());
    }

    @Test
    void zeroPointTypesMustMatchTheirData() {
        Operator op = OpTester.of("ConvInteger", 10).inputs(3).build();
        assertThrows(IllegalArgumentException.class, () -> op.forward(new Tensor[] {
            Tensor.fromLongs(DataType.UINT8, new long[] {1, 2}, 1, 1, 2),
            Tensor.fromLongs(DataType.UINT8, new long[] {1}, 1, 1, 1),
            Tensor.scalar(DataType.INT8, 0)}, new TestContext(false)));
    }
}
