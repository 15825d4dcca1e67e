package dev.sonnx.runtime.ops.nn;

import dev.sonnx.runtime.ops.reduce.AxisLayout;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.ops.kernel.VectorMath;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Softmax and log-softmax along the middle axis of an {@code outer x length x inner} layout:
 * y = exp(x - max) / sum exp(x - max), or x - max - log(sum exp(x - max)); the maximum is
 * subtracted so that large inputs do not overflow. Sums in double. Lines along a contiguous axis
 * (inner = 1) are done one by one; otherwise blocks of adjacent columns go together, so memory is
 * read in order.
 */
final class SoftmaxKernel {
    static final int BLOCK = 256;
    /**
     * Cost of one element in {@link dev.sonnx.runtime.tensor.Device#parallelFor} units (about a
     * nanosecond each): a line's vectorised exp and its four passes take about 4; the strided path's
     * Math.exp on doubles about 12.
     */
    private static final long LINE_ELEMENT_COST = 4;
    private static final long ELEMENT_COST = 12;
    /** Short lines are grouped up to this many elements (the vectorised exp's loops unroll to 64+). */
    private static final int GROUP_ELEMENTS = 1024;

    private SoftmaxKernel() {
    }

    /** float32, on the buffers. */
    static void run(FloatBuffer x, FloatBuffer y, AxisLayout l, boolean log, Device device) {
        int len = l.length();
        int inner = l.inner();
        if (inner == 1) {
            // lines are copied into an array, worked on there (the passes over an array compile to
            // tight loops, unlike get/put on a direct buffer) and copied out; short lines (attention's
            // 32 or 64) go several at a time, as the vectorised exp needs a long array to pay off
            int linesPerGroup = Math.max(1, GROUP_ELEMENTS / len);
            device.parallelFor(l.outer(), LINE_ELEMENT_COST * len, (s, e) -> {
                Line scratch = Line.get(Math.min(linesPerGroup, e - s) * len);
                float[] lines = scratch.floats;
                for (int o = s; o < e; o += linesPerGroup) {
                    int count = Math.min(linesPerGroup, e - o);
                    int b = o * len;
                    x.get(b, lines, 0, count * len);
                    if (log) {
                        logSoftmax(lines, scratch.second, scratch.maxima, count, len);
                    } else {
                        softmax(lines, scratch.maxima, count, len);
                    }
                    y.put(b, lines, 0, count * len);
                }
            });
            return;
        }
        int blocks = (inner + BLOCK - 1) / BLOCK;
        device.parallelFor(l.outer() * blocks, ELEMENT_COST * len * Math.min(inner, BLOCK), (s, e) -> {
            double[] max = new double[BLOCK];
            double[] sum = new double[BLOCK];
            for (int t = s; t < e; t++) {
                int o = t / blocks;
                int i0 = (t % blocks) * BLOCK;
                int n = Math.min(BLOCK, inner - i0);
                int base = l.base(o, i0);
                Arrays.fill(max, 0, n, Double.NEGATIVE_INFINITY);
                Arrays.fill(sum, 0, n, 0);
                for (int k = 0; k < len; k++) {
                    int b = base + k * inner;
                    for (int j = 0; j < n; j++) {
                        max[j] = Math.max(max[j], x.get(b + j));
                    }
                }
                for (int k = 0; k < len; k++) {
                    int b = base + k * inner;
                    for (int j = 0; j < n; j++) {
                        sum[j] += Math.exp(x.get(b + j) - max[j]);
                    }
                }
                for (int j = 0; j < n; j++) {
                    // log: the shift to subtract; softmax: the scale to multiply exp(x - max) by
                    sum[j] = log ? max[j] + Math.log(sum[j]) : 1 / sum[j];
                }
                for (int k = 0; k < len; k++) {
                    int b = base + k * inner;
                    for (int j = 0; j < n; j++) {
                        double v = x.get(b + j);
                        y.put(b + j, (float) (log ? v - sum[j] : Math.exp(v - max[j]) * sum[j]));
                    }
                }
            }
        });
    }

    // exp in float32 with VectorMath (vectorised; Math.exp on doubles cost 5 ns an element), the sum
    // in double: lines run to tens of thousands of elements (a vocabulary).

    /** Softmax of each of {@code count} lines of {@code len} elements, in place. */
    private static void softmax(float[] v, float[] maxima, int count, int len) {
        subtractLineMaxima(v, v, maxima, count, len);
        VectorMath.expNormalOrZero(v, 0, count * len);
        for (int b = 0; b < count * len; b += len) {
            float scale = (float) (1 / VectorMath.sum(v, b, b + len));
            for (int k = b; k < b + len; k++) {
                v[k] *= scale;
            }
        }
    }

    /** Log-softmax of each of {@code count} lines, in place; {@code e} is scratch of the same size. */
    private static void logSoftmax(float[] v, float[] e, float[] maxima, int count, int len) {
        subtractLineMaxima(v, e, maxima, count, len);
        VectorMath.expNormalOrZero(e, 0, count * len);
        for (int line = 0, b = 0; line < count; line++, b += len) {
            double shift = maxima[line] + Math.log(VectorMath.sum(e, b, b + len));
            for (int k = b; k < b + len; k++) {
                v[k] = (float) (v[k] - shift);
            }
        }
    }

