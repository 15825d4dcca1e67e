package dev.sonnx.runtime.ops.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

class SoftmaxTest {

    /** softmax over groups of {@code len} elements spaced {@code stride} apart, by the formula. */
    private static double[] softmax(double[] x, int outer, int len, int inner, boolean log) {
        double[] y = new double[x.length];
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                double sum = 0;
                for (int k = 0; k < len; k++) {
                    sum += Math.exp(x[(o * len + k) * inner + i]);
                }
                for (int k = 0; k < len; k++) {
                    int p = (o * len + k) * inner + i;
                    y[p] = log ? x[p] - Math.log(sum) : Math.exp(x[p]) / sum;
                }
            }
        }
        return y;
    }

    private static void assertClose(double[] expected, Tensor actual, double tol) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.getDouble(i), tol, "element " + i);
        }
    }

    @Test
    void opset13NormalizesAlongOneAxis() {
        Tensor x = GradCheck.random(1, -3, 3, 2, 3, 4);
        double[] v = x.toDoubleArray();
        for (String op : new String[] {"Softmax", "LogSoftmax"}) {
            boolean log = op.equals("LogSoftmax");
            assertClose(softmax(v, 2, 3, 4, log), OpTester.of(op, 13).inputs(1).attr("axis", 1L).run(x)[0], 1e-12);
            assertClose(softmax(v, 6, 4, 1, log), OpTester.of(op, 13).inputs(1).run(x)[0], 1e-12);
            assertClose(softmax(v, 1, 2, 12, log), OpTester.of(op, 13).inputs(1).attr("axis", -3L).run(x)[0], 1e-12);
        }
    }

    @Test
    void opset11CoercesTo2d() {
        Tensor x = GradCheck.random(2, -3, 3, 2, 3, 4);
        double[] v = x.toDoubleArray();
        for (String op : new String[] {"Softmax", "LogSoftmax"}) {
            boolean log = op.equals("LogSoftmax");
            // default axis 1: rows of 3 * 4 elements
            assertClose(softmax(v, 2, 12, 1, log), OpTester.of(op, 11).inputs(1).run(x)[0], 1e-12);
            assertClose(softmax(v, 6, 4, 1, log), OpTester.of(op, 1).inputs(1).attr("axis", 2L).run(x)[0], 1e-12);
            assertClose(softmax(v, 1, 24, 1, log), OpTester.of(op, 11).inputs(1).attr("axis", 0L).run(x)[0], 1e-12);
        }
    }

    @Test
    void float32WideColumnsAndLargeValues() {
        // inner = 300 spans two column blocks of the kernel
        Tensor xd = GradCheck.random(3, -5, 5, 3, 4, 300);
        Tensor xf = Tensor.zeros(DataType.FLOAT, 3, 4, 300);
        double[] v = new double[xd.size()];
        for (int i = 0; i < v.length; i++) {
            xf.setDouble(i, xd.getDouble(i) + (i % 7 == 0 ? 10000 : 0));
            v[i] = xf.getDouble(i);
        }
        double[] expected = softmax(shift(v, 3, 4, 300), 3, 4, 300, false);
        assertClose(expected, OpTester.of("Softmax", 13).inputs(1).attr("axis", 1L).run(xf)[0], 1e-6);
        double[] expectedLog = softmax(shift(v, 12, 300, 1), 12, 300, 1, true);
        assertClose(expectedLog, OpTester.of("LogSoftmax", 13).inputs(1).run(xf)[0], 1e-3);
    }

    /** x minus its maximum along each line, so that the plain formula does not overflow. */
    private static double[] shift(double[] x, int outer, int len, int inner) {
        double[] r = x.clone();
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < len; k++) {
                    m = Math.max(m, x[(o * len + k) * inner + i]);
                }
                for (int k = 0; k < len; k++) {
                    r[(o * len + k) * inner + i] -= m;
                }
            }
        }
        return r;
    }

    /**
     * Causal attention: scores above the diagonal masked with float32's lowest value or -inf. Masked
     * entries come out exactly 0 (their exponentials are below float's normal range, where the
     * kernel flushes them), the rest as the formula gives; log-softmax of the unmasked entries too.
     */
    @Test
    void maskedAttentionScoresGiveExactZeros() {
        int heads = 3;
        int len = 37;   // lines grouped several to a block, with a tail
        float[] x = new float[heads * len * len];
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int h = 0; h < heads; h++) {
            for (int q = 0; q < len; q++) {
                for (int k = 0; k < len; k++) {
                    float masked = h == 1 ? Float.NEGATIVE_INFINITY : -Float.MAX_VALUE;
                    x[(h * len + q) * len + k] = k > q ? masked : (float) r.nextDouble(-6, 6);
                }
            }
        }
        Tensor in = Tensor.of(x, heads, len, len);
        double[] widened = in.toDoubleArray();
        double[] expected = softmax(widened, heads * len, len, 1, false);
        Tensor y = OpTester.of("Softmax", 13).inputs(1).run(in)[0];
        Tensor logY = OpTester.of("LogSoftmax", 13).inputs(1).run(in)[0];
        for (int i = 0; i < x.length; i++) {
            int q = (i / len) % len;
            int k = i % len;
            if (k > q) {
                assertEquals(0.0, y.getDouble(i), 0.0, "masked element " + i);
            } else {
                assertEquals(expected[i], y.getDouble(i), 1e-6, "element " + i);
                assertEquals(Math.log(expected[i]), logY.getDouble(i), 1e-5, "log element " + i);
            }
        }
    }

    @Test
    void logSoftmaxOfLargeNumbersIsExact() {
        Tensor x = Tensor.of(new float[] {1000, 1001}, 1, 2);
        Tensor y = OpTester.of("LogSoftmax", 13).inputs(1).run(x)[0];
        assertEquals(-1 - Math.log1p(Math.exp(-1)), y.getDouble(0), 1e-5);
        assertEquals(-Math.log1p(Math.exp(-1)), y.getDouble(1), 1e-5);
    }

    @Test
    void halfPrecisionAndEmpty() {
        Tensor h = Tensor.fromDoubles(DataType.FLOAT16, new double[] {0, 0, 0, 0}, 4);
        assertArrayEquals(new double[] {0.25, 0.25, 0.25, 0.25}, OpTester.of("Softmax", 13).inputs(1).run(h)[0]
                .toDoubleArray());
        Tensor b = Tensor.fromDoubles(DataType.BFLOAT16, new double[] {1, 1}, 2);
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("Softmax", 11).inputs(1).run(b));
        assertArrayEquals(new int[] {0, 3}, OpTester.of("Softmax", 13).inputs(1)
                .run(Tensor.zeros(DataType.FLOAT, 0, 3))[0].shape());
    }

    @Test
    void axisOutOfRange() {
        Tensor x = Tensor.of(new float[] {1, 2}, 1, 2);
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("Softmax", 13).inputs(1).attr("axis", 2L)
                .run(x));
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("Softmax", 11).inputs(1).attr("axis", -3L)
                .run(x));
    }

    @Test
    void gradients() {
        for (String op : new String[] {"Softmax", "LogSoftmax"}) {
            Operator v13 = OpTester.of(op, 13).inputs(1).attr("axis", 1L).build();
            GradCheck.of(v13).check(new Tensor[] {GradCheck.random(4, -2, 2, 2, 3, 4)}, 0);
            Operator v11 = OpTester.of(op, 11).inputs(1).attr("axis", 1L).build();
            GradCheck.of(v11).check(new Tensor[] {GradCheck.random(5, -2, 2, 2, 3, 4)}, 0);
            Operator last = OpTester.of(op, 13).inputs(1).build();
            GradCheck.of(last).check(new Tensor[] {GradCheck.random(6, -2, 2, 3, 5)}, 0);
        }
    }

    @Test
    void hardmaxMarksTheFirstMaximum() {
        Tensor x = Tensor.of(new float[] {1, 3, 3, 0, 5, 2, 2, 1}, 2, 4);
        assertArrayEquals(new float[] {0, 1, 0, 0, 1, 0, 0, 0}, OpTester.of("Hardmax", 13).inputs(1).run(x)[0]
                .toFloatArray());
        Tensor y = Tensor.of(new float[] {1, 3, 3, 0, 5, 2, 2, 1}, 2, 2, 2);
        // opset 13 axis 1: each [., 2, .] pair; opset 11 axis 1: rows of 4 elements
        assertArrayEquals(new float[] {0, 1, 1, 0, 1, 1, 0, 0}, OpTester.of("Hardmax", 13).inputs(1)
                .attr("axis", 1L).run(y)[0].toFloatArray());
        assertArrayEquals(new float[] {0, 1, 0, 0, 1, 0, 0, 0}, OpTester.of("Hardmax", 11).inputs(1).run(y)[0]
                .toFloatArray());
        Tensor d = Tensor.of(new double[] {-1, -2}, 2);
        assertArrayEquals(new double[] {1, 0}, OpTester.of("Hardmax", 13).inputs(1).run(d)[0].toDoubleArray());
    }
}
