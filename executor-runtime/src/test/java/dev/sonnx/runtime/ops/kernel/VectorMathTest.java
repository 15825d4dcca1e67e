package dev.sonnx.runtime.ops.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * VectorMath against double-precision references (the JDK's Math and the series of
 * SpecialFunctions.erf) over dense grids, with the error bounds its documentation states, and at the
 * special values.
 */
class VectorMathTest {
    private interface Kernel {
        void apply(float[] v, int from, int to);
    }

    /** Grid of n floats over [lo, hi], plus an offset region that the kernel must leave alone. */
    private static float[] grid(float lo, float hi, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = lo + (hi - lo) * i / (n - 1);
        }
        return v;
    }

    /** Largest |got - want| / max(|want|, floor), the kernel run on [3, n-2) of the grid. */
    private static double maxRelativeError(Kernel k, DoubleUnaryOperator ref, float[] x, double floor) {
        float[] v = x.clone();
        k.apply(v, 3, v.length - 2);
        for (int i : new int[] {0, 1, 2, v.length - 2, v.length - 1}) {
            assertEquals(x[i], v[i], 0, "element " + i + " is outside the range and must not change");
        }
        double worst = 0;
        for (int i = 3; i < v.length - 2; i++) {
            double want = ref.applyAsDouble(x[i]);
            double err = Math.abs(v[i] - want) / Math.max(Math.abs(want), floor);
            assertTrue(err == err, "NaN at x = " + x[i]);
            if (err > worst) {
                worst = err;
                worstAt = x[i];
            }
        }
        return worst;
    }

    /** Where the last maxRelativeError call found its largest error (for the failure messages). */
    private static float worstAt;

    private static float[] special(Kernel k, float... x) {
        float[] v = x.clone();
        k.apply(v, 0, v.length);
        return v;
    }

    @Test
    void expWithinOneAndAHalfUlpFromUnderflowToOverflow() {
        // 3,000,001 points: several chunks, and every reduction interval many times
        double err = maxRelativeError(VectorMath::exp, Math::exp, grid(-87f, 88.5f, 3_000_001), 0);
        assertTrue(err < 1.5 * 0x1p-23, "exp relative error " + err);
        float[] s = special(VectorMath::exp, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0f, -0f,
                -103.5f, -120f, 89f, 88.72f);
        assertTrue(Float.isNaN(s[0]));
        assertEquals(0f, s[1]);
        assertEquals(Float.POSITIVE_INFINITY, s[2]);
        assertEquals(1f, s[3]);
        assertEquals(1f, s[4]);
        // subnormal results: within the absolute spacing of subnormals
        assertEquals(Math.exp(-103.5), s[5], Float.MIN_VALUE * 2);
        assertEquals(0f, s[6]);
        assertEquals(Float.POSITIVE_INFINITY, s[7]);
        assertEquals(Math.exp(88.72f), s[8], Math.exp(88.72f) * 2e-7);
    }

    @Test
    void expNormalOrZeroIsExpWhileTheResultIsNormalAndZeroBelow() {
        double err = maxRelativeError(VectorMath::expNormalOrZero, Math::exp, grid(-86.49f, 88.5f, 1_000_001), 0);
        assertTrue(err < 1.5 * 0x1p-23, "relative error " + err);
        err = maxRelativeError(VectorMath::expNormalOrZero, v -> 0, grid(-1e6f, VectorMath.NORMAL_EXP_LOW, 100_001), 1);
        assertEquals(0, err, "not 0 at x = " + worstAt);
        float[] s = special(VectorMath::expNormalOrZero, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY,
                0f, -0f, -86.4f, -86.6f, -Float.MAX_VALUE, 88.7f, 89f);
        assertTrue(Float.isNaN(s[0]));
        assertEquals(0f, s[1]);
        assertEquals(Float.POSITIVE_INFINITY, s[2]);
        assertEquals(1f, s[3]);
        assertEquals(1f, s[4]);
        assertEquals(Math.exp(-86.4f), s[5], Math.exp(-86.4f) * 2e-7);
        assertTrue(s[5] >= Float.MIN_NORMAL, "e^-86.4 is a normal float");
        assertEquals(0f, s[6]);
        assertEquals(0f, s[7]);
        // the top of float's range: finite up to ln(MAX_VALUE) = 88.72, infinite beyond
        assertEquals(Math.exp(88.7f), s[8], Math.exp(88.7f) * 2e-7);
        assertEquals(Float.POSITIVE_INFINITY, s[9]);
    }

    @Test
    void tanhWithinFourTenMillionthsRelative() {
        double err = maxRelativeError(VectorMath::tanh, Math::tanh, grid(-12f, 12f, 2_000_001), 1e-30);
        assertTrue(err < 4e-7, "tanh relative error " + err + " at " + worstAt);
        double tiny = maxRelativeError(VectorMath::tanh, Math::tanh, grid(-1e-3f, 1e-3f, 100_001), 1e-45);
        assertTrue(tiny < 4e-7, "tanh relative error near 0: " + tiny);
        float[] s = special(VectorMath::tanh, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -0f, 1e-40f);
        assertTrue(Float.isNaN(s[0]));
        assertEquals(-1f, s[1]);
        assertEquals(1f, s[2]);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(s[3]));
        assertEquals(1e-40f, s[4], 1e-45f);
    }

    @Test
    void erfWithinOneUlp() {
        double err = maxRelativeError(VectorMath::erf, SpecialFunctions::erf, grid(-6f, 6f, 2_000_001), 1e-30);
        assertTrue(err < 0x1p-23, "erf relative error " + err);
        float[] s = special(VectorMath::erf, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -0f, 1e-30f,
                100f, -1e30f);
        assertTrue(Float.isNaN(s[0]));
        assertEquals(-1f, s[1]);
        assertEquals(1f, s[2]);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(s[3]));
        assertEquals(1.1283791670955126e-30, s[4], 1e-36);
        assertEquals(1f, s[5]);
        assertEquals(-1f, s[6]);
    }

    @Test
    void sigmoidWithinAFewUlp() {
        double err = maxRelativeError(VectorMath::sigmoid, x -> 1 / (1 + Math.exp(-x)), grid(-80f, 40f, 2_000_001), 0);
        assertTrue(err < 4 * 0x1p-23, "sigmoid relative error " + err);
        float[] s = special(VectorMath::sigmoid, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0f);
        assertTrue(Float.isNaN(s[0]));
        assertEquals(0f, s[1]);
        assertEquals(1f, s[2]);
        assertEquals(0.5f, s[3]);
    }

    /** x Phi(x); Phi from erfc in the left tail, where 1 + erf would cancel. */
    private static double gelu(double x) {
        double z = x / Math.sqrt(2);
        double onePlusErf = z < -0.5 ? erfcSeries(-z) : 1 + SpecialFunctions.erf(z);
        return 0.5 * x * onePlusErf;
    }

    /** erfc(y) for y > 0.5 by Lentz's continued fraction (independent of the code under test). */
    private static double erfcSeries(double y) {
        if (y < 2) {
            return 1 - SpecialFunctions.erf(y);
        }
        // erfc(y) = exp(-y^2)/sqrt(pi) * 1/(y + 1/2/(y + 1/(y + 3/2/(y + ...))))
        double f = y;
        for (int k = 60; k >= 1; k--) {
            f = y + (k / 2.0) / f;
        }
        return Math.exp(-y * y) / Math.sqrt(Math.PI) / f;
    }

    @Test
    void geluKeepsItsRelativeAccuracyInTheLeftTail() {
        // the right side and the centre: a few ulp (the argument x / sqrt 2 is itself rounded)
        double err = maxRelativeError(VectorMath::gelu, VectorMathTest::gelu, grid(-2f, 10f, 1_200_001), 1e-30);
        assertTrue(err < 1e-6, "gelu relative error " + err + " at " + worstAt);
        // the left tail down to x = -6 (GELU = -6e-9): the erfc polynomial's 2e-4; beyond, below 1e-9 absolute
        double tail = maxRelativeError(VectorMath::gelu, VectorMathTest::gelu, grid(-6f, -2f, 400_001), 1e-30);
        assertTrue(tail < 2e-4, "gelu relative error in the left tail " + tail + " at " + worstAt);
        double farTail = maxRelativeError(VectorMath::gelu, VectorMathTest::gelu, grid(-30f, -6f, 400_001), 1);
        assertTrue(farTail < 1e-9, "gelu absolute error below -6: " + farTail + " at " + worstAt);
        float[] s = special(VectorMath::gelu, Float.NaN, Float.POSITIVE_INFINITY, 0f, -40f, Float.NEGATIVE_INFINITY);
        assertTrue(Float.isNaN(s[0]));
        assertEquals(Float.POSITIVE_INFINITY, s[1]);
        assertEquals(0f, s[2]);
        assertEquals(0f, s[3], 1e-30f);
        // -inf * (1 + erf(-inf)) / 2 = -inf * 0, as the formula has it
        assertTrue(Float.isNaN(s[4]));
    }

    @Test
    void geluTanhWithinAFewUlp() {
        DoubleUnaryOperator ref = x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
        double err = maxRelativeError(VectorMath::geluTanh, ref, grid(-3f, 10f, 1_300_001), 1e-30);
        assertTrue(err < 1.5e-6, "gelu (tanh) relative error " + err + " at " + worstAt);
        float[] s = special(VectorMath::geluTanh, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -20f);
        assertTrue(Float.isNaN(s[0]));
        assertEquals(Float.POSITIVE_INFINITY, s[1]);
        // -inf * (1 + tanh(-inf)) / 2 = -inf * 0, as the formula has it
        assertTrue(Float.isNaN(s[2]));
        assertEquals(0f, s[3]);
        assertEquals(0f, s[4], 1e-30f);
    }
}
