package dev.sonnx.runtime.ops.math;

import static dev.sonnx.runtime.ops.math.MathTesting.assertBools;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Comparisons, boolean logic, bit operations, IsNaN and IsInf. */
class LogicTest {

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32",
            "UINT64", "FLOAT", "DOUBLE", "FLOAT16", "BFLOAT16"})
    void comparisonsOnEveryNumericType(DataType t) {
        Tensor a = typed(t, new long[] {1, 5, 3}, 3);
        Tensor b = typed(t, new long[] {3}, 1);
        assertBools(run("Equal", 13, a, b), false, false, true);
        assertBools(run("Greater", 13, a, b), false, true, false);
        assertBools(run("Less", 13, a, b), true, false, false);
        assertBools(run("GreaterOrEqual", 16, a, b), false, true, true);
        assertBools(run("LessOrEqual", 16, a, b), true, false, true);
    }

    @Test
    void unsigned64ComparesAsUnsigned() {
        Tensor a = typed(DataType.UINT64, new long[] {-1L, 1}, 2); // 2^64 - 1 and 1
        Tensor b = typed(DataType.UINT64, new long[] {2, 2}, 2);
        assertBools(run("Greater", 13, a, b), true, false);
        assertBools(run("LessOrEqual", 16, a, b), false, true);
    }

    @Test
    void nanComparesUnequalToEverything() {
        Tensor a = Tensor.of(new float[] {Float.NaN, Float.NaN, 0f}, 3);
        Tensor b = Tensor.of(new float[] {Float.NaN, 1, -0f}, 3);
        assertBools(run("Equal", 13, a, b), false, false, true);
        assertBools(run("GreaterOrEqual", 16, a, b), false, false, true);
    }

    @Test
    void equalOnBoolsAndStrings() {
        assertBools(run("Equal", 13, Tensor.of(new boolean[] {true, false}, 2), Tensor.of(new boolean[] {true}, 1)),
                true, false);
        Tensor s = run("Equal", 19, Tensor.of(new String[] {"ab", "c", ""}, 3), Tensor.of(new String[] {"ab", "C", ""}, 3));
        assertBools(s, true, false, true);
        Tensor bc = run("Equal", 19, Tensor.of(new String[] {"x", "y"}, 2, 1), Tensor.of(new String[] {"x", "y"}, 1, 2));
        assertShape(bc, DataType.BOOL, 2, 2);
        assertBools(bc, true, false, false, true);
    }

    @Test
    void greaterRefusesStrings() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> run("Greater", 13, Tensor.of(new String[] {"a"}, 1), Tensor.of(new String[] {"b"}, 1)));
        assertTrue(e.getMessage().contains("string"), e.getMessage());
    }

    @Test
    void booleanLogic() {
        Tensor a = Tensor.of(new boolean[] {false, false, true, true}, 2, 2);
        Tensor b = Tensor.of(new boolean[] {false, true}, 2);
        assertBools(run("And", 7, a, b), false, false, false, true);
        assertBools(run("Or", 7, a, b), false, true, true, true);
        assertBools(run("Xor", 7, a, b), false, true, true, false);
        assertBools(run("Not", 1, a), true, true, false, false);
        assertThrows(IllegalArgumentException.class, () -> run("Or", 7, Tensor.of(new int[] {1}, 1), Tensor.of(new int[] {1}, 1)));
        // opset 1: broadcasting only with the attribute
        Tensor legacy = OpTester.of("And", 1).inputs(2).attr("broadcast", 1L).run(a, b)[0];
        assertBools(legacy, false, false, false, true);
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"UINT8", "UINT16", "UINT32", "UINT64"})
    void bitShift(DataType t) {
        int bits = 8 * t.byteSize();
        Tensor x = typed(t, new long[] {1, 3, 0x80, 5}, 4);
        Tensor s = typed(t, new long[] {1, bits - 1, 1, bits}, 4);
        Tensor left = OpTester.of("BitShift", 11).inputs(2).attr("direction", "LEFT").run(x, s)[0];
        long top = bits == 64 ? Long.MIN_VALUE : 1L << (bits - 1);
        assertLongs(left, t, 2, top, 0x100 & (bits == 8 ? 0 : -1L), 0);
        Tensor right = OpTester.of("BitShift", 11).inputs(2).attr("direction", "RIGHT").run(x, s)[0];
        assertLongs(right, t, 0, 0, 0x40, 0);
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("BitShift", 11).inputs(2).attr("direction", "UP").build());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("BitShift", 11).inputs(2).build());
    }

    @Test
    void bitShiftRefusesSignedTypes() {
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("BitShift", 11).inputs(2).attr("direction", "LEFT")
                .run(Tensor.of(new int[] {1}, 1), Tensor.of(new int[] {1}, 1)));
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"})
    void bitwiseOperations(DataType t) {
        Tensor a = typed(t, new long[] {0b1100, 0b1010, 0}, 3);
        Tensor b = typed(t, new long[] {0b1010}, 1);
        assertLongs(run("BitwiseAnd", 18, a, b), t, 0b1000, 0b1010, 0);
        assertLongs(run("BitwiseOr", 18, a, b), t, 0b1110, 0b1010, 0b1010);
        assertLongs(run("BitwiseXor", 18, a, b), t, 0b0110, 0, 0b1010);
        long mask = t.byteSize() == 8 ? -1L : (1L << (8 * t.byteSize())) - 1;
        long[] expected = {~0b1100L & mask, ~0b1010L & mask, mask};
        if (t.isSignedInteger()) {
            expected = new long[] {~0b1100L, ~0b1010L, -1};
        }
        assertLongs(run("BitwiseNot", 18, a), t, expected);
    }

    @Test
    void bitwiseRefusesFloats() {
        assertThrows(IllegalArgumentException.class,
                () -> run("BitwiseAnd", 18, Tensor.of(new float[] {1}, 1), Tensor.of(new float[] {1}, 1)));
    }

    @Test
    void isNaNAndIsInf() {
        Tensor x = Tensor.of(new float[] {1, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}, 4);
        assertBools(run("IsNaN", 13, x), false, true, false, false);
        assertBools(run("IsInf", 10, x), false, false, true, true);
        assertBools(OpTester.of("IsInf", 10).inputs(1).attr("detect_negative", 0L).run(x)[0], false, false, true, false);
        assertBools(OpTester.of("IsInf", 10).inputs(1).attr("detect_positive", 0L).run(x)[0], false, false, false, true);
        Tensor h = typed(DataType.FLOAT16, new double[] {Double.NaN, Double.POSITIVE_INFINITY, 65504}, 3);
        assertBools(run("IsNaN", 13, h), true, false, false);
        assertBools(run("IsInf", 20, h), false, true, false);
    }
}
