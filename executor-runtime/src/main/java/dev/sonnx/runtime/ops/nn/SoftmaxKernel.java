package dev.sonnx.runtime.ops.nn;

import dev.sonnx.runtime.ops.reduce.AxisLayout;
import dev.sonnx.runtime.tensor.Device;
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
     * Cost of one element in {@link dev.sonnx.runtime.tensor.Device#parallelFor} units (an exp and a
     * few operations): attention's softmax over [1, 4, 64, 64] is split across threads (72 us on two
     * against 116 us on one), over [1, 4, 32, 32] it is not (27 us alone, 32 us on two).
     */
    private static final long ELEMENT_COST = 12;

    private SoftmaxKernel() {
    }

    /** float32, on the buffers. */
    static void run(FloatBuffer x, FloatBuffer y, AxisLayout l, boolean log, Device device) {
        int len = l.length();
        int inner = l.inner();
        if (inner == 1) {
            // each line is copied into an array, worked on there (the passes over an array compile to
            // tight loops, unlike get/put on a direct buffer) and copied out
            device.parallelFor(l.outer(), ELEMENT_COST * len, (s, e) -> {
                Line scratch = Line.get(len);
                float[] line = scratch.floats;
                for (int o = s; o < e; o++) {
                    int b = o * len;
                    x.get(b, line, 0, len);
                    if (log) {
                        logSoftmax(line, scratch.doubles, len);
                    } else {
                        softmax(line, scratch.doubles, len);
                    }
                    y.put(b, line, 0, len);
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

    // The line is widened to doubles in a loop of its own: converting inside the loop that calls
    // Math.exp chains the iterations (C2's conversion writes only part of its register, so it waits
    // for the previous exp still held there), three times slower on this machine's CPU.

    private static void softmax(float[] v, double[] w, int len) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < len; k++) {
            w[k] = v[k];
            max = Math.max(max, w[k]);
        }
        double sum = 0;
        for (int k = 0; k < len; k++) {
            double e = Math.exp(w[k] - max);
            w[k] = e;
            sum += e;
        }
        double scale = 1 / sum;
        for (int k = 0; k < len; k++) {
            // exp rounded to float first, as y holds it between the passes of the buffer version
            v[k] = (float) ((float) w[k] * scale);
        }
    }

    private static void logSoftmax(float[] v, double[] w, int len) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < len; k++) {
            w[k] = v[k];
            max = Math.max(max, w[k]);
        }
        double sum = 0;
        for (int k = 0; k < len; k++) {
            sum += Math.exp(w[k] - max);
        }
        double shift = max + Math.log(sum);
        for (int k = 0; k < len; k++) {
            v[k] = (float) (w[k] - shift);
        }
    }

    /** Per-thread arrays for one line, grown as needed. */
    private static final class Line {
        private static final ThreadLocal<Line> PER_THREAD = ThreadLocal.withInitial(Line::new);

        float[] floats = new float[0];
        double[] doubles = new double[0];

        static Line get(int length) {
            Line l = PER_THREAD.get();
            if (l.floats.length < length) {
                l.floats = new float[length];
                l.doubles = new double[length];
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
