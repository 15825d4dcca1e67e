package dev.sonnx.runtime.ops.tensor;

import static dev.sonnx.runtime.ops.tensor.Check.fails;
import static dev.sonnx.runtime.ops.tensor.Check.floats;
import static dev.sonnx.runtime.ops.tensor.Check.iota;
import static dev.sonnx.runtime.ops.tensor.Check.shape;

import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

class SliceTest {

    private static Tensor longs(long... v) {
        return Tensor.of(v, v.length);
    }

    private static Tensor slice(Tensor x, long[] starts, long[] ends, long[] axes, long[] steps) {
        return OpTester.of("Slice", 13).inputs(5).run(x, longs(starts), longs(ends),
                axes == null ? null : longs(axes), steps == null ? null : longs(steps))[0];
    }

    @Test
    void basicWindows() {
        Tensor x = iota(3, 4); // rows 0..3, 4..7, 8..11
        floats(slice(x, new long[] {1, 1}, new long[] {3, 3}, null, null), shape(2, 2), 5, 6, 9, 10);
        floats(slice(x, new long[] {2}, new long[] {4}, new long[] {-1}, null), shape(3, 2), 2, 3, 6, 7, 10, 11);
    }

    @Test
    void negativeBoundsAndClamping() {
        Tensor x = iota(10);
        floats(slice(x, new long[] {-3}, new long[] {Long.MAX_VALUE}, null, null), shape(3), 7, 8, 9);
        floats(slice(x, new long[] {-100}, new long[] {2}, null, null), shape(2), 0, 1);
        floats(slice(x, new long[] {12}, new long[] {20}, null, null), shape(0));
        floats(slice(x, new long[] {5}, new long[] {3}, null, null), shape(0));
    }

    @Test
    void positiveAndNegativeSteps() {
        Tensor x = iota(10);
        floats(slice(x, new long[] {1}, new long[] {8}, null, new long[] {3}), shape(3), 1, 4, 7);
        // an INT64_MAX start clamps to 9 and an INT64_MIN end to -1: the whole axis reversed
        floats(slice(x, new long[] {Long.MAX_VALUE}, new long[] {Long.MIN_VALUE}, null, new long[] {-1}), shape(10),
                9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        floats(slice(x, new long[] {-2}, new long[] {0}, null, new long[] {-3}), shape(3), 8, 5, 2);
        floats(slice(x, new long[] {3}, new long[] {7}, null, new long[] {-1}), shape(0));
        Tensor m = iota(3, 4);
        floats(slice(m, new long[] {2, 3}, new long[] {-4, -5}, new long[] {0, 1}, new long[] {-2, -2}),
                shape(2, 2), 11, 9, 3, 1);
    }

    @Test
    void sliceOneTakesAttributes() {
        Tensor y = OpTester.of("Slice", 1).attrInts("starts", 1).attrInts("ends", 1000).attrInts("axes", 1)
                .run(iota(2, 3))[0];
        floats(y, shape(2, 2), 1, 2, 4, 5);
    }

    @Test
    void errors() {
        Tensor x = iota(4);
        fails("invalid step", () -> slice(x, new long[] {0}, new long[] {4}, null, new long[] {0}));
        fails("one entry each", () -> slice(x, new long[] {0, 1}, new long[] {4}, null, null));
        fails("twice", () -> slice(iota(2, 2), new long[] {0, 0}, new long[] {1, 1}, new long[] {1, -1}, null));
        fails("out of range", () -> slice(x, new long[] {0}, new long[] {1}, new long[] {1}, null));
    }

    @Test
    void gradientScattersBack() {
        Tensor x = GradCheck.random(5, -1, 1, 4, 6);
        GradCheck.of(OpTester.of("Slice", 13).inputs(5).build()).check(new Tensor[] {x, longs(3, 1), longs(0, 6),
            longs(0, 1), longs(-1, 2)}, 0);
    }
}
