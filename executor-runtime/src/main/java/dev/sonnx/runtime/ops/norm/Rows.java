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

    /** dst[dstOff .. dstOff+len) = t[offset .. offset+len). */
    static void read(Tensor t, int offset, double[] dst, int dstOff, int len) {
        switch (t.dtype()) {
            case FLOAT: {
                FloatBuffer b = t.floats();
                for (int i = 0; i < len; i++) {
                    dst[dstOff + i] = b.get(offset + i);
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
                for (int i = 0; i < len; i++) {
                    b.put(offset + i, (float) src[srcOff + i]);
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
