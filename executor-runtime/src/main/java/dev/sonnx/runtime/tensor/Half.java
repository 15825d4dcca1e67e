package dev.sonnx.runtime.tensor;

import dev.sonnx.nccl.Float16;

/** Conversions between float32 and the 16-bit float formats, rounding to nearest even. */
public final class Half {
    private Half() {
    }

    /** IEEE 754 binary16 bits to float (the conversion the collectives' float16 transport uses). */
    public static float toFloat(short bits) {
        return Float16.toFloat(bits);
    }

    /** float to IEEE 754 binary16 bits, round to nearest even, overflow to infinity, NaN kept. */
    public static short fromFloat(float f) {
        return Float16.fromFloat(f);
    }

    /** bfloat16 bits to float: the upper half of a float32. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** float to bfloat16 bits, round to nearest even, NaN kept quiet. */
    public static short floatToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7fffffff) > 0x7f800000) {
            return (short) ((x >>> 16) | 0x40);
        }
        int lsb = (x >>> 16) & 1;
        return (short) ((x + 0x7fff + lsb) >>> 16);
    }
}
