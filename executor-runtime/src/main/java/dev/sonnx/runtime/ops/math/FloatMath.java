package dev.sonnx.runtime.ops.math;

/**
 * tanh and erf for float32 kernels, in double precision with closed forms (no series, no calls that
 * the JIT cannot inline), accurate to about 1e-14 relative, so the float32 results are the correctly
 * rounded ones but for values within that distance of a rounding boundary. {@code Math.tanh} and the
 * series of {@code SpecialFunctions.erf} cost 40 to 90 ns per element; these cost a few.
 */
final class FloatMath {
    private FloatMath() {
    }

    /** tanh(x) = (e^{2x} - 1) / (e^{2x} + 1), a short Taylor series near 0 where that cancels. */
    static double tanh(double x) {
        double a = Math.abs(x);
        double r;
        if (a < 0x1p-5) {
            // x - x^3/3 + 2x^5/15 - 17x^7/315: the next term is below 1e-16 relative here
            double x2 = a * a;
            r = a * (1 - x2 * (1.0 / 3 - x2 * (2.0 / 15 - x2 * (17.0 / 315))));
        } else if (a < 20) {
            double e = Math.exp(2 * a);
            r = (e - 1) / (e + 1);
        } else {
            r = a == a ? 1.0 : a;
        }
        return Math.copySign(r, x);
    }

    // W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969):
    // the coefficients of his CALERF routine, for |x| <= 0.5, 0.5 < |x| <= 4 and |x| > 4.
    private static final double[] A = {3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
        3.20937758913846947e03, 1.85777706184603153e-1};
    private static final double[] B = {2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
        2.84423683343917062e03};
    private static final double[] C = {5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
        2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03,
        1.23033935479799725e03, 2.15311535474403846e-8};
    private static final double[] D = {1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
        1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03,
        1.23033935480374942e03};
    private static final double[] P = {3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
        1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2};
    private static final double[] Q = {2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
        6.05183413124413191e-2, 2.33520497626869185e-3};
    private static final double INV_SQRT_PI = 5.6418958354775628695e-1;

    /** The error function (Cody's rational approximations; erf is +-1 in double beyond |x| = 6). */
    static double erf(double x) {
        double y = Math.abs(x);
        double r;
        if (y <= 0.46875) {
            double z = y * y;
            double num = A[4] * z;
            double den = z;
            for (int i = 0; i < 3; i++) {
                num = (num + A[i]) * z;
                den = (den + B[i]) * z;
            }
            return x * (num + A[3]) / (den + B[3]);
        } else if (y <= 4) {
            double num = C[8] * y;
            double den = y;
            for (int i = 0; i < 7; i++) {
                num = (num + C[i]) * y;
                den = (den + D[i]) * y;
            }
            r = 1 - scaledTail(y, (num + C[7]) / (den + D[7]));
        } else if (y < 6) {
            double z = 1 / (y * y);
            double num = P[5] * z;
            double den = z;
            for (int i = 0; i < 4; i++) {
                num = (num + P[i]) * z;
                den = (den + Q[i]) * z;
            }
            double t = z * (num + P[4]) / (den + Q[4]);
            r = 1 - scaledTail(y, (INV_SQRT_PI - t) / y);
        } else {
            r = y == y ? 1.0 : y;
        }
        return Math.copySign(r, x);
    }

    /** erfc(y) = e^{-y^2} * s, with y^2 split so that its rounding error does not reach the exponential. */
    private static double scaledTail(double y, double s) {
        double hi = Math.floor(y * 16) / 16;
        double del = (y - hi) * (y + hi);
        return Math.exp(-hi * hi) * Math.exp(-del) * s;
    }
}
