package dev.sonnx.runtime.ops.reduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

class CumSumTest {

    private static Tensor run(Tensor x, long axis, long exclusive, long reverse) {
        return OpTester.of("CumSum", 14).inputs(2).attr("exclusive", exclusive).attr("reverse", reverse)
                .run(x, Tensor.scalar(axis))[0];
    }

    @Test
    void directionsAndExclusive() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5}, 5);
        assertArrayEquals(new float[] {1, 3, 6, 10, 15}, run(x, 0, 0, 0).toFloatArray());
        assertArrayEquals(new float[] {0, 1, 3, 6, 10}, run(x, 0, 1, 0).toFloatArray());
        assertArrayEquals(new float[] {15, 14, 12, 9, 5}, run(x, 0, 0, 1).toFloatArray());
        assertArrayEquals(new float[] {14, 12, 9, 5, 0}, run(x, 0, 1, 1).toFloatArray());
    }

    @Test
    void alongEitherAxisOfAMatrix() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new double[] {1, 2, 3, 5, 7, 9}, run(x, 0, 0, 0).toDoubleArray());
        assertArrayEquals(new double[] {1, 3, 6, 4, 9, 15}, run(x, 1, 0, 0).toDoubleArray());
        assertArrayEquals(new double[] {1, 3, 6, 4, 9, 15}, run(x, -1, 0, 0).toDoubleArray());
        assertArrayEquals(new double[] {5, 3, 0, 11, 6, 0}, run(x, -1, 1, 1).toDoubleArray());
    }

    @Test
    void integerTypesAndInt32Axis() {
        Tensor x = Tensor.of(new int[] {Integer.MAX_VALUE, 1, -5}, 3);
        Tensor y = OpTester.of("CumSum", 11).inputs(2).run(x, Tensor.of(new int[] {0}, 1))[0];
        assertArrayEquals(new long[] {Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE - 5L + (1L << 32)},
                y.toLongArray());
        Tensor u = Tensor.fromLongs(DataType.UINT64, new long[] {-1L, 2}, 2);
        assertArrayEquals(new long[] {-1L, 1}, run(u, 0, 0, 0).toLongArray());
        Tensor h = Tensor.fromDoubles(DataType.FLOAT16, new double[] {0.5, 0.25}, 2);
        assertArrayEquals(new double[] {0.5, 0.75}, run(h, 0, 0, 0).toDoubleArray());
    }

    @Test
    void badAxes() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2);
        assertThrows(IllegalArgumentException.class, () -> run(x, 1, 0, 0));
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("CumSum", 14).inputs(2).run(x, Tensor.of(new long[] {0, 0}, 2)));
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("CumSum", 11).inputs(2)
                .run(Tensor.fromDoubles(DataType.FLOAT16, new double[] {1}, 1), Tensor.scalar(0L)));
    }

    @Test
    void emptyInput() {
        assertArrayEquals(new int[] {0, 3}, run(Tensor.zeros(DataType.FLOAT, 0, 3), 1, 0, 0).shape());
    }

    @Test
    void gradientInEveryMode() {
        for (long exclusive = 0; exclusive < 2; exclusive++) {
            for (long reverse = 0; reverse < 2; reverse++) {
                Operator op = OpTester.of("CumSum", 14).inputs(2).attr("exclusive", exclusive)
                        .attr("reverse", reverse).build();
                GradCheck.of(op).check(new Tensor[] {GradCheck.random(5, -1, 1, 3, 4, 2), Tensor.scalar(1L)}, 0);
            }
        }
    }
}
