package dev.sonnx.runtime.ops.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The float32 loops of Tanh, Erf and Gelu (both forms) against the same operators' general path in
 * double precision (Math.tanh, the erf series), value for value, through the registry.
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

    private static void assertSameAsGeneral(Tensor fast, Tensor x, java.util.function.DoubleUnaryOperator f,
                                            String what) {
        int differ = 0;
        for (int i = 0; i < x.size(); i++) {
            float e = (float) f.applyAsDouble(x.getFloat(i));
            float a = fast.getFloat(i);
            boolean same = Float.floatToIntBits(e) == Float.floatToIntBits(a);
            // a correctly rounded result may differ in the last place when the exact value sits at a
            // rounding boundary within the two computations' error (about 1e-14 relative)
            if (!same && Math.abs(e) < 1e-6) {
                // GELU's tail: 1 + tanh (or erf) cancels in the reference; both are within 1e-13 of 0
                assertEquals(e, a, 1e-13, what + "(" + x.getFloat(i) + ")");
            } else if (!same) {
                assertEquals(e, a, Math.ulp(e), what + "(" + x.getFloat(i) + ")");
                differ++;
            }
        }
        // with ~1e-14 relative error on both sides, a handful of the 20 000 values may round apart
        assertTrue(differ <= 2, what + ": " + differ + " values differ in the last place");
    }

    @Test
    void tanhErfAndGeluMatchTheirDoublePrecisionDefinitions() {
        Tensor x = inputs();
        assertSameAsGeneral(OpTester.of("Tanh", 13).inputs(1).run(x)[0], x, Math::tanh, "Tanh");
        assertSameAsGeneral(OpTester.of("Erf", 13).inputs(1).run(x)[0], x,
                dev.sonnx.runtime.ops.kernel.SpecialFunctions::erf, "Erf");
        assertSameAsGeneral(OpTester.of("Gelu", 20).inputs(1).run(x)[0], x, ScalarMath::gelu, "Gelu");
        assertSameAsGeneral(OpTester.of("Gelu", 20).inputs(1).attr("approximate", "tanh").run(x)[0], x,
                ScalarMath::geluTanh, "Gelu(tanh)");
        assertSameAsGeneral(FloatLoops.unary(FloatLoops.Unary.TANH, x, CpuDevice.withThreads(3)), x, Math::tanh,
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
