package dev.sonnx.runtime.ops.image;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Element access to numeric tensors chosen once per tensor (float32 and float64 read their buffers
 * directly, other types go through the converting accessors), and conversions to and from the
 * float32 / float64 compute types.
 */
final class Access {
    private Access() {
    }

    /** {@code t} as FLOAT or DOUBLE (itself when it has that type). */
    static Tensor convert(Tensor t, DataType type) {
        if (t.dtype() == type) {
            return t;
        }
        Tensor r = Tensor.uninitialized(type, t.shape());
        for (int i = 0; i < t.size(); i++) {
            r.setDouble(i, t.getDouble(i));
        }
        return r;
    }

    /** The compute-type result in X's type: floats rounded, integers rounded and saturated. */
    static Tensor toType(Tensor y, DataType type) {
        if (y.dtype() == type) {
            return y;
        }
        Tensor r = Tensor.uninitialized(type, y.shape());
        if (type.isFloat()) {
            for (int i = 0; i < y.size(); i++) {
                r.setDouble(i, y.getDouble(i));
            }
            return r;
        }
        double lo = integerMin(type);
        double hi = integerMax(type);
        for (int i = 0; i < y.size(); i++) {
            double v = Math.rint(y.getDouble(i));
            r.setDouble(i, Math.max(lo, Math.min(hi, v)));
        }
        return r;
    }

    private static double integerMin(DataType t) {
        return switch (t) {
            case INT8 -> Byte.MIN_VALUE;
            case INT16 -> Short.MIN_VALUE;
            case INT32 -> Integer.MIN_VALUE;
            case INT64 -> Long.MIN_VALUE;
            default -> 0;
        };
    }

    private static double integerMax(DataType t) {
        return switch (t) {
            case INT8 -> Byte.MAX_VALUE;
            case UINT8 -> 255;
            case INT16 -> Short.MAX_VALUE;
            case UINT16 -> 65535;
            case INT32 -> Integer.MAX_VALUE;
            case UINT32 -> 4294967295.0;
            case INT64 -> 0x1p63 - 1024;
            case UINT64 -> 0x1p64 - 2048;
            default -> 1;
        };
    }
}
