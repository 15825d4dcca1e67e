package dev.sonnx.runtime.ops.math;

import static dev.sonnx.runtime.ops.math.MathTesting.assertDoubles;
import static dev.sonnx.runtime.ops.math.MathTesting.assertLongs;
import static dev.sonnx.runtime.ops.math.MathTesting.assertShape;
import static dev.sonnx.runtime.ops.math.MathTesting.run;
import static dev.sonnx.runtime.ops.math.MathTesting.typed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Neg, Abs, Sign, rounding, Reciprocal, Erf and the inverse hyperbolic functions. */
class UnaryMathTest {

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"INT8", "INT16", "INT32", "INT64"})
    void negAndAbsOfSignedIntegers(DataType t) {
        Tensor x = typed(t, new long[] {-5, 0, 7, -1}, 2, 2);
        assertLongs(run("Neg", 13, x), t, 5, 0, -7, 1);
        assertLongs(run("Abs", 13, x), t, 5, 0, 7, 1);
        assertLongs(run("Sign", 13, x), t, -1, 0, 1, -1);
    }

    @Test
    void mostNegativeIntegerWrapsAsInC() {
        Tensor x = typed(DataType.INT8, new long[] {-128}, 1);
        assertLongs(run("Neg", 13, x), DataType.INT8, -128);
        assertLongs(run("Abs", 13, x), DataType.INT8, -128);
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"UINT8", "UINT16", "UINT32", "UINT64"})
    void absAndSignOfUnsignedIntegers(DataType t) {
        long max = t == DataType.UINT64 ? -1L : (1L << (8 * t.byteSize())) - 1; // all bits set
        Tensor x = typed(t, new long[] {0, 3, max}, 3);
        assertLongs(run("Abs", 13, x), t, 0, 3, max);
        assertLongs(run("Sign", 13, x), t, 0, 1, 1);
    }

    @Test
    void negRefusesUnsigned() {
        var e = assertThrows(IllegalArgumentException.class, () -> run("Neg", 13, typed(DataType.UINT8, new long[] {1}, 1)));
        assertTrue(e.getMessage().contains("uint8"), e.getMessage());
    }

    @Test
    void roundHalvesToEven() {
        Tensor x = Tensor.of(new float[] {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f, 0.1f}, 8);
        assertDoubles(run("Round", 11, x), DataType.FLOAT, 0, 0, 2, 2, -0.0, -2, 2, -3, 0);
        assertDoubles(run("Floor", 13, x), DataType.FLOAT, 0, 0, 1, 2, -1, -2, 2, -3, 0);
        assertDoubles(run("Ceil", 13, x), DataType.FLOAT, 0, 1, 2, 3, -0.0, -1, 3, -2, 1);
    }

    @Test
    void floatFunctionsOnHalfTypes() {
        Tensor h = typed(DataType.FLOAT16, new double[] {4, 0.25, -2}, 3);
        assertDoubles(run("Reciprocal", 13, h), DataType.FLOAT16, 0, 0.25, 4, -0.5);
        assertDoubles(run("Abs", 13, typed(DataType.BFLOAT16, new double[] {-3, 2}, 2)), DataType.BFLOAT16, 0, 3, 2);
        Tensor s = run("Sqrt", 13, typed(DataType.BFLOAT16, new double[] {16, 2}, 2));
        assertDoubles(s, DataType.BFLOAT16, 1e-2, 4, Math.sqrt(2));
    }

    @Test
    void erfOnFloatsAndIntegers() {
        // reference values of erf
        Tensor y = run("Erf", 13, Tensor.of(new double[] {0, 0.5, -1, 2, 3.5}, 5));
        assertDoubles(y, DataType.DOUBLE, 1e-14, 0, 0.5204998778130465, -0.8427007929497149, 0.9953222650189527,
                0.9999992569016276);
        // integer input: erf of the value, truncated back to the type
        assertLongs(run("Erf", 13, typed(DataType.INT32, new long[] {0, 3, -3}, 3)), DataType.INT32, 0, 0, 0);
    }

    @Test
    void inverseHyperbolicFunctionsStayAccurateFarOut() {
        Tensor y = run("Asinh", 9, Tensor.of(new double[] {-1e8, 1e-10, 1, 1e200}, 4));
        assertDoubles(y, DataType.DOUBLE, 1e-14, -(Math.log(2e8)), 1e-10, 0.881373587019543, Math.log(2) + 200 * Math.log(10));
        Tensor c = run("Acosh", 9, Tensor.of(new double[] {1, 2, 1e200}, 3));
        assertDoubles(c, DataType.DOUBLE, 1e-14, 0, 1.3169578969248166, Math.log(2) + 200 * Math.log(10));
        Tensor t = run("Atanh", 9, Tensor.of(new double[] {1e-12, 0.5, -0.5}, 3));
        assertDoubles(t, DataType.DOUBLE, 1e-14, 1e-12, 0.5493061443340549, -0.5493061443340549);
    }

    @Test
    void scalarAndEmpty() {
        Tensor s = run("Exp", 13, Tensor.scalar(0f));
        assertShape(s, DataType.FLOAT);
        assertEquals(1f, s.getFloat(0));
        assertShape(run("Log", 13, Tensor.zeros(DataType.DOUBLE, 0)), DataType.DOUBLE, 0);
    }

    @Test
    void operatorsExistFromTheirFirstVersion() {
        assertThrows(AssertionError.class, () -> OpTester.of("Round", 10).inputs(1).build());
        assertThrows(AssertionError.class, () -> OpTester.of("Sinh", 8).inputs(1).build());
        assertThrows(AssertionError.class, () -> OpTester.of("Sin", 6).inputs(1).build());
        OpTester.of("Sign", 9).inputs(1).build();
    }
}
