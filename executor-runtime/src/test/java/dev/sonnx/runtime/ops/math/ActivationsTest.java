package dev.sonnx.runtime.ops.math;

import static dev.sonnx.runtime.ops.math.MathTesting.assertDoubles;
import static dev.sonnx.runtime.ops.math.MathTesting.assertLongs;
import static dev.sonnx.runtime.ops.math.MathTesting.assertShape;
import static dev.sonnx.runtime.ops.math.MathTesting.run;
import static dev.sonnx.runtime.ops.math.MathTesting.typed;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

/** The parameterised activations, each against its formula written out here. */
class ActivationsTest {
    private static final double[] X = {-3.5, -1, -0.25, 0, 0.25, 1, 3.5};

    private static Tensor x() {
        return Tensor.of(X.clone(), X.length);
    }

    private static double[] map(java.util.function.DoubleUnaryOperator f) {
        double[] r = new double[X.length];
        for (int i = 0; i < X.length; i++) {
            r[i] = f.applyAsDouble(X[i]);
        }
        return r;
    }

    @Test
    void elu() {
        Tensor y = OpTester.of("Elu", 6).inputs(1).attr("alpha", 2f).run(x())[0];
        assertDoubles(y, DataType.DOUBLE, 1e-14, map(v -> v < 0 ? 2 * (Math.exp(v) - 1) : v));
        assertDoubles(run("Elu", 6, x()), DataType.DOUBLE, 1e-14, map(v -> v < 0 ? Math.exp(v) - 1 : v));
    }

    @Test
    void seluWithDefaultsAndAttributes() {
        double alpha = 1.67326319217681884765625;
        double gamma = 1.05070102214813232421875;
        assertDoubles(run("Selu", 6, x()), DataType.DOUBLE, 1e-14,
                map(v -> v > 0 ? gamma * v : gamma * (alpha * Math.exp(v) - alpha)));
        Tensor y = OpTester.of("Selu", 6).inputs(1).attr("alpha", 2f).attr("gamma", 3f).run(x())[0];
        assertDoubles(y, DataType.DOUBLE, 1e-14, map(v -> v > 0 ? 3 * v : 3 * (2 * Math.exp(v) - 2)));
    }

