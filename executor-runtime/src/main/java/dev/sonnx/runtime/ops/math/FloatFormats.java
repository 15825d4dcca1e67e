package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.tensor.Half;

/**
 * Conversions into the 16-bit float formats that Cast needs beyond {@link Half}: double to float16
 * rounded once (not twice, through float), and float to bfloat16 by truncation, as the ONNX
 * reference Cast does (and the node suite's test_cast_FLOAT_to_BFLOAT16 expects).
 */
final class FloatFormats {
    private FloatFormats() {
    }

    /**
     * float16 bits of {@code v}, rounded to nearest even. Rounding to float first and then to half
     * could round twice; rounding to float "to odd" (keeping a sticky last bit when inexact) instead
     * makes the second rounding exact, since float keeps 13 more fraction bits than half.
     */
    static short doubleToHalf(double v) {
        float f = (float) v;
        if (f != v && !Double.isNaN(v) && !Float.isInfinite(f)
                && (Float.floatToRawIntBits(f) & 1) == 0) {
            f = Math.nextAfter(f, v); // the neighbour on v's side, whose last bit is odd
        }
        return Half.fromFloat(f);
    }

    /** bfloat16 bits of {@code f} by truncation (the upper half of the float), NaN kept a NaN. */
    static short floatToBf16Truncated(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7fffffff) > 0x7f800000) {
            return (short) ((x >>> 16) | 0x40);
        }
        return (short) (x >>> 16);
    }

    /** The value of a UINT64 bit pattern as a double, rounded once. */
    static double unsignedToDouble(long v) {
        if (v >= 0) {
            return v;
        }
        // halve with the lost bit kept sticky, convert, double back: rounds exactly once
        return (double) ((v >>> 1) | (v & 1)) * 2.0;
    }

    /** The value of a UINT64 bit pattern as a float, rounded once. */
    static float unsignedToFloat(long v) {
        if (v >= 0) {
            return v;
        }
        return (float) ((v >>> 1) | (v & 1)) * 2.0f;
    }

    /** A double truncated toward zero into a UINT64 bit pattern (NaN gives 0, as Java's casts do). */
    static long doubleToUnsigned(double v) {
        return v >= 0x1p63 ? (long) (v - 0x1p63) ^ Long.MIN_VALUE : (long) v;
    }
}
