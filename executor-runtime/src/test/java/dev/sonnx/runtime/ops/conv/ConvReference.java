package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.SplittableRandom;

/**
 * Direct-loop references for the tests: convolution and transposed convolution written straight
 * from the ONNX formulas, one output (or input) element at a time, sharing no code with the
 * kernels under test.
 */
final class ConvReference {
    private ConvReference() {
    }

    /** Row-major offset of {@code idx} in {@code shape}. */
    static int offset(int[] shape, int[] idx) {
        int o = 0;
        for (int d = 0; d < shape.length; d++) {
            o = o * shape[d] + idx[d];
        }
        return o;
    }

    /** Advances {@code idx} through {@code shape} row-major; false after the last index. */
    static boolean next(int[] idx, int[] shape) {
        for (int d = shape.length - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) {
                return true;
            }
            idx[d] = 0;
        }
        return false;
    }

    static int size(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /**
     * Y[n, m, o...] = B[m] + sum over c in m's group and taps k of X[n, c, o*s - pb + k*d] * W[m, c', k],
     * out of range reading 0. {@code out} is the spatial output shape.
     */
    static double[] conv(double[] x, int[] xs, double[] w, int[] ws, double[] b, int group, int[] strides,
                         int[] dilations, int[] padBegin, int[] out) {
        int r = xs.length - 2;
        int n = xs[0];
        int m = ws[0];
        int cg = ws[1];
        int mg = m / group;
        int[] ys = new int[r + 2];
        ys[0] = n;
        ys[1] = m;
        System.arraycopy(out, 0, ys, 2, r);
        int[] kernel = new int[r];
        System.arraycopy(ws, 2, kernel, 0, r);
        double[] y = new double[size(ys)];
        int[] yi = new int[r + 2];
        if (y.length == 0) {
            return y;
        }
        do {
            int g = yi[1] / mg;
            double acc = b == null ? 0 : b[yi[1]];
            for (int c = 0; c < cg; c++) {
                int[] k = new int[r];
                if (size(kernel) > 0) {
                    do {
                        int[] xi = new int[r + 2];
                        xi[0] = yi[0];
                        xi[1] = g * cg + c;
                        boolean inside = true;
                        for (int d = 0; d < r; d++) {
                            xi[d + 2] = yi[d + 2] * strides[d] - padBegin[d] + k[d] * dilations[d];
                            inside &= xi[d + 2] >= 0 && xi[d + 2] < xs[d + 2];
                        }
                        if (inside) {
                            int[] wi = new int[r + 2];
                            wi[0] = yi[1];
                            wi[1] = c;
                            System.arraycopy(k, 0, wi, 2, r);
                            acc += x[offset(xs, xi)] * w[offset(ws, wi)];
                        }
                    } while (next(k, kernel));
                }
            }
            y[offset(ys, yi)] = acc;
        } while (next(yi, ys));
        return y;
    }

    /**
     * Transposed convolution: every X[n, c, i...] adds X * W[c, m', k...] to
     * Y[n, g*M/G + m', i*s - pb + k*d] (when inside {@code out}), Y starting at the bias.
     */
    static double[] convTranspose(double[] x, int[] xs, double[] w, int[] ws, double[] b, int group, int[] strides,
                                  int[] dilations, int[] padBegin, int[] out) {
        int r = xs.length - 2;
        int n = xs[0];
        int c = xs[1];
        int cg = c / group;
        int mg = ws[1];
        int m = mg * group;
        int[] ys = new int[r + 2];
        ys[0] = n;
        ys[1] = m;
        System.arraycopy(out, 0, ys, 2, r);
        int[] kernel = new int[r];
        System.arraycopy(ws, 2, kernel, 0, r);
        double[] y = new double[size(ys)];
        if (b != null) {
            int plane = size(out);
            for (int i = 0; i < y.length; i++) {
                y[i] = b[(i / plane) % m];
            }
        }
        int[] xi = new int[r + 2];
        if (x.length == 0) {
            return y;
        }
        do {
            int g = xi[1] / cg;
            for (int mm = 0; mm < mg; mm++) {
                int[] k = new int[r];
                do {
                    int[] yi = new int[r + 2];
                    yi[0] = xi[0];
                    yi[1] = g * mg + mm;
                    boolean inside = true;
                    for (int d = 0; d < r; d++) {
                        yi[d + 2] = xi[d + 2] * strides[d] - padBegin[d] + k[d] * dilations[d];
                        inside &= yi[d + 2] >= 0 && yi[d + 2] < out[d];
                    }
                    if (inside) {
                        int[] wi = new int[r + 2];
                        wi[0] = xi[1];
                        wi[1] = mm;
                        System.arraycopy(k, 0, wi, 2, r);
                        y[offset(ys, yi)] += x[offset(xs, xi)] * w[offset(ws, wi)];
                    }
                } while (next(k, kernel));
            }
        } while (next(xi, xs));
        return y;
    }

    static double[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextDouble(-1, 1);
        }
        return v;
    }

    /** A tensor of {@code type} holding {@code v} (rounded to the type). */
    static Tensor tensor(DataType type, double[] v, int... shape) {
        return Tensor.fromDoubles(type, v, shape);
    }
}