    @Test
    void celu() {
        Tensor y = OpTester.of("Celu", 12).inputs(1).attr("alpha", 2f).run(x())[0];
        assertDoubles(y, DataType.DOUBLE, 1e-14, map(v -> Math.max(0, v) + Math.min(0, 2 * (Math.exp(v / 2) - 1))));
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("Celu", 12).inputs(1).attr("alpha", 0f).build());
    }

    @Test
    void hardSigmoidAndHardSwish() {
        Tensor y = OpTester.of("HardSigmoid", 6).inputs(1).attr("alpha", 0.5f).attr("beta", 0.6f).run(x())[0];
        assertDoubles(y, DataType.DOUBLE, 1e-7, map(v -> Math.max(0, Math.min(1, 0.5 * v + 0.6))));
        assertDoubles(run("HardSigmoid", 6, x()), DataType.DOUBLE, 1e-7, map(v -> Math.max(0, Math.min(1, 0.2 * v + 0.5))));
        assertDoubles(run("HardSwish", 14, x()), DataType.DOUBLE, 1e-14, map(v -> v * Math.max(0, Math.min(1, v / 6 + 0.5))));
    }

    @Test
    void thresholdedReluAndShrink() {
        assertDoubles(run("ThresholdedRelu", 10, x()), DataType.DOUBLE, 0, map(v -> v > 1 ? v : 0));
        Tensor y = OpTester.of("ThresholdedRelu", 10).inputs(1).attr("alpha", -0.5f).run(x())[0];
        assertDoubles(y, DataType.DOUBLE, 0, map(v -> v > -0.5 ? v : 0));
        Tensor s = OpTester.of("Shrink", 9).inputs(1).attr("lambd", 0.9f).attr("bias", 0.5f).run(x())[0];
        double lambd = 0.9f;
        assertDoubles(s, DataType.DOUBLE, 1e-14, map(v -> v < -lambd ? v + 0.5 : v > lambd ? v - 0.5 : 0));
        // integer input: the float result truncated toward zero
        Tensor i = OpTester.of("Shrink", 9).inputs(1).attr("lambd", 1.5f).attr("bias", 1.5f)
                .run(typed(DataType.INT32, new long[] {-5, -1, 0, 2, 5}, 5))[0];
        assertLongs(i, DataType.INT32, -3, 0, 0, 0, 3);
    }

    @Test
    void mishAndGelu() {
        assertDoubles(run("Mish", 18, x()), DataType.DOUBLE, 1e-14, map(v -> v * Math.tanh(Math.log(1 + Math.exp(v)))));
        // Phi(x) from reference erf values: erf(1/sqrt 2) = 0.6826894921370859
        Tensor g = run("Gelu", 20, Tensor.of(new double[] {1, -1, 0}, 3));
        assertDoubles(g, DataType.DOUBLE, 1e-14, 0.5 * (1 + 0.6826894921370859), -0.5 * (1 - 0.6826894921370859), 0);
        Tensor t = OpTester.of("Gelu", 20).inputs(1).attr("approximate", "tanh").run(x())[0];
        double c = Math.sqrt(2 / Math.PI);
        assertDoubles(t, DataType.DOUBLE, 1e-14, map(v -> 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v * v * v)))));
        var e = assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("Gelu", 20).inputs(1).attr("approximate", "erf").build());
        assertTrue(e.getMessage().contains("approximate"), e.getMessage());
    }

    @Test
    void leakyReluAndRelu() {
        Tensor y = OpTester.of("LeakyRelu", 16).inputs(1).attr("alpha", 0.1f).run(x())[0];
        double a = 0.1f;
        assertDoubles(y, DataType.DOUBLE, 1e-15, map(v -> v >= 0 ? v : a * v));
        assertLongs(run("Relu", 14, typed(DataType.INT8, new long[] {-3, 0, 4}, 3)), DataType.INT8, 0, 0, 4);
        assertDoubles(run("Relu", 14, typed(DataType.FLOAT16, new double[] {-3, 0.5}, 2)), DataType.FLOAT16, 0, 0, 0.5);
    }

    // ------------------------------------------------------------------ PRelu

    @Test
    void preluBroadcastsTheSlopeToX() {
        Tensor xt = Tensor.of(new float[] {-1, 2, -3, 4, -5, 6}, 2, 3);
        Tensor slope = Tensor.of(new float[] {0.1f, 0.2f, 0.3f}, 3);
        Tensor y = run("PRelu", 16, xt, slope);
        assertShape(y, DataType.FLOAT, 2, 3);
        assertDoubles(y, DataType.FLOAT, 1e-6, -0.1, 2, -0.9, 4, -1, 6);
        // per-channel slope of shape [C, 1, 1] on NCHW
        Tensor img = Tensor.of(new float[] {-1, -1, -2, -2}, 1, 2, 2, 1);
        Tensor y2 = run("PRelu", 16, img, Tensor.of(new float[] {0.5f, 0.25f}, 2, 1, 1));
        assertDoubles(y2, DataType.FLOAT, 0, -0.5, -0.5, -0.5, -0.5);
        // the output keeps X's shape: a slope that would widen it is refused
        var e = assertThrows(IllegalArgumentException.class,
                () -> run("PRelu", 16, Tensor.of(new float[] {1, 2}, 2), Tensor.zeros(DataType.FLOAT, 3, 2)));
        assertTrue(e.getMessage().contains("slope"), e.getMessage());
    }

    @Test
    void preluOnIntegers() {
        Tensor y = run("PRelu", 16, Tensor.of(new int[] {-3, 4}, 2), Tensor.of(new int[] {2}, 1));
        assertLongs(y, DataType.INT32, -6, 4);
        Tensor u = run("PRelu", 16, typed(DataType.UINT64, new long[] {-1L}, 1), typed(DataType.UINT64, new long[] {2}, 1));
        assertLongs(u, DataType.UINT64, -1L); // 2^64 - 1 is positive
    }

    @Test
    void legacyPreluSlopeIsSharedOrPerChannel() {
        Tensor img = Tensor.of(new float[] {-1, -1, -2, -2, 3, -4}, 1, 3, 2);
        Tensor y = run("PRelu", 6, img, Tensor.of(new float[] {0.5f, 0.25f, 2f}, 3));
        assertDoubles(y, DataType.FLOAT, 0, -0.5, -0.5, -0.5, -0.5, 3, -8);
        Tensor z = run("PRelu", 6, img, Tensor.of(new float[] {0.5f}, 1));
        assertDoubles(z, DataType.FLOAT, 0, -0.5, -0.5, -1, -1, 3, -2);
    }
}
