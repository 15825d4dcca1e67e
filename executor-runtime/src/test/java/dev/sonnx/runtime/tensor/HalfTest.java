package dev.sonnx.runtime.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HalfTest {

    @Test
    void float16KnownBitPatterns() {
        // IEEE 754 binary16 reference values
        assertEquals(0x3c00, Half.fromFloat(1f) & 0xffff);
        assertEquals(0xc000, Half.fromFloat(-2f) & 0xffff);
        assertEquals(0x7bff, Half.fromFloat(65504f) & 0xffff);       // largest finite
        assertEquals(0x7c00, Half.fromFloat(65520f) & 0xffff);       // rounds to infinity
        assertEquals(0x0001, Half.fromFloat(0x1p-24f) & 0xffff);     // smallest subnormal
        assertEquals(0x0400, Half.fromFloat(0x1p-14f) & 0xffff);     // smallest normal
        assertEquals(0x3555, Half.fromFloat(1f / 3) & 0xffff);       // 0.333251953125
        assertEquals(1f, Half.toFloat((short) 0x3c00));
        assertEquals(0x1p-24f, Half.toFloat((short) 0x0001));
        assertEquals(65504f, Half.toFloat((short) 0x7bff));
        assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(Float.NaN))));
        assertEquals(Float.NEGATIVE_INFINITY, Half.toFloat(Half.fromFloat(Float.NEGATIVE_INFINITY)));
    }

    @Test
    void float16RoundsToNearestEven() {
        // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): ties go to the even mantissa (1).
        assertEquals(0x3c00, Half.fromFloat(1f + 0x1p-11f) & 0xffff);
        // 1 + 3*2^-11 lies halfway between 1+2^-10 (odd) and 1+2^-9 (even): rounds up.
        assertEquals(0x3c02, Half.fromFloat(1f + 3 * 0x1p-11f) & 0xffff);
    }

    @Test
    void everyFloat16SurvivesARoundTrip() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            float f = Half.toFloat(h);
            if (Float.isNaN(f)) {
                continue;
            }
            assertEquals(bits, Half.fromFloat(f) & 0xffff, "bits " + Integer.toHexString(bits));
        }
    }

    @Test
    void bfloat16() {
        assertEquals(0x3f80, Half.floatToBf16(1f) & 0xffff);
        assertEquals(1f, Half.bf16ToFloat((short) 0x3f80));
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1).
        assertEquals(0x3f80, Half.floatToBf16(1f + 0x1p-8f) & 0xffff);
        assertEquals(0x3f81, Half.floatToBf16(1f + 0x1.8p-8f) & 0xffff);
        assertTrue(Float.isNaN(Half.bf16ToFloat(Half.floatToBf16(Float.NaN))));
    }
}
