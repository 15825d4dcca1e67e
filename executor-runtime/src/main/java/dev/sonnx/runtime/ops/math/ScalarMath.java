package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.kernel.SpecialFunctions;

/** The scalar functions of the elementwise table that java.lang.Math lacks, in double precision. */
final class ScalarMath {
    private static final double LN2 = 0.6931471805599453;
    static final double SQRT_2_OVER_PI = 0.7978845608028654;
    static final double INV_SQRT_2 = 0.7071067811865476;
    private static final double INV_SQRT_2PI = 0.3989422804014327;
    static final double GELU_CUBIC = 0.044715;

    private ScalarMath() {
    }

    /** 1 / (1 + e^-x), without overflow for large |x|. */
    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /** ln(1 + e^x), without overflow for large x nor loss for very negative x. */
    static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    /** asinh, odd and accurate for large |x| (the textbook log(x + sqrt(x^2+1)) cancels for x << 0). */
    static double asinh(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax > 1e150) {
            r = Math.log(ax) + LN2;
        } else {
            r = Math.log1p(ax + ax * ax / (1 + Math.sqrt(1 + ax * ax)));
        }
        return x < 0 ? -r : r;
    }

    /** acosh for x >= 1 (NaN below), without overflow for large x. */
    static double acosh(double x) {
        return x > 1e150 ? Math.log(x) + LN2 : Math.log(x + Math.sqrt(x * x - 1));
    }

    /** atanh = ln((1 + x) / (1 - x)) / 2, accurate near 0. */
    static double atanh(double x) {
        return 0.5 * Math.log1p(2 * x / (1 - x));
    }

    /** Mish: x tanh(softplus(x)). */
    static double mish(double x) {
        return x * Math.tanh(softplus(x));
    }

    static double mishDerivative(double x) {
        double t = Math.tanh(softplus(x));
        return t + x * sigmoid(x) * (1 - t * t);
    }

    /** GELU with the exact normal CDF: x Phi(x) = x (1 + erf(x / sqrt 2)) / 2. */
    static double gelu(double x) {
        return 0.5 * x * (1 + SpecialFunctions.erf(x * INV_SQRT_2));
    }

    /** d/dx x Phi(x) = Phi(x) + x phi(x). */
    static double geluDerivative(double x) {
        return 0.5 * (1 + SpecialFunctions.erf(x * INV_SQRT_2)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    }

    /** GELU's tanh approximation: x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2. */
    static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x)));
    }

    static double geluTanhDerivative(double x) {
        double t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * x * x);
    }

    /** Integer remainder with the sign of the divisor (Python's %, Mod with fmod=0); 0 for b = 0. */
    static long floorMod(long a, long b) {
        return b == 0 ? 0 : Math.floorMod(a, b);
    }

    /** Integer remainder with the sign of the dividend (C's %, Mod with fmod=1); 0 for b = 0. */
    static long truncMod(long a, long b) {
        return b == 0 ? 0 : a % b;
    }

    static long unsignedMod(long a, long b) {
        return b == 0 ? 0 : Long.remainderUnsigned(a, b);
    }

    /**
     * base^exponent on 64-bit integers, wrapping as C's integer multiplication does; a negative
     * exponent truncates 1 / base^|e| toward zero (0 unless |base| = 1). {@code unsignedExponent}
     * reads the exponent's bits as unsigned (UINT64).
     */
    static long integerPow(long base, long exponent, boolean unsignedExponent) {
        if (exponent < 0 && !unsignedExponent) {
            if (base == 1) {
                return 1;
            }
            if (base == -1) {
                return (exponent & 1) == 0 ? 1 : -1;
            }
            return 0; // 1 / base^|e| truncated; for base 0 (a division by zero) 0 as well
        }
        long result = 1;
        long b = base;
        long e = exponent;
        while (e != 0) {
            if ((e & 1) != 0) {
                result *= b;
            }
            e >>>= 1;
            b *= b;
        }
        return result;
    }
}
