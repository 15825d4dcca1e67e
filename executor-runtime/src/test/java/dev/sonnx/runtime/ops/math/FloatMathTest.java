package dev.sonnx.runtime.ops.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.ops.kernel.SpecialFunctions;
import org.junit.jupiter.api.Test;

/** The closed forms of FloatMath against java.lang.Math's tanh and the series of SpecialFunctions.erf. */
class FloatMathTest {

    private static void assertNear(double expected, double actual, double rel, String what) {
        assertTrue(Math.abs(actual - expected) <= rel * Math.abs(expected) + 1e-300,
                what + ": " + actual + ", expected " + expected);
    }

    @Test
    void tanhAgreesWithMathTanhEverywhere() {
        for (double x = -25; x <= 25; x += 1.0 / 1024) {
            assertNear(Math.tanh(x), FloatMath.tanh(x), 2e-14, "tanh(" + x + ")");
        }
        for (double x = 1e-12; x < 0.1; x *= 1.01) {
            assertNear(Math.tanh(x), FloatMath.tanh(x), 2e-14, "tanh(" + x + ")");
            assertNear(Math.tanh(-x), FloatMath.tanh(-x), 2e-14, "tanh(" + -x + ")");
        }
        assertEquals(1.0, FloatMath.tanh(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, FloatMath.tanh(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(FloatMath.tanh(Double.NaN)));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(FloatMath.tanh(-0.0)));
    }

    @Test
    void erfAgreesWithTheSeriesEverywhere() {
        for (double x = -8; x <= 8; x += 1.0 / 4096) {
            assertNear(SpecialFunctions.erf(x), FloatMath.erf(x), 1e-14, "erf(" + x + ")");
        }
        for (double x = 1e-12; x < 0.5; x *= 1.01) {
            assertNear(SpecialFunctions.erf(x), FloatMath.erf(x), 1e-14, "erf(" + x + ")");
        }
        assertEquals(1.0, FloatMath.erf(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, FloatMath.erf(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(FloatMath.erf(Double.NaN)));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(FloatMath.erf(-0.0)));
    }

    @Test
    void float32ResultsAreTheCorrectlyRoundedOnes() {
        int differ = 0;
        int n = 0;
        for (float x = -10f; x <= 10f; x += 1f / 512, n++) {
            if ((float) FloatMath.tanh(x) != (float) Math.tanh(x)) {
                differ++;
            }
            if ((float) FloatMath.erf(x) != (float) SpecialFunctions.erf(x)) {
                differ++;
            }
        }
        assertEquals(0, differ, "of " + 2 * n + " float32 values");
    }
}
