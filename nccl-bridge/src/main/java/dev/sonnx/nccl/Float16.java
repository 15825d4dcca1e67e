package dev.sonnx.nccl;

/**
 * IEEE 754 binary16 conversions (Java 17 has no {@code Float.floatToFloat16}). Encoding rounds to
 * nearest, ties to even, as the hardware converters of GPUs and CPUs (F16C) do, so fp16 results
 * here match what NCCL produces on a GPU.
 */
public final class Float16 {

    /** Decoding through a table: 64 K floats (256 KiB) make decoding one load, the hot step of fp16 transport. */
    private static final float[] DECODED = buildDecodeTable();

    /** 0.5f: adding it aligns the ten fp16 subnormal mantissa bits at the bottom of a float, rounding once. */
    private static final float SUBNORMAL_MAGIC = Float.intBitsToFloat(126 << 23);

    private Float16() {
    }

    /** The fp16 bits nearest to {@code value} (ties to even); beyond ±65504 gives infinity, NaN stays NaN. */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int magnitude = bits & 0x7fff_ffff;
        int half;
        if (magnitude >= 0x4780_0000) {
            // 65536 and above (and inf, NaN): no finite fp16 is nearer than infinity
            half = magnitude > 0x7f80_0000 ? 0x7e00 : 0x7c00;
        } else if (magnitude < 0x3880_0000) {
            // below 2^-14: fp16 subnormal or zero; float addition does the round-to-nearest-even
            float aligned = Float.intBitsToFloat(magnitude) + SUBNORMAL_MAGIC;
            half = Float.floatToRawIntBits(aligned) - Float.floatToRawIntBits(SUBNORMAL_MAGIC);
        } else {
            // normal: rebias the exponent and drop 13 mantissa bits, adding 0xfff plus the kept lowest
            // bit so that exact halves round to the even neighbour; a carry may reach infinity (>= 65520)
            int keptLowestBit = (magnitude >>> 13) & 1;
            half = (magnitude + ((15 - 127) << 23) + 0xfff + keptLowestBit) >>> 13;
        }
        return (short) (sign | half);
    }

    /** The float of the fp16 bits {@code half} (exact: every fp16 value is a float). */
    public static float toFloat(short half) {
        return DECODED[half & 0xffff];
    }

    private static float[] buildDecodeTable() {
        float[] table = new float[1 << 16];
        for (int bits = 0; bits < table.length; bits++) {
            table[bits] = decodeArithmetically(bits);
        }
        return table;
    }

    private static float decodeArithmetically(int bits) {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f80_0000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // zero or subnormal: mantissa * 2^-24, exact in float
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
    }
}
