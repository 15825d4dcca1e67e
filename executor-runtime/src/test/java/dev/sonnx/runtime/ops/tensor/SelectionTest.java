package dev.sonnx.runtime.ops.tensor;

import static dev.sonnx.runtime.ops.tensor.Check.fails;
import static dev.sonnx.runtime.ops.tensor.Check.floats;
import static dev.sonnx.runtime.ops.tensor.Check.iota;
import static dev.sonnx.runtime.ops.tensor.Check.longs;
import static dev.sonnx.runtime.ops.tensor.Check.shape;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

/** Masks and selections: Trilu, Compress, NonZero, ReverseSequence, Unique. */
class SelectionTest {

    private static Tensor bools(boolean... v) {
        return Tensor.of(v, v.length);
    }

    @Test
    void trilu() {
        Tensor x = iota(3, 4); // 0..3 / 4..7 / 8..11
        floats(OpTester.of("Trilu", 14).run(x)[0], shape(3, 4), 0, 1, 2, 3, 0, 5, 6, 7, 0, 0, 10, 11);
        floats(OpTester.of("Trilu", 14).attr("upper", 0).inputs(2).run(x, Tensor.scalar(-1L))[0], shape(3, 4),
                0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0);
        floats(OpTester.of("Trilu", 14).inputs(2).run(x, Tensor.scalar(2L))[0], shape(3, 4),
                0, 0, 2, 3, 0, 0, 0, 7, 0, 0, 0, 0);
        floats(OpTester.of("Trilu", 14).attr("upper", 0).inputs(2).run(x, Tensor.scalar(100L))[0], shape(3, 4),
                0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        floats(OpTester.of("Trilu", 14).run(iota(2, 2, 2))[0], shape(2, 2, 2), 0, 1, 0, 3, 4, 5, 0, 7);
        floats(OpTester.of("Trilu", 14).run(Tensor.zeros(DataType.FLOAT, 0, 3))[0], shape(0, 3));
        fails("rank 2", () -> OpTester.of("Trilu", 14).run(iota(3)));
        GradCheck.of(OpTester.of("Trilu", 14).attr("upper", 0).inputs(2).build())
                .check(new Tensor[] {GradCheck.random(1, -1, 1, 2, 3, 3), Tensor.scalar(1L)}, 0);
    }

    @Test
    void compress() {
        Tensor x = iota(3, 2); // 0 1 / 2 3 / 4 5
        floats(OpTester.of("Compress", 11).attr("axis", 0).inputs(2).run(x, bools(false, true, true))[0],
                shape(2, 2), 2, 3, 4, 5);
        floats(OpTester.of("Compress", 11).attr("axis", -1).inputs(2).run(x, bools(false, true))[0],
                shape(3, 1), 1, 3, 5);
        // no axis: the flattened input; a short condition drops the rest
        floats(OpTester.of("Compress", 11).inputs(2).run(x, bools(false, true, false, true))[0], shape(2), 1, 3);
        // a longer condition may only be false past the end
        floats(OpTester.of("Compress", 11).attr("axis", 1).inputs(2).run(x, bools(true, false, false))[0],
                shape(3, 1), 0, 2, 4);
        fails("past the axis length", () -> OpTester.of("Compress", 11).attr("axis", 1).inputs(2)
                .run(x, bools(true, false, true)));
        GradCheck.of(OpTester.of("Compress", 11).attr("axis", 1).inputs(2).build())
                .check(new Tensor[] {GradCheck.random(2, -1, 1, 2, 4), bools(true, false, true, true)}, 0);
        GradCheck.of(OpTester.of("Compress", 11).inputs(2).build())
                .check(new Tensor[] {GradCheck.random(3, -1, 1, 2, 2), bools(false, true, true)}, 0);
    }

    @Test
    void nonZero() {
        Tensor x = Tensor.of(new float[] {1, 0, 0, 2, -0f, Float.NaN}, 2, 3);
        longs(OpTester.of("NonZero", 13).run(x)[0], shape(2, 3), 0, 1, 1, 0, 0, 2);
        longs(OpTester.of("NonZero", 13).run(Tensor.of(new String[] {"", "a"}, 2))[0], shape(1, 1), 1);
        longs(OpTester.of("NonZero", 13).run(Tensor.scalar(3L))[0], shape(1, 1), 0);
        longs(OpTester.of("NonZero", 13).run(Tensor.zeros(DataType.INT32, 2, 2))[0], shape(2, 0));
    }

    @Test
    void reverseSequence() {
        Tensor x = iota(4, 2); // time-major: step t, batch b -> 2t + b
        Tensor lens = Tensor.of(new long[] {3, 1}, 2);
        floats(OpTester.of("ReverseSequence", 10).inputs(2).run(x, lens)[0], shape(4, 2), 4, 1, 2, 3, 0, 5, 6, 7);
        Tensor bm = iota(2, 3, 2); // batch-major with a trailing axis
        floats(OpTester.of("ReverseSequence", 10).attr("batch_axis", 0).attr("time_axis", 1).inputs(2)
                .run(bm, Tensor.of(new long[] {2, 3}, 2))[0], shape(2, 3, 2),
                2, 3, 0, 1, 4, 5, 10, 11, 8, 9, 6, 7);
        fails("outside", () -> OpTester.of("ReverseSequence", 10).inputs(2).run(x, Tensor.of(new long[] {5, 1}, 2)));
        fails("0 and 1", () -> OpTester.of("ReverseSequence", 10).attr("batch_axis", 0).build());
    }

    @Test
    void uniqueFlattened() {
        Tensor x = Tensor.of(new float[] {2, 1, 1, 3, 4, 3}, 6);
        Tensor[] s = OpTester.of("Unique", 11).outputs(4).run(x);
        floats(s[0], shape(4), 1, 2, 3, 4);
        longs(s[1], shape(4), 1, 0, 3, 4);
        longs(s[2], shape(6), 1, 0, 0, 2, 3, 2);
        longs(s[3], shape(4), 2, 1, 2, 1);
        Tensor[] u = OpTester.of("Unique", 11).attr("sorted", 0).outputs(4).run(x);
        floats(u[0], shape(4), 2, 1, 3, 4);
        longs(u[1], shape(4), 0, 1, 3, 4);
        longs(u[2], shape(6), 0, 1, 1, 2, 3, 2);
        longs(u[3], shape(4), 1, 2, 2, 1);
        Tensor z = Tensor.of(new float[] {0f, -0f, Float.NaN, -1, Float.NaN}, 5);
        Tensor[] zs = OpTester.of("Unique", 11).outputs(4).run(z);
        floats(zs[0], shape(3), -1, 0, Double.NaN);
        longs(zs[3], shape(3), 1, 2, 2);
        Check.strings(OpTester.of("Unique", 11).run(Tensor.of(new String[] {"b", "a", "b"}, 3))[0], shape(2),
                "a", "b");
        Check.doubles(OpTester.of("Unique", 11).run(Tensor.of(new long[] {-1, Long.MIN_VALUE}, 2)
                .reshape(2))[0], DataType.INT64, shape(2), Long.MIN_VALUE, -1);
    }

    @Test
    void uniqueAlongAnAxis() {
        // rows: [1,0,0], [1,0,0], [2,3,4], [0,5,6]
        Tensor x = Tensor.of(new float[] {1, 0, 0, 1, 0, 0, 2, 3, 4, 0, 5, 6}, 4, 3);
        Tensor[] r = OpTester.of("Unique", 11).attr("axis", 0).outputs(4).run(x);
        floats(r[0], shape(3, 3), 0, 5, 6, 1, 0, 0, 2, 3, 4);
        longs(r[1], shape(3), 3, 0, 2);
        longs(r[2], shape(4), 1, 1, 2, 0);
        longs(r[3], shape(3), 1, 2, 1);
        // columns of the same matrix: [1,1,2,0], [0,0,3,5], [0,0,4,6]
        Tensor[] c = OpTester.of("Unique", 11).attr("axis", -1).attr("sorted", 0).outputs(4).run(x);
        floats(c[0], shape(4, 3), 1, 0, 0, 1, 0, 0, 2, 3, 4, 0, 5, 6);
        longs(c[3], shape(3), 1, 1, 1);
    }

    @Test
    void uniqueReturnsOnlyRequestedOutputs() {
        Tensor[] r = OpTester.of("Unique", 11).inputs(1).outputs(1).run(Tensor.of(new long[] {3, 3}, 2));
        assertEquals(1, r.length);
        longs(r[0], shape(1), 3);
        Tensor[] three = OpTester.of("Unique", 11).outputs(3).run(Tensor.of(new long[] {1, 2, 1}, 3));
        assertEquals(3, three.length);
        longs(three[2], shape(3), 0, 1, 0);
    }
}
