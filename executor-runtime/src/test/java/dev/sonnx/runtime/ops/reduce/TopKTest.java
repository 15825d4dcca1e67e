package dev.sonnx.runtime.ops.reduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TopKTest {

    private static Tensor[] run(Tensor x, long k, long axis, long largest) {
        return OpTester.of("TopK", 11).inputs(2).outputs(2).attr("axis", axis).attr("largest", largest)
                .run(x, Tensor.of(new long[] {k}, 1));
    }

    @Test
    void largestAndSmallestWithTiesInIndexOrder() {
        Tensor x = Tensor.of(new float[] {3, 1, 3, 2, 1, 0}, 6);
        Tensor[] top = run(x, 3, -1, 1);
        assertArrayEquals(new float[] {3, 3, 2}, top[0].toFloatArray());
        assertArrayEquals(new long[] {0, 2, 3}, top[1].toLongArray());
        Tensor[] low = run(x, 3, 0, 0);
        assertArrayEquals(new float[] {0, 1, 1}, low[0].toFloatArray());
        assertArrayEquals(new long[] {5, 1, 4}, low[1].toLongArray());
    }

    @Test
    void matchesAStableSortAlongAMiddleAxis() {
        int a = 2;
        int n = 50;
        int b = 3;
        double[] v = new double[a * n * b];
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(8); // many ties
        }
        int k = 7;
        Tensor[] out = run(Tensor.of(v, a, n, b), k, 1, 1);
        assertArrayEquals(new int[] {a, k, b}, out[0].shape());
        for (int o = 0; o < a; o++) {
            for (int i = 0; i < b; i++) {
                final int oo = o;
                final int ii = i;
                Integer[] order = new Integer[n];
                for (int j = 0; j < n; j++) {
                    order[j] = j;
                }
                // stable sort by value descending keeps equal values in index order
                Arrays.sort(order, Comparator.comparingDouble((Integer j) -> -v[(oo * n + j) * b + ii]));
                for (int j = 0; j < k; j++) {
                    int q = (o * k + j) * b + i;
                    assertEquals((long) order[j], out[1].getLong(q), "line " + o + "," + i + " rank " + j);
                    assertEquals(v[(o * n + order[j]) * b + i], out[0].getDouble(q));
                }
            }
        }
    }

    @Test
    void versionsOneAndTen() {
        Tensor x = Tensor.of(new float[] {1, 4, 2, 8, 5, 7}, 2, 3);
        Tensor[] v1 = OpTester.of("TopK", 1).inputs(1).outputs(2).attr("k", 2L).run(x);
        assertArrayEquals(new float[] {4, 2, 8, 7}, v1[0].toFloatArray());
        assertArrayEquals(new long[] {1, 2, 0, 2}, v1[1].toLongArray());
        Tensor[] v10 = OpTester.of("TopK", 10).inputs(2).outputs(2).attr("axis", 0L)
                .run(x, Tensor.of(new long[] {1}, 1));
        assertArrayEquals(new float[] {8, 5, 7}, v10[0].toFloatArray());
        assertArrayEquals(new long[] {1, 1, 1}, v10[1].toLongArray());
        // integer types only from opset 11
        Tensor ints = Tensor.of(new long[] {1, 2}, 2);
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("TopK", 10).inputs(2).outputs(2).run(ints, Tensor.of(new long[] {1}, 1)));
    }

    @Test
    void integerAndSpecialValues() {
        Tensor u = Tensor.fromLongs(DataType.UINT64, new long[] {3, -1L, 0}, 3);
        Tensor[] top = run(u, 2, 0, 1);
        assertArrayEquals(new long[] {-1L, 3}, top[0].toLongArray());
        assertArrayEquals(new long[] {1, 0}, top[1].toLongArray());
        Tensor f = Tensor.of(new double[] {-0.0, Double.NaN, 0.0, Double.NEGATIVE_INFINITY}, 4);
        Tensor[] all = run(f, 4, 0, 1);
        // NaN first, then -0 and 0 as equals in index order, then -inf
        assertArrayEquals(new long[] {1, 0, 2, 3}, all[1].toLongArray());
    }

    @Test
    void kZeroAndKTooLarge() {
        Tensor x = Tensor.of(new float[] {1, 2}, 2);
        Tensor[] none = run(x, 0, 0, 1);
        assertArrayEquals(new int[] {0}, none[0].shape());
        assertThrows(IllegalArgumentException.class, () -> run(x, 3, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> run(x, -1, 0, 1));
    }

    @Test
    void gradientGoesToTheSelectedPositions() {
        Operator op = OpTester.of("TopK", 11).inputs(2).outputs(2).attr("axis", 1L).build();
        GradCheck.of(op).check(new Tensor[] {GradCheck.random(9, -1, 1, 2, 5, 3), Tensor.of(new long[] {2}, 1)}, 0);
    }
}
