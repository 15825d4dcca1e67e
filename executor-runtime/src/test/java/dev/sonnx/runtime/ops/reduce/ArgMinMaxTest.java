package dev.sonnx.runtime.ops.reduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ArgMinMaxTest {

    private static Tensor run(String op, Tensor x, long axis, long keepdims, long last) {
        return OpTester.of(op, 13).inputs(1).attr("axis", axis).attr("keepdims", keepdims)
                .attr("select_last_index", last).run(x)[0];
    }

    @Test
    void tiesGoToTheFirstOrLastIndex() {
        Tensor x = Tensor.of(new float[] {2, 2, 1, 3, 1, 3}, 2, 3);
        Tensor first = run("ArgMax", x, 1, 1, 0);
        assertEquals(DataType.INT64, first.dtype());
        assertArrayEquals(new int[] {2, 1}, first.shape());
        assertArrayEquals(new long[] {0, 0}, first.toLongArray());
        assertArrayEquals(new long[] {1, 2}, run("ArgMax", x, 1, 0, 1).toLongArray());
        assertArrayEquals(new long[] {2, 1}, run("ArgMin", x, -1, 0, 0).toLongArray());
        assertArrayEquals(new long[] {2, 1}, run("ArgMin", x, -1, 0, 1).toLongArray());
    }

    @Test
    void alongTheFirstAxisOfAWideTensor() {
        // inner = 700 spans two column blocks; compare with a direct scan
        int rows = 5;
        int cols = 700;
        double[] v = new double[rows * cols];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(10);
        }
        Tensor x = Tensor.of(v, rows, cols);
        long[] max = run("ArgMax", x, 0, 0, 0).toLongArray();
        long[] minLast = run("ArgMin", x, 0, 0, 1).toLongArray();
        for (int c = 0; c < cols; c++) {
            int bestMax = 0;
            int bestMin = 0;
            for (int k = 1; k < rows; k++) {
                if (v[k * cols + c] > v[bestMax * cols + c]) {
                    bestMax = k;
                }
                if (v[k * cols + c] <= v[bestMin * cols + c]) {
                    bestMin = k;
                }
            }
            assertEquals(bestMax, max[c], "column " + c);
            assertEquals(bestMin, minLast[c], "column " + c);
        }
    }

    @Test
    void nanWinsLikeNumpy() {
        Tensor x = Tensor.of(new float[] {1, Float.NaN, 5, Float.NaN}, 4);
        assertEquals(1, run("ArgMax", x, 0, 0, 0).getLong(0));
        assertEquals(1, run("ArgMin", x, 0, 0, 0).getLong(0));
        assertEquals(3, run("ArgMax", x, 0, 0, 1).getLong(0));
    }

    @Test
    void integerTypes() {
        Tensor u = Tensor.fromLongs(DataType.UINT64, new long[] {5, -1L, 7}, 3); // -1L is 2^64 - 1
        assertEquals(1, run("ArgMax", u, 0, 0, 0).getLong(0));
        assertEquals(0, run("ArgMin", u, 0, 0, 0).getLong(0));
        Tensor i8 = Tensor.fromLongs(DataType.INT8, new long[] {-3, 4, -128, 4}, 4);
        assertEquals(3, run("ArgMax", i8, 0, 0, 1).getLong(0));
        assertEquals(2, run("ArgMin", i8, 0, 0, 0).getLong(0));
        Tensor d = Tensor.fromDoubles(DataType.FLOAT16, new double[] {0.5, -2, 3}, 3);
        assertEquals(2, run("ArgMax", d, 0, 0, 0).getLong(0));
    }

    @Test
    void defaultsAreAxisZeroWithKeepdims() {
        Tensor x = Tensor.of(new double[] {1, 9, 8, 2}, 2, 2);
        Tensor y = OpTester.of("ArgMax", 11).inputs(1).run(x)[0];
        assertArrayEquals(new int[] {1, 2}, y.shape());
        assertArrayEquals(new long[] {1, 0}, y.toLongArray());
    }

    @Test
    void emptyAxisIsAnErrorButEmptyOutputIsFine() {
        assertArrayEquals(new int[] {0, 1}, run("ArgMax", Tensor.zeros(DataType.FLOAT, 0, 3), 1, 1, 0).shape());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run("ArgMax", Tensor.zeros(DataType.FLOAT, 2, 0), 1, 1, 0));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> run("ArgMax", Tensor.zeros(DataType.FLOAT, 2), 1, 1, 0));
    }

    @Test
    void bfloat16OnlyFromOpset13() {
        Tensor x = Tensor.fromDoubles(DataType.BFLOAT16, new double[] {1, 2}, 2);
        assertEquals(1, OpTester.of("ArgMax", 13).inputs(1).run(x)[0].getLong(0));
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("ArgMax", 12).inputs(1).run(x));
    }
}
