package dev.sonnx.runtime.ops.conv;

import java.util.Arrays;
import java.util.Locale;

/**
 * The elementwise activation a fused convolution applies to its result, as the graph's own operator
 * would: Relu, Clip (bounds min, max), LeakyRelu (alpha), HardSigmoid (alpha, beta), HardSwish,
 * Sigmoid, and SiLU (x * Sigmoid(x), the Sigmoid and Mul pair of EfficientNet's and YOLO's exports).
 * Parsed from the {@code activation} / {@code activation_params} attributes of
 * {@code dev.sonnx.FusedConv}; {@link #NONE} when there is none.
 */
public final class FusedActivation {
    /** The activations a convolution can absorb. */
    public enum Kind {
        NONE, RELU, CLIP, LEAKY_RELU, HARD_SIGMOID, HARD_SWISH, SIGMOID, SILU
    }

    public static final FusedActivation NONE = new FusedActivation(Kind.NONE, 0, 0);

    private final Kind kind;
    /** Clip: the lower bound; LeakyRelu and HardSigmoid: alpha. */
    private final float a;
    /** Clip: the upper bound; HardSigmoid: beta. */
    private final float b;

    private FusedActivation(Kind kind, float a, float b) {
        this.kind = kind;
        this.a = a;
        this.b = b;
    }

    /**
     * The activation named {@code name} (an ONNX operator type, or "" for none) with its parameters in
     * the order of {@link #params()}; a clear error for an unknown name or a wrong parameter count.
     */
    public static FusedActivation of(String name, float[] params) {
        Kind kind = switch (name) {
            case "" -> Kind.NONE;
            case "Relu" -> Kind.RELU;
            case "Clip" -> Kind.CLIP;
            case "LeakyRelu" -> Kind.LEAKY_RELU;
            case "HardSigmoid" -> Kind.HARD_SIGMOID;
            case "HardSwish" -> Kind.HARD_SWISH;
            case "Sigmoid" -> Kind.SIGMOID;
            case "SiLU" -> Kind.SILU;
            default -> throw new IllegalArgumentException("attribute 'activation' is '" + name
                    + "', expected one of Relu, Clip, LeakyRelu, HardSigmoid, HardSwish, Sigmoid, SiLU (or none)");
        };
        int expected = switch (kind) {
            case NONE, RELU, HARD_SWISH, SIGMOID, SILU -> 0;
            case LEAKY_RELU -> 1;
            case CLIP, HARD_SIGMOID -> 2;
        };
        if (params.length != expected) {
            throw new IllegalArgumentException("attribute 'activation_params' has " + params.length
                    + " values, activation '" + name + "' takes " + expected);
        }
        return switch (kind) {
            case NONE -> NONE;
            case RELU, HARD_SWISH, SIGMOID, SILU -> new FusedActivation(kind, 0, 0);
            case LEAKY_RELU -> new FusedActivation(kind, params[0], 0);
            case CLIP, HARD_SIGMOID -> new FusedActivation(kind, params[0], params[1]);
        };
    }

    public static FusedActivation relu() {
        return new FusedActivation(Kind.RELU, 0, 0);
    }

    public static FusedActivation clip(float min, float max) {
        return new FusedActivation(Kind.CLIP, min, max);
    }

    public static FusedActivation leakyRelu(float alpha) {
        return new FusedActivation(Kind.LEAKY_RELU, alpha, 0);
    }

    public static FusedActivation hardSigmoid(float alpha, float beta) {
        return new FusedActivation(Kind.HARD_SIGMOID, alpha, beta);
    }

    public static FusedActivation hardSwish() {
        return new FusedActivation(Kind.HARD_SWISH, 0, 0);
    }

    public static FusedActivation sigmoid() {
        return new FusedActivation(Kind.SIGMOID, 0, 0);
    }

    /** x * Sigmoid(x). */
    public static FusedActivation silu() {
        return new FusedActivation(Kind.SILU, 0, 0);
    }

    public Kind kind() {
        return kind;
    }

    public boolean isNone() {
        return kind == Kind.NONE;
    }

    /** The ONNX operator type ("" for none; "SiLU" for the Sigmoid and Mul pair). */
    public String name() {
        return switch (kind) {
            case NONE -> "";
            case RELU -> "Relu";
            case CLIP -> "Clip";
            case LEAKY_RELU -> "LeakyRelu";
            case HARD_SIGMOID -> "HardSigmoid";
            case HARD_SWISH -> "HardSwish";
            case SIGMOID -> "Sigmoid";
            case SILU -> "SiLU";
        };
    }

    /** The parameters as {@link #of} takes them. */
    public float[] params() {
        return switch (kind) {
            case NONE, RELU, HARD_SWISH, SIGMOID, SILU -> new float[0];
            case LEAKY_RELU -> new float[] {a};
            case CLIP, HARD_SIGMOID -> new float[] {a, b};
        };
    }

    /** Clip's lower bound, LeakyRelu's and HardSigmoid's alpha. */
    public float alpha() {
        return a;
    }

    /** Clip's upper bound, HardSigmoid's beta. */
    public float beta() {
        return b;
    }

    /**
     * The activation of one float32 value, as oneDNN's post-ops compute it (so that every path of a
     * fused convolution agrees): like the standalone operators, except for NaN, which Relu turns into
     * 0, Clip into its lower bound (its upper one when the bounds cross) and HardSigmoid into 1, as the
     * max/min instructions of oneDNN's kernels (and ONNX Runtime's fused convolutions) do. LeakyRelu
     * and HardSwish keep NaN. HardSigmoid, HardSwish, Sigmoid and SiLU compute in double precision,
     * rounded once.
     */
    public float apply(float x) {
        return switch (kind) {
            case NONE -> x;
            case RELU -> x > 0 ? x : 0f;
            case CLIP -> {
                float v = x > a ? x : a;
                yield v < b ? v : b;
            }
            case LEAKY_RELU -> x > 0 ? x : a * x;
            case HARD_SIGMOID, HARD_SWISH, SIGMOID, SILU -> (float) apply((double) x);
        };
    }

    /** The same in double precision (float64 and the working type of 16-bit floats). */
    public double apply(double x) {
        return switch (kind) {
            case NONE -> x;
            case RELU -> x > 0 ? x : 0.0;
            case CLIP -> {
                double v = x > a ? x : a;
                yield v < b ? v : b;
            }
            case LEAKY_RELU -> x > 0 ? x : a * x;
            case HARD_SIGMOID -> unitClamp(a * x + b);
            case HARD_SWISH -> x * unitClamp(x / 6 + 0.5);
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            // as the graph's Mul(x, Sigmoid(x)): -inf gives NaN (-inf * 0) there too
            case SILU -> x * (1 / (1 + Math.exp(-x)));
        };
    }

    /** max(0, min(1, v)), with NaN giving 1 as min-then-max instructions do. */
    private static double unitClamp(double v) {
        double m = v < 1 ? v : 1.0;
        return m > 0 ? m : 0.0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FusedActivation f && f.kind == kind && Float.compare(f.a, a) == 0
                && Float.compare(f.b, b) == 0;
    }

    @Override
    public int hashCode() {
        return (kind.hashCode() * 31 + Float.hashCode(a)) * 31 + Float.hashCode(b);
    }

    @Override
    public String toString() {
        return kind == Kind.NONE ? "none" : name() + (params().length == 0 ? ""
                : Arrays.toString(params()).replace('[', '(').replace(']', ')')).toLowerCase(Locale.ROOT);
    }
}
