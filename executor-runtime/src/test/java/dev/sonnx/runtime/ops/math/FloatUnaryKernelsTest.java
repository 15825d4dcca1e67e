package dev.sonnx.runtime.ops.math;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The float32 loops of Exp, Sigmoid, Tanh, Erf and Gelu (both forms), vectorised in float32 (VectorMath),
 * against the same operators' general path in double precision (Math.exp, Math.tanh, the erf
 * series), value for value, through the registry: within the few float32 ulp that VectorMath states.
 */
class FloatUnaryKernelsTest {

    /** Values over the interesting range of each function, plus specials. */
    private static Tensor inputs() {
        SplittableRandom r = new SplittableRandom(5);
        int n = 20_000;
        float[] v = new float[n + 6];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble(-1, 1) * Math.pow(10, r.nextInt(-6, 2)));
        }
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-40f};
        System.arraycopy(special, 0, v, n, special.length);
        return Tensor.of(v, v.length);
    }

    /**
     * |fast - exact| <= relative * |exact| + 1e-10: the absolute floor covers GELU's left tail, where
     * 1 + erf (or 1 + tanh) cancels and both sides are within 1e-10 of 0.
     */
    private static void assertClose(Tensor fast, Tensor x, java.util.function.DoubleUnaryOperator f,
                                    double relative, String what) {
        for (int i = 0; i < x.size(); i++) {
            double e = f.applyAsDouble(x.getFloat(i));
            float a = fast.getFloat(i);
            String at = what + "(" + x.getFloat(i) + ")";
            if (Double.isNaN(e) || Double.isInfinite(e)) {
                assertEquals((float) e, a, 0, at);
            } else {
                assertEquals(e, a, relative * Math.abs(e) + 1e-10, at);
            }
        }
    }

    @Test
    void floatLoopsMatchTheDoublePrecisionDefinitions() {
        Tensor x = inputs();
        assertClose(OpTester.of("Tanh", 13).inputs(1).run(x)[0], x, Math::tanh, 4e-7, "Tanh");
        assertClose(OpTester.of("Erf", 13).inputs(1).run(x)[0], x,
                dev.sonnx.runtime.ops.kernel.SpecialFunctions::erf, 0x1p-23, "Erf");
        assertClose(OpTester.of("Exp", 13).inputs(1).run(x)[0], x, Math::exp, 1.5 * 0x1p-23, "Exp");
        assertClose(OpTester.of("Sigmoid", 13).inputs(1).run(x)[0], x, ScalarMath::sigmoid, 4 * 0x1p-23, "Sigmoid");
        assertClose(OpTester.of("Gelu", 20).inputs(1).run(x)[0], x, ScalarMath::gelu, 2e-4, "Gelu");
        assertClose(OpTester.of("Gelu", 20).inputs(1).attr("approximate", "tanh").run(x)[0], x,
                ScalarMath::geluTanh, 1.5e-6, "Gelu(tanh)");
        assertClose(FloatLoops.unary(FloatLoops.Unary.TANH, x, CpuDevice.withThreads(3)), x, Math::tanh, 4e-7,
                "Tanh on 3 threads");
    }

    @Test
    void otherTypesKeepTheGeneralPath() {
        Tensor d = Tensor.of(new double[] {-1.5, 0, 0.25}, 3);
        Tensor y = OpTester.of("Erf", 13).inputs(1).run(d)[0];
        assertEquals(DataType.DOUBLE, y.dtype());
        for (int i = 0; i < 3; i++) {
            assertEquals(dev.sonnx.runtime.ops.kernel.SpecialFunctions.erf(d.getDouble(i)), y.getDouble(i), 0);
        }
    }
}
