package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Half;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * The precision the kernels of this package compute in: float32 and float64 tensors as they are,
 * 16-bit floats widened to float32 (and results rounded back).
 */
public final class WorkingType {
    private WorkingType() {
    }

    /** float64 for double tensors, float32 for every other floating type. */
    public static DataType of(DataType type) {
        return type == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
    }

    /** {@code t} itself when already float32/float64, else a float32 copy; null stays null. */
    public static Tensor widen(Tensor t) {
        if (t == null || t.dtype() == DataType.FLOAT || t.dtype() == DataType.DOUBLE) {
            return t;
        }
        Tensor r = Tensor.uninitialized(DataType.FLOAT, t.shape());
        FloatBuffer out = r.floats();
        int n = t.size();
        if (t.dtype() == DataType.FLOAT16 || t.dtype() == DataType.BFLOAT16) {
            ShortBuffer in = t.shorts();
            boolean bf16 = t.dtype() == DataType.BFLOAT16;
            for (int i = 0; i < n; i++) {
                short bits = in.get(i);
                out.put(i, bf16 ? Half.bf16ToFloat(bits) : Half.toFloat(bits));
            }
        } else {
            for (int i = 0; i < n; i++) {
                out.put(i, (float) t.getDouble(i));
            }
        }
        return r;
    }

    /** {@code t} (a working-type tensor) converted to {@code type}; itself when the type already matches. */
    public static Tensor narrow(Tensor t, DataType type) {
        if (t.dtype() == type) {
            return t;
        }
        Tensor r = Tensor.uninitialized(type, t.shape());
        int n = t.size();
        if (t.dtype() == DataType.FLOAT && (type == DataType.FLOAT16 || type == DataType.BFLOAT16)) {
            FloatBuffer in = t.floats();
            ShortBuffer out = r.shorts();
            boolean bf16 = type == DataType.BFLOAT16;
            for (int i = 0; i < n; i++) {
                float v = in.get(i);
                out.put(i, bf16 ? Half.floatToBf16(v) : Half.fromFloat(v));
            }
        } else {
            for (int i = 0; i < n; i++) {
                r.setDouble(i, t.getDouble(i));
            }
        }
        return r;
    }
}