    /** to = v - (its line's maximum), line by line; the maxima go to {@code maxima}. */
    private static void subtractLineMaxima(float[] v, float[] to, float[] maxima, int count, int len) {
        for (int line = 0, b = 0; line < count; line++, b += len) {
            float max = lineMax(v, b, b + len);
            maxima[line] = max;
            for (int k = b; k < b + len; k++) {
                to[k] = v[k] - max;
            }
        }
    }

    /** The largest element; NaN when one is NaN (so that the line comes out NaN, as exp(NaN) does). */
    private static float lineMax(float[] v, int from, int to) {
        // four running maxima: each Math.max waits for the previous one, so one chain would take
        // its latency per element (attention's lines are short, and there are many of them)
        float m0 = Float.NEGATIVE_INFINITY;
        float m1 = Float.NEGATIVE_INFINITY;
        float m2 = Float.NEGATIVE_INFINITY;
        float m3 = Float.NEGATIVE_INFINITY;
        int k = from;
        for (; k + 3 < to; k += 4) {
            m0 = Math.max(m0, v[k]);
            m1 = Math.max(m1, v[k + 1]);
            m2 = Math.max(m2, v[k + 2]);
            m3 = Math.max(m3, v[k + 3]);
        }
        for (; k < to; k++) {
            m0 = Math.max(m0, v[k]);
        }
        return Math.max(Math.max(m0, m1), Math.max(m2, m3));
    }

    /** Per-thread arrays for one line, grown as needed. */
    private static final class Line {
        private static final ThreadLocal<Line> PER_THREAD = ThreadLocal.withInitial(Line::new);

        float[] floats = new float[0];
        float[] second = new float[0];
        /** Each line's maximum (at most as many lines as elements). */
        float[] maxima = new float[0];

        static Line get(int length) {
            Line l = PER_THREAD.get();
            if (l.floats.length < length) {
                l.floats = new float[length];
                l.second = new float[length];
                l.maxima = new float[length];
            }
            return l;
        }
    }

    /** Any float type, widened to double arrays (float64, float16, bfloat16). */
    static void run(double[] x, double[] y, AxisLayout l, boolean log, Device device) {
        int len = l.length();
        int inner = l.inner();
        int blocks = (inner + BLOCK - 1) / BLOCK;
        device.parallelFor(l.outer() * blocks, 3L * len * Math.min(inner, BLOCK), (s, e) -> {
            double[] max = new double[BLOCK];
            double[] sum = new double[BLOCK];
            for (int t = s; t < e; t++) {
                int o = t / blocks;
                int i0 = (t % blocks) * BLOCK;
                int n = Math.min(BLOCK, inner - i0);
                int base = l.base(o, i0);
                Arrays.fill(max, 0, n, Double.NEGATIVE_INFINITY);
                Arrays.fill(sum, 0, n, 0);
                for (int k = 0; k < len; k++) {
                    int b = base + k * inner;
                    for (int j = 0; j < n; j++) {
                        max[j] = Math.max(max[j], x[b + j]);
                    }
                }
                for (int k = 0; k < len; k++) {
                    int b = base + k * inner;
                    for (int j = 0; j < n; j++) {
                        sum[j] += Math.exp(x[b + j] - max[j]);
                    }
                }
                for (int j = 0; j < n; j++) {
                    sum[j] = log ? max[j] + Math.log(sum[j]) : 1 / sum[j];
                }
                for (int k = 0; k < len; k++) {
                    int b = base + k * inner;
                    for (int j = 0; j < n; j++) {
                        y[b + j] = log ? x[b + j] - sum[j] : Math.exp(x[b + j] - max[j]) * sum[j];
                    }
                }
            }
        });
    }

    /**
     * Gradient through softmax (y the forward output): gx = y * (gy - sum(gy * y)); through
     * log-softmax: gx = gy - exp(y) * sum(gy). Sums along the layout's axis.
     */
    static double[] backward(double[] y, double[] gy, AxisLayout l, boolean log, Device device) {
        int len = l.length();
        int inner = l.inner();
        double[] gx = new double[y.length];
        int blocks = (inner + BLOCK - 1) / BLOCK;
        device.parallelFor(l.outer() * blocks, 3L * len * Math.min(inner, BLOCK), (s, e) -> {
            double[] sum = new double[BLOCK];
            for (int t = s; t < e; t++) {
                int o = t / blocks;
                int i0 = (t % blocks) * BLOCK;
                int n = Math.min(BLOCK, inner - i0);
                int base = l.base(o, i0);
                Arrays.fill(sum, 0, n, 0);
                for (int k = 0; k < len; k++) {
                    int b = base + k * inner;
                    for (int j = 0; j < n; j++) {
                        sum[j] += log ? gy[b + j] : gy[b + j] * y[b + j];
                    }
                }
                for (int k = 0; k < len; k++) {
                    int b = base + k * inner;
                    for (int j = 0; j < n; j++) {
                        int p = b + j;
                        gx[p] = log ? gy[p] - Math.exp(y[p]) * sum[j] : y[p] * (gy[p] - sum[j]);
                    }
                }
            }
        });
        return gx;
    }
}
