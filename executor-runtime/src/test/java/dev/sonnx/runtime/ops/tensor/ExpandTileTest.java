package dev.sonnx.runtime.ops.tensor;

import static dev.sonnx.runtime.ops.tensor.Check.fails;
import static dev.sonnx.runtime.ops.tensor.Check.floats;
import static dev.sonnx.runtime.ops.tensor.Check.iota;
import static dev.sonnx.runtime.ops.tensor.Check.shape;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

class ExpandTileTest {

    private static Tensor longs(long... v) {
        return Tensor.of(v, v.length);
    }

    @Test
    void expandBroadcastsBothWays() {
        Tensor col = iota(3, 1); // 0 / 1 / 2
        floats(OpTester.of("Expand", 13).inputs(2).run(col, longs(2, 1, 2))[0], shape(2, 3, 2),
                0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2);
        // a 1 in the requested shape keeps the input's dimension
        floats(OpTester.of("Expand", 13).inputs(2).run(iota(1, 2), longs(3, 1))[0], shape(3, 2), 0, 1, 0, 1, 0, 1);
        Tensor same = iota(2, 2);
        assertSame(same, OpTester.of("Expand", 13).inputs(2).run(same, longs(2, 1))[0]);
        Check.strings(OpTester.of("Expand", 13).inputs(2).run(Tensor.of(new String[] {"a"}), longs(2))[0],
                shape(2), "a", "a");
        fails("cannot be broadcast", () -> OpTester.of("Expand", 13).inputs(2).run(iota(3), longs(2)));
    }

    @Test
    void expandGradientSumsOverBroadcastAxes() {
        GradCheck.of(OpTester.of("Expand", 13).inputs(2).build())
                .check(new Tensor[] {GradCheck.random(1, -1, 1, 3, 1), longs(2, 3, 4)}, 0);
    }

    @Test
    void tileRepeatsEachAxis() {
        Tensor x = iota(2, 2); // 0 1 / 2 3
        floats(OpTester.of("Tile", 13).inputs(2).run(x, longs(2, 3))[0], shape(4, 6),
                0, 1, 0, 1, 0, 1,
                2, 3, 2, 3, 2, 3,
                0, 1, 0, 1, 0, 1,
                2, 3, 2, 3, 2, 3);
        floats(OpTester.of("Tile", 13).inputs(2).run(x, longs(0, 1))[0], shape(0, 2));
        Check.doubles(OpTester.of("Tile", 13).inputs(2).run(iota(DataType.BOOL, 2), longs(2))[0], DataType.BOOL,
                shape(4), 0, 1, 0, 1);
        // Tile-1: one axis by a count
        floats(OpTester.of("Tile", 1).inputs(3).run(x, longs(2), longs(1))[0], shape(2, 4), 0, 1, 0, 1, 2, 3, 2, 3);
        fails("2 entries", () -> OpTester.of("Tile", 13).inputs(2).run(iota(2), longs(1, 1)));
        fails("invalid entry", () -> OpTester.of("Tile", 13).inputs(2).run(iota(2), longs(-1)));
    }

    @Test
    void tileGradientSumsTheCopies() {
        GradCheck.of(OpTester.of("Tile", 13).inputs(2).build())
                .check(new Tensor[] {GradCheck.random(2, -1, 1, 2, 3), longs(3, 2)}, 0);
    }
}
