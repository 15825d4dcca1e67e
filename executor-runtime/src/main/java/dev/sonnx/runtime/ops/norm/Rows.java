package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Moves contiguous runs of a float tensor to and from double arrays, so normalization kernels compute
 * in double whatever the stored type: one type dispatch per run, a tight loop inside.
 */
final class Rows {
    private Rows() {
    }

    /** float32 runs move through a float[] of at most this many elements: bulk copies, then a widening loop. */
    private static final int CHUNK = 1024;

    /** dst[dstOff .. dstOff+len) = t[offset .. offset+len). */
    static void read(Tensor t, int offset, double[] dst, int dstOff, int len) {
        switch (t.dtype()) {
            case FLOAT: {
                FloatBuffer b = t.floats();
                float[] f = new float[Math.min(len, CHUNK)];
                for (int c = 0; c < len; c += CHUNK) {
                    int n = Math.min(CHUNK, len - c);
                    b.get(offset + c, f, 0, n);
                    for (int i = 0; i < n; i++) {
                        dst[dstOff + c + i] = f[i];
                    }
                }
                break;
            }
            case DOUBLE:
                t.doubles().get(offset, dst, dstOff, len);
                break;
            default:
                for (int i = 0; i < len; i++) {
                    dst[dstOff + i] = t.getDouble(offset + i);
                }
        }
    }

    /** t[offset .. offset+len) = src[srcOff .. srcOff+len), rounded to t's type. */
    static void write(Tensor t, int offset, double[] src, int srcOff, int len) {
        switch (t.dtype()) {
            case FLOAT: {
                FloatBuffer b = t.floats();
                float[] f = new float[Math.min(len, CHUNK)];
                for (int c = 0; c < len; c += CHUNK) {
                    int n = Math.min(CHUNK, len - c);
                    for (int i = 0; i < n; i++) {
                        f[i] = (float) src[srcOff + c + i];
                    }
                    b.put(offset + c, f, 0, n);
                }
                break;
            }
            case DOUBLE: {
                DoubleBuffer b = t.doubles();
                b.put(offset, src, srcOff, len);
                break;
            }
            default:
                for (int i = 0; i < len; i++) {
                    t.setDouble(offset + i, src[srcOff + i]);
                }
        }
    }

    /** The sum of v[0 .. len), four partial sums wide so the additions overlap. */
    static double sum(double[] v, int len) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 3 < len; j += 4) {
            s0 += v[j];
            s1 += v[j + 1];
            s2 += v[j + 2];
            s3 += v[j + 3];
        }
        for (; j < len; j++) {
            s0 += v[j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** The sum of (v[j] - mean)^2 over [0, len), four partial sums wide. */
    static double squaredDeviations(double[] v, int len, double mean) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 3 < len; j += 4) {
            double d0 = v[j] - mean;
            double d1 = v[j + 1] - mean;
            double d2 = v[j + 2] - mean;
            double d3 = v[j + 3] - mean;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; j < len; j++) {
            double d = v[j] - mean;
            s0 += d * d;
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** All of {@code t} as doubles. */
    static double[] all(Tensor t) {
        double[] r = new double[t.size()];
        read(t, 0, r, 0, r.length);
        return r;
    }

    /** A new tensor of {@code like}'s type and the given shape holding {@code values}. */
    static Tensor tensor(Tensor like, double[] values, int[] shape) {
        Tensor t = Tensor.zeros(like.dtype(), shape);
        write(t, 0, values, 0, values.length);
        return t;
    }

    /** A per-channel parameter: {@code p} must hold exactly {@code count} values. */
    static double[] vector(Tensor p, int count, String name) {
        if (p.size() != count) {
            throw new IllegalArgumentException(name + " has shape " + Shapes.toString(p.shape()) + " ("
                    + p.size() + " values), expected " + count + " values");
        }
        return all(p);
    }
}
