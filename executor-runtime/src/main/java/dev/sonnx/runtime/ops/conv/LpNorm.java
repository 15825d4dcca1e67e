package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.Node;

/** The p-norm pieces shared by LpPool and GlobalLpPool. */
final class LpNorm {
    private LpNorm() {
    }

    /** The {@code p} attribute: a float in version 1, an int from version 2; default 2, must be positive. */
    static double parseP(Node node, int version) {
        double p = version < 2 ? node.attributes().getFloat("p", 2f) : node.attributes().getLong("p", 2);
        if (!(p > 0) || Double.isInfinite(p)) {
            throw new IllegalArgumentException("attribute 'p' is " + p + ", expected a positive number");
        }
        return p;
    }

    /** {@code v[i] = |v[i]|^p} in place. */
    static void powAbs(double[] v, int n, double p) {
        if (p == 2) {
            for (int i = 0; i < n; i++) {
                v[i] *= v[i];
            }
        } else if (p == 1) {
            for (int i = 0; i < n; i++) {
                v[i] = Math.abs(v[i]);
            }
        } else {
            for (int i = 0; i < n; i++) {
                v[i] = Math.pow(Math.abs(v[i]), p);
            }
        }
    }

    /** {@code v[i] = v[i]^(1/p)} in place. */
    static void root(double[] v, int n, double p) {
        if (p == 2) {
            for (int i = 0; i < n; i++) {
                v[i] = Math.sqrt(v[i]);
            }
        } else if (p != 1) {
            for (int i = 0; i < n; i++) {
                v[i] = Math.pow(v[i], 1 / p);
            }
        }
    }

    /** {@code dy[i] /= y[i]^(p-1)}, 0 where the norm is 0 (the subgradient at the origin). */
    static void scaleByNorm(double[] dy, double[] y, int n, double p) {
        for (int i = 0; i < n; i++) {
            double d = p == 1 ? 1 : Math.pow(y[i], p - 1);
            dy[i] = d == 0 ? 0 : dy[i] / d;
        }
    }

    /** {@code dx[i] *= sign(x[i]) |x[i]|^(p-1)}. */
    static void multiplyByDerivative(double[] dx, double[] x, int n, double p) {
        for (int i = 0; i < n; i++) {
            double v = x[i];
            dx[i] *= p == 2 ? v : Math.signum(v) * Math.pow(Math.abs(v), p - 1);
        }
    }
}
