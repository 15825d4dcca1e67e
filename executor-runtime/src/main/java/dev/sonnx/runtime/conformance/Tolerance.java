package dev.sonnx.runtime.conformance;

/** Elementwise closeness: {@code |actual - expected| <= atol + rtol * |expected|}, NaN matching NaN. */
public record Tolerance(double atol, double rtol) {
    /** The ONNX node suite's rule. */
    public static final Tolerance NODE = new Tolerance(1e-7, 1e-3);
    /** The model-zoo rule (deep graphs accumulate float32 rounding). */
    public static final Tolerance ZOO = new Tolerance(1e-4, 1e-3);

    public boolean close(double actual, double expected) {
        if (Double.isNaN(expected)) {
            return Double.isNaN(actual);
        }
        if (Double.isInfinite(expected)) {
            return actual == expected;
        }
        return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
    }
}
