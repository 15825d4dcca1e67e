package dev.sonnx.runtime.ops.quant;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Half;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;

/**
 * Typed copies between tensors and {@code int[]} / {@code float[]} work rows: the element type is
 * decided once per row, so the quantization loops run on plain arrays.
 */
final class Rows {
    private Rows() {
    }

    /** Integer elements {@code [off, off + len)} of an int8/uint8/int16/uint16/int32 tensor. */
    static void loadInts(Tensor t, int off, int len, int[] dst) {
        switch (t.dtype()) {
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
            case INT16: {
                ShortBuffer b = t.shorts();
                for (int i = 0; i < len; i++) {
                    dst[i] = b.get(off + i);
                }
                return;
            }
            case UINT16: {
                ShortBuffer b = t.shorts();
                for (int i = 0; i < len; i++) {
                    dst[i] = b.get(off + i) & 0xffff;
                }
                return;
            }
            case INT32:
                t.ints().get(off, dst, 0, len);
                return;
            default:
                throw new IllegalStateException("no integer rows for " + t.dtype().onnxName());
        }
    }

    /** Stores integers (already within the type's range) into an int8/uint8/int16/uint16/int32 tensor. */
    static void storeInts(int[] src, int len, Tensor t, int off) {
        switch (t.dtype()) {
            case INT8:
            case UINT8: {
                ByteBuffer b = t.bytes();
                for (int i = 0; i < len; i++) {
                    b.put(off + i, (byte) src[i]);
                }
                return;
            }
            case INT16:
            case UINT16: {
                ShortBuffer b = t.shorts();
                for (int i = 0; i < len; i++) {
                    b.put(off + i, (short) src[i]);
                }
                return;
            }
            case INT32: {
                IntBuffer b = t.ints();
                b.put(off, src, 0, len);
                return;
            }
            default:
                throw new IllegalStateException("no integer rows for " + t.dtype().onnxName());
        }
    }

    /** Elements of a float32/float16/bfloat16 tensor as floats. */
    static void loadFloats(Tensor t, int off, int len, float[] dst) {
        switch (t.dtype()) {
            case FLOAT:
                t.floats().get(off, dst, 0, len);
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
            default:
                for (int i = 0; i < len; i++) {
                    dst[i] = (float) t.getDouble(off + i);
                }
        }
    }

    /** Floats into a float32/float16/bfloat16 tensor (rounded to nearest even). */
    static void storeFloats(float[] src, int len, Tensor t, int off) {
        switch (t.dtype()) {
            case FLOAT: {
                FloatBuffer b = t.floats();
                b.put(off, src, 0, len);
                return;
            }
            case FLOAT16:
            case BFLOAT16: {
                ShortBuffer b = t.shorts();
                boolean bf16 = t.dtype() == DataType.BFLOAT16;
                for (int i = 0; i < len; i++) {
                    b.put(off + i, bf16 ? Half.floatToBf16(src[i]) : Half.fromFloat(src[i]));
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
