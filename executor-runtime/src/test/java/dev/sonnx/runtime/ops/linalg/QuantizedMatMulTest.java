package dev.sonnx.runtime.ops.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

/** MatMulInteger and QLinearMatMul. */
class QuantizedMatMulTest {

    private static Tensor u8(long[] v, int... shape) {
        return Tensor.fromLongs(DataType.UINT8, v, shape);
    }

    private static Tensor i8(long[] v, int... shape) {
        return Tensor.fromLongs(DataType.INT8, v, shape);
    }

    @Test
    void perTensorZeroPoints() {
        Tensor a = u8(new long[] {11, 7, 3, 10, 6, 2}, 2, 3);
        Tensor b = u8(new long[] {1, 4, 2, 5, 3, 6}, 3, 2);
        Tensor y = OpTester.of("MatMulInteger", 10).inputs(4).run(a, b, u8(new long[] {12}, 1), u8(new long[] {1}))[0];
        assertEquals(DataType.INT32, y.dtype());
        // (a - 12) = [-1 -5 -9; -2 -6 -10], (b - 1) = [0 3; 1 4; 2 5]
        assertArrayEquals(new long[] {-1 * 0 - 5 * 1 - 9 * 2, -1 * 3 - 5 * 4 - 9 * 5, -6 - 20, -6 - 24 - 50},
                y.toLongArray());
    }

    @Test
    void perRowAndPerColumnZeroPointsAndSignedInputs() {
        Tensor a = i8(new long[] {-128, 127, 5, 5}, 2, 2);
        Tensor b = u8(new long[] {255, 0, 0, 255}, 2, 2);
        Tensor aZero = i8(new long[] {0, 5}, 2);
        Tensor bZero = u8(new long[] {128, 127}, 2);
        Tensor y = OpTester.of("MatMulInteger", 10).inputs(4).run(a, b, aZero, bZero)[0];
        // a - zp = [-128 127; 0 0]; b - zp = [127 -127; -128 128]
        assertArrayEquals(new long[] {-128 * 127 + 127 * -128, -128 * -127 + 127 * 128, 0, 0}, y.toLongArray());
        // zero points absent: plain product
        Tensor plain = OpTester.of("MatMulInteger", 10).inputs(2).run(a, b)[0];
        assertEquals(-128 * 255, plain.getLong(0));
    }

    @Test
    void batchedPerRowZeroPoints() {
        // two 1 x 2 matrices of A, zero point of shape [2, 1, 1] (one per matrix row)
        Tensor a = u8(new long[] {3, 4, 3, 4}, 2, 1, 2);
        Tensor b = u8(new long[] {1, 1}, 2, 1);
        Tensor zp = u8(new long[] {1, 2}, 2, 1, 1);
        Tensor y = OpTester.of("MatMulInteger", 10).inputs(4).run(a, b, zp, u8(new long[] {0}))[0];
        assertArrayEquals(new int[] {2, 1, 1}, y.shape());
        assertArrayEquals(new long[] {2 + 3, 1 + 2}, y.toLongArray());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("MatMulInteger", 10).inputs(4)
                .run(a, b, u8(new long[] {1, 2, 3}, 3), u8(new long[] {0})));
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("MatMulInteger", 10).inputs(2)
                .run(Tensor.of(new int[] {1}, 1, 1), b));
    }

    @Test
    void qlinearRescalesRoundsAndSaturates() {
        Tensor a = u8(new long[] {10, 20, 30, 40}, 2, 2);
        Tensor b = u8(new long[] {1, 2, 3, 4}, 2, 2);
        Tensor y = OpTester.of("QLinearMatMul", 10).inputs(8).run(a, Tensor.of(new float[] {0.5f}), u8(new long[] {10}),
                b, Tensor.of(new float[] {2f}), u8(new long[] {1}), Tensor.of(new float[] {4f}), u8(new long[] {100}))[0];
        assertEquals(DataType.UINT8, y.dtype());
        // (a - 10) = [0 10; 20 30], (b - 1) = [0 1; 2 3]; product [20 30; 60 110]; * 0.5 * 2 / 4 = [5 7.5; 15 27.5]
        // rounded half to even: [5 8; 15 28]; + 100
        assertArrayEquals(new long[] {105, 108, 115, 128}, y.toLongArray());
        Tensor sat = OpTester.of("QLinearMatMul", 10).inputs(8).run(a, Tensor.of(new float[] {1f}), u8(new long[] {0}),
                b, Tensor.of(new float[] {1f}), u8(new long[] {0}), Tensor.of(new float[] {0.5f}),
                i8(new long[] {0}))[0];
        assertEquals(DataType.INT8, sat.dtype());
        // a b = [70 100; 150 220], / 0.5 all above 127
        assertArrayEquals(new long[] {127, 127, 127, 127}, sat.toLongArray());
    }

    @Test
    void qlinearPerRowScale() {
        Tensor a = u8(new long[] {2, 2}, 2, 1);
        Tensor b = u8(new long[] {3}, 1, 1);
        Tensor y = OpTester.of("QLinearMatMul", 10).inputs(8).run(a, Tensor.of(new float[] {1f, 2f}, 2),
                u8(new long[] {0, 0}, 2), b, Tensor.of(new float[] {1f}), u8(new long[] {0}),
                Tensor.of(new float[] {1f}), u8(new long[] {0}))[0];
        assertArrayEquals(new long[] {6, 12}, y.toLongArray());
    }
}
