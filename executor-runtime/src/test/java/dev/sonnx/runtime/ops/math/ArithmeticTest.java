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

/** Add, Sub, Mul, Div, Pow and Mod on every type they accept, with broadcasting old and new. */
class ArithmeticTest {

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32",
            "UINT64", "FLOAT", "DOUBLE", "FLOAT16", "BFLOAT16"})
    void fourOperationsOnEveryNumericType(DataType t) {
        Tensor a = typed(t, new long[] {7, 12, 20, 9}, 2, 2);
        Tensor b = typed(t, new long[] {2, 5}, 2);
        assertLongsOrDoubles(run("Add", 14, a, b), t, 9, 17, 22, 14);
        assertLongsOrDoubles(run("Sub", 14, a, b), t, 5, 7, 18, 4);
        assertLongsOrDoubles(run("Mul", 14, a, b), t, 14, 60, 40, 45);
        if (t.isFloat()) {
            // bfloat16 keeps 8 significant bits: 2.4 reads back as 2.40625
            double tol = t == DataType.BFLOAT16 ? 1e-2 : 1e-3;
            assertDoubles(run("Div", 14, a, b), t, tol, 3.5, 2.4, 10, 1.8);
        } else {
            assertLongs(run("Div", 14, a, b), t, 3, 2, 10, 1); // truncated
        }
    }

    private static void assertLongsOrDoubles(Tensor y, DataType t, long... expected) {
        if (t.isFloat()) {
            double[] d = new double[expected.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = expected[i];
            }
            assertDoubles(y, t, 0, d);
        } else {
            assertLongs(y, t, expected);
        }
    }

    @Test
    void integerArithmeticWrapsAndDividesTowardZero() {
        assertLongs(run("Add", 14, typed(DataType.INT8, new long[] {127, -128}, 2), typed(DataType.INT8, new long[] {1, -1}, 2)),
                DataType.INT8, -128, 127);
        assertLongs(run("Mul", 14, typed(DataType.UINT8, new long[] {16, 255}, 2), typed(DataType.UINT8, new long[] {16, 2}, 2)),
                DataType.UINT8, 0, 254);
        assertLongs(run("Sub", 14, typed(DataType.UINT32, new long[] {0}, 1), typed(DataType.UINT32, new long[] {1}, 1)),
                DataType.UINT32, 0xffffffffL);
        assertLongs(run("Div", 14, typed(DataType.INT32, new long[] {-7, 7, -7}, 3), typed(DataType.INT32, new long[] {2, -2, -2}, 3)),
                DataType.INT32, -3, -3, 3);
        // uint64 above 2^63 divides as unsigned: (2^64 - 2) / 2 = 2^63 - 1
        assertLongs(run("Div", 14, typed(DataType.UINT64, new long[] {-2L}, 1), typed(DataType.UINT64, new long[] {2}, 1)),
                DataType.UINT64, Long.MAX_VALUE);
    }

    @Test
    void floatDivisionFollowsIeee() {
        Tensor y = run("Div", 14, Tensor.of(new float[] {1, -1, 0}, 3), Tensor.of(new float[] {0, 0, 0}, 3));
        assertEquals(Float.POSITIVE_INFINITY, y.getFloat(0));
        assertEquals(Float.NEGATIVE_INFINITY, y.getFloat(1));
        assertTrue(Float.isNaN(y.getFloat(2)));
    }

    @Test
    void scalarsAndEmptyTensors() {
        Tensor s = run("Mul", 14, Tensor.scalar(3f), Tensor.scalar(4f));
        assertShape(s, DataType.FLOAT);
        assertEquals(12f, s.getFloat(0));
        Tensor e = run("Add", 14, Tensor.zeros(DataType.FLOAT, 0, 3), Tensor.of(new float[] {1, 2, 3}, 3));
        assertShape(e, DataType.FLOAT, 0, 3);
        Tensor e2 = run("Add", 14, Tensor.zeros(DataType.INT64, 2, 0), Tensor.zeros(DataType.INT64, 1, 1));
        assertShape(e2, DataType.INT64, 2, 0);
    }

    @Test
    void numpyBroadcastingOfBothSides() {
        Tensor y = run("Sub", 14, Tensor.of(new float[] {1, 2, 3}, 3, 1), Tensor.of(new float[] {10, 20}, 1, 2));
        assertShape(y, DataType.FLOAT, 3, 2);
        assertDoubles(y, DataType.FLOAT, 0, -9, -19, -8, -18, -7, -17);
    }

    @Test
    void badShapesAndTypesAreClearErrors() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> run("Add", 14, Tensor.zeros(DataType.FLOAT, 2, 3), Tensor.zeros(DataType.FLOAT, 4)));
        assertTrue(e.getMessage().contains("cannot be broadcast"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> run("Add", 14, Tensor.zeros(DataType.FLOAT, 2), Tensor.zeros(DataType.DOUBLE, 2)));
        assertTrue(e.getMessage().contains("different types"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> run("Add", 14, Tensor.zeros(DataType.BOOL, 2), Tensor.zeros(DataType.BOOL, 2)));
        assertTrue(e.getMessage().contains("bool"), e.getMessage());
    }

    // ------------------------------------------------------------------ opset < 7 broadcasting

    @Test
    void legacyBroadcastFollowsAxis() {
        Tensor a = MathTesting.randomFloats(1, 0, 1, 2, 3, 4);
        Tensor b = Tensor.of(new float[] {10, 20, 30}, 3);
        Tensor y = OpTester.of("Add", 6).inputs(2).attr("broadcast", 1L).attr("axis", 1L).run(a, b)[0];
        assertShape(y, DataType.FLOAT, 2, 3, 4);
        for (int i = 0; i < y.size(); i++) {
            int channel = (i / 4) % 3;
            assertEquals(a.getFloat(i) + 10 * (channel + 1), y.getFloat(i), 1e-5);
        }
        // without axis B matches A's last dimensions
        Tensor c = Tensor.of(new float[] {1, 2, 3, 4}, 4);
        Tensor z = OpTester.of("Mul", 6).inputs(2).attr("broadcast", 1L).run(a, c)[0];
        for (int i = 0; i < z.size(); i++) {
            assertEquals(a.getFloat(i) * (i % 4 + 1), z.getFloat(i), 1e-5);
        }
        // a one-element B is a scalar
        Tensor w = OpTester.of("Sub", 1).inputs(2).attr("broadcast", 1L).run(a, Tensor.of(new float[] {1}, 1, 1))[0];
        assertEquals(a.getFloat(5) - 1, w.getFloat(5), 1e-6);
    }

    @Test
    void legacyBroadcastNeedsTheAttribute() {
        Tensor a = Tensor.zeros(DataType.FLOAT, 2, 3);
        Tensor b = Tensor.zeros(DataType.FLOAT, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> run("Add", 6, a, b));
        assertTrue(e.getMessage().contains("broadcast=1"), e.getMessage());
        var e2 = assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("Add", 6).inputs(2).attr("broadcast", 1L).attr("axis", 0L).run(a, b));
        assertTrue(e2.getMessage().contains("axis 0"), e2.getMessage());
    }

    // ------------------------------------------------------------------ Pow

    @Test
    void powOfFloats() {
        Tensor y = run("Pow", 15, Tensor.of(new float[] {2, 4, -8, 0}, 4), Tensor.of(new float[] {3, 0.5f, 1f / 3, 0}, 4));
        assertEquals(8f, y.getFloat(0));
        assertEquals(2f, y.getFloat(1));
        assertTrue(Float.isNaN(y.getFloat(2))); // a negative base to a fractional power
        assertEquals(1f, y.getFloat(3));
    }

    @Test
    void squaringAgreesWithPowBitForBit() {
        Tensor x = MathTesting.randomFloats(11, -1e3f, 1e3f, 40_000);
        x.setFloat(0, Float.NaN);
        x.setFloat(1, Float.NEGATIVE_INFINITY);
        x.setFloat(2, -0f);
        x.setFloat(3, 3e30f); // overflows to infinity
        for (Tensor two : new Tensor[] {Tensor.scalar(2f), Tensor.of(new long[] {2}, 1, 1)}) {
            Tensor y = run("Pow", 15, x, two);
            assertShape(y, DataType.FLOAT, two.rank() == 2 ? new int[] {1, 40_000} : new int[] {40_000});
            for (int i = 0; i < x.size(); i++) {
                float expected = (float) Math.pow(x.getFloat(i), 2.0);
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(y.getFloat(i)), "element " + i);
            }
        }
    }

    @Test
    void powMixesBaseAndExponentTypes() {
        // float base, integer exponent
        assertDoubles(run("Pow", 15, Tensor.of(new float[] {1.5f, -2}, 2), Tensor.of(new long[] {2, 3}, 2)),
                DataType.FLOAT, 0, 2.25, -8);
        // integer base, float exponent: computed in floating point, truncated
        assertLongs(run("Pow", 15, Tensor.of(new int[] {2, 3, 9}, 3), Tensor.of(new float[] {3, 2, 0.5f}, 3)),
                DataType.INT32, 8, 9, 3);
        // integer base and exponent: exact, even beyond 2^53, wrapping like C on overflow
        assertLongs(run("Pow", 15, Tensor.of(new long[] {3, 2, -1, 2, 2}, 5),
                        typed(DataType.UINT8, new long[] {39, 64, 255, 0, 63}, 5)),
                DataType.INT64, 4052555153018976267L, 0, -1, 1, Long.MIN_VALUE);
        // negative integer exponents truncate 1 / x^n
        assertLongs(run("Pow", 15, Tensor.of(new int[] {2, 1, -1, -1}, 4), Tensor.of(new int[] {-1, -5, -3, -2}, 4)),
                DataType.INT32, 0, 1, -1, 1);
        // float16 base, int16 exponent, broadcast
        Tensor h = run("Pow", 15, typed(DataType.FLOAT16, new double[] {0.5, 3}, 2, 1), typed(DataType.INT16, new long[] {2, 3}, 2));
        assertShape(h, DataType.FLOAT16, 2, 2);
        assertDoubles(h, DataType.FLOAT16, 0, 0.25, 0.125, 9, 27);
    }

    @Test
    void powRefusesIntegerTypesOutsideT() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> run("Pow", 15, typed(DataType.INT8, new long[] {2}, 1), typed(DataType.INT8, new long[] {2}, 1)));
        assertTrue(e.getMessage().contains("base"), e.getMessage());
    }

    // ------------------------------------------------------------------ Mod

    @Test
    void integerModTakesTheDivisorsSign() {
        Tensor a = typed(DataType.INT32, new long[] {-4, 7, 5, 4, -7, 5, 3}, 7);
        Tensor b = typed(DataType.INT32, new long[] {3, -3, 2, -3, 3, -2, 0}, 7);
        assertLongs(run("Mod", 13, a, b), DataType.INT32, 2, -2, 1, -2, 2, -1, 0);
        Tensor f = OpTester.of("Mod", 13).inputs(2).attr("fmod", 1L).run(a, b)[0];
        assertLongs(f, DataType.INT32, -1, 1, 1, 1, -1, 1, 0);
    }

    @Test
    void unsignedAndNarrowMod() {
        assertLongs(run("Mod", 13, typed(DataType.UINT64, new long[] {-1L, 10}, 2), typed(DataType.UINT64, new long[] {10, 3}, 2)),
                DataType.UINT64, 5, 1); // 18446744073709551615 % 10 = 5
        assertLongs(run("Mod", 13, typed(DataType.INT8, new long[] {-128, 127}, 2), typed(DataType.INT8, new long[] {3, -3}, 2)),
                DataType.INT8, 1, -2);
    }

    @Test
    void floatModIsFmodAndNeedsTheAttribute() {
        Tensor a = Tensor.of(new double[] {-4.3, 7.2, 5.0, -7.5}, 4);
        Tensor b = Tensor.of(new double[] {2.1, -3.4, 2.5, 2.0}, 4);
        Tensor y = OpTester.of("Mod", 13).inputs(2).attr("fmod", 1L).run(a, b)[0];
        assertDoubles(y, DataType.DOUBLE, 1e-12, -4.3 + 2 * 2.1, 7.2 - 2 * 3.4, 0, -1.5);
        var e = assertThrows(IllegalArgumentException.class, () -> run("Mod", 13, a, b));
        assertTrue(e.getMessage().contains("fmod=1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("Mod", 13).inputs(2).attr("fmod", 2L).build());
    }
}
