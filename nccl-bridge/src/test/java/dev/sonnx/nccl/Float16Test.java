package dev.sonnx.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Float16Test {

    @Test
    void everyHalfSurvivesDecodeThenEncode() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            float value = Float16.toFloat((short) bits);
            short again = Float16.fromFloat(value);
            if (Float.isNaN(value)) {
                assertTrue(Float.isNaN(Float16.toFloat(again)), "NaN stays NaN: " + Integer.toHexString(bits));
            } else {
                assertEquals(bits, again & 0xffff, "half 0x" + Integer.toHexString(bits) + " = " + value);
            }
        }
    }

    @Test
    void decodesKnownValues() {
        assertEquals(1.0f, Float16.toFloat((short) 0x3c00));
        assertEquals(-2.0f, Float16.toFloat((short) 0xc000));
        assertEquals(65504f, Float16.toFloat((short) 0x7bff));
        assertEquals(0x1p-24f, Float16.toFloat((short) 0x0001), "smallest subnormal");
        assertEquals(0x1p-14f, Float16.toFloat((short) 0x0400), "smallest normal");
        assertEquals(Float.POSITIVE_INFINITY, Float16.toFloat((short) 0x7c00));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(Float16.toFloat((short) 0x8000)));
    }

    @Test
    void roundsTiesToEvenAtTheEdges() {
        assertEquals(0x7bff, Float16.fromFloat(65519.99f) & 0xffff, "below the midpoint to the largest half");
        assertEquals(0x7c00, Float16.fromFloat(65520f) & 0xffff, "the midpoint rounds to even: infinity");
        assertEquals(0x7c00, Float16.fromFloat(1e9f) & 0xffff);
        assertEquals(0xfc00, Float16.fromFloat(-1e9f) & 0xffff);
        assertEquals(0x0000, Float16.fromFloat(0x1p-25f) & 0xffff, "half the smallest subnormal ties to zero");
        assertEquals(0x0002, Float16.fromFloat(3 * 0x1p-25f) & 0xffff, "1.5 subnormal steps tie to 2");
        assertEquals(0x0001, Float16.fromFloat(0x1.0000p-25f * 1.0001f) & 0xffff, "just above half rounds up");
        assertEquals(0x3c00, Float16.fromFloat(1 + 0x1p-11f) & 0xffff, "1 + half an ulp ties to 1");
        assertEquals(0x3c02, Float16.fromFloat(1 + 3 * 0x1p-11f) & 0xffff, "1 + 1.5 ulp ties to 1 + 2 ulp");
        assertEquals(0x0400, Float16.fromFloat(0x1p-14f - 0x1p-26f) & 0xffff, "rounds up into the normals");
        assertEquals(0x7e00, Float16.fromFloat(Float.NaN) & 0x7e00);
    }

    @Test
    void encodesRandomFloatsToTheNearestHalfTiesToEven() {
        SplittableRandom random = new SplittableRandom(16);
        for (int i = 0; i < 200_000; i++) {
            // magnitudes from far below the subnormals to beyond the largest half
            float value = (float) ((random.nextBoolean() ? 1 : -1) * Math.pow(2, random.nextDouble(-27, 17)));
            short encoded = Float16.fromFloat(value);
            assertEquals(nearestHalfBySearch(value), encoded & 0xffff, "encoding " + value);
        }
    }

    /**
     * The half nearest to {@code value} (ties to the even bit pattern), found independently of the
     * encoder: non-negative halves grow with their bits, so a binary search brackets the value.
     */
    private static int nearestHalfBySearch(float value) {
        int sign = value < 0 ? 0x8000 : 0;
        double magnitude = Math.abs((double) value);
        if (magnitude >= 65520) {
            return sign | 0x7c00;
        }
        int below = 0; // largest bits whose value is <= magnitude
        int above = 0x7bff;
        while (below < above) {
            int middle = (below + above + 1) >>> 1;
            if (Float16.toFloat((short) middle) <= magnitude) {
                below = middle;
            } else {
                above = middle - 1;
            }
        }
        if (below == 0x7bff) {
            return sign | below;
        }
        double errorBelow = magnitude - Float16.toFloat((short) below);
        double errorAbove = Float16.toFloat((short) (below + 1)) - magnitude;
        if (errorBelow != errorAbove) {
            return sign | (errorBelow < errorAbove ? below : below + 1);
        }
        return sign | ((below & 1) == 0 ? below : below + 1);
    }
}
