package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Half;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * Copies between tensor data and {@code double[]} work rows. The pooling kernels run on one
 * (image, channel) plane at a time in float64 scratch arrays: a plane is loaded once (a typed bulk
 * loop, the element type decided once per plane), pooled over many window taps, and stored back.
 */
final class Planes {
    private Planes() {
    }

    /** {@code dst[0, len) = t[off, off + len)} as doubles. */
    static void load(Tensor t, int off, int len, double[] dst) {
        switch (t.dtype()) {
            case FLOAT: {
                FloatBuffer b = t.floats();
                for (int i = 0; i < len; i++) {
                    dst[i] = b.get(off + i);
                }
                return;
            }
            case DOUBLE:
                t.doubles().get(off, dst, 0, len);
                return;
            case FLOAT16:
            case BFLOAT16: {
                ShortBuffer b = t.shorts();
                boolean bf16 = t.dtype() == DataType.BFLOAT16;
                for (int i = 0; i < len; i++) {
                    short s = b.get(off + i);
                    dst[i] = bf16 ? Half.bf16ToFloat(s) : Half.toFloat(s);
                }
                return;
            }
            case INT8: {
                ByteBuffer b = t.bytes();
                for (int i = 0; i < len; i++) {
                    dst[i] = b.get(off + i);
                }
                return;
            }
            case UINT8: {
                ByteBuffer b = t.bytes();
                for (int i = 0; i < len; i++) {
                    dst[i] = b.get(off + i) & 0xff;
                }
                return;
            }
            default:
                for (int i = 0; i < len; i++) {
                    dst[i] = t.getDouble(off + i);
                }
        }
    }

    /** {@code t[off, off + len) = src[0, len)}, rounded or truncated to the tensor's type. */
    static void store(double[] src, int len, Tensor t, int off) {
        switch (t.dtype()) {
            case FLOAT: {
                FloatBuffer b = t.floats();
                for (int i = 0; i < len; i++) {
                    b.put(off + i, (float) src[i]);
                }
                return;
            }
            case DOUBLE: {
                DoubleBuffer b = t.doubles();
                b.put(off, src, 0, len);
                return;
            }
            case FLOAT16:
            case BFLOAT16: {
                ShortBuffer b = t.shorts();
                boolean bf16 = t.dtype() == DataType.BFLOAT16;
                for (int i = 0; i < len; i++) {
                    float v = (float) src[i];
                    b.put(off + i, bf16 ? Half.floatToBf16(v) : Half.fromFloat(v));
                }
                return;
            }
            default:
                for (int i = 0; i < len; i++) {
                    t.setDouble(off + i, src[i]);
                }
        }
    }
}
