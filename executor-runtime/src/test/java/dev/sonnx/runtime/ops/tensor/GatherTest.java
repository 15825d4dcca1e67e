package dev.sonnx.runtime.ops.tensor;

import static dev.sonnx.runtime.ops.tensor.Check.fails;
import static dev.sonnx.runtime.ops.tensor.Check.floats;
import static dev.sonnx.runtime.ops.tensor.Check.iota;
import static dev.sonnx.runtime.ops.tensor.Check.shape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import org.junit.jupiter.api.Test;

class GatherTest {

    private static Tensor idx(int[] shape, long... v) {
        return Tensor.of(v, shape);
    }

    @Test
    void gatherRowsColumnsAndNegativeIndices() {
        Tensor x = iota(3, 2); // 0 1 / 2 3 / 4 5
        floats(OpTester.of("Gather", 13).inputs(2).run(x, idx(shape(2, 2), 0, 1, 1, 2))[0], shape(2, 2, 2),
                0, 1, 2, 3, 2, 3, 4, 5);
        floats(OpTester.of("Gather", 13).attr("axis", 1).inputs(2).run(x, idx(shape(1), -1))[0], shape(3, 1),
                1, 3, 5);
        floats(OpTester.of("Gather", 13).inputs(2).run(x, idx(shape(), 2))[0], shape(2), 4, 5);
        Tensor i32 = Tensor.of(new int[] {2, 0}, 2);
        floats(OpTester.of("Gather", 13).attr("axis", -1).inputs(2).run(iota(2, 3), i32)[0], shape(2, 2), 2, 0, 5, 3);
        Tensor s = Tensor.of(new String[] {"x", "y", "z"}, 3);
        Check.strings(OpTester.of("Gather", 13).inputs(2).run(s, idx(shape(2), 2, 2))[0], shape(2), "z", "z");
        fails("out of range", () -> OpTester.of("Gather", 13).inputs(2).run(x, idx(shape(1), 3)));
        fails("expected int64 or int32", () -> OpTester.of("Gather", 13).inputs(2).run(x, iota(1)));
    }

    @Test
    void embeddingGradientSumsRepeatedRows() {
        Operator op = OpTester.of("Gather", 13).inputs(2).build();
        Tensor table = iota(3, 2);
        Tensor ids = idx(shape(3), 2, 0, 2);
        TestContext ctx = new TestContext(true);
        Value[] out = op.forward(new Value[] {table, ids}, ctx);
        Tensor gy = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        Tensor[] g = op.backward(new BackwardContext(new Value[] {table, ids}, out, new Tensor[] {gy},
                new boolean[] {true, false}, ctx.saved, ctx));
        // row 2 gets gy rows 0 and 2 summed, row 0 gets row 1, row 1 nothing
        floats(g[0], shape(3, 2), 3, 4, 0, 0, 6, 8);
        Tensor half = Tensor.zeros(DataType.FLOAT16, 3, 2);
        for (int i = 0; i < 6; i++) {
            half.setFloat(i, gy.getFloat(i));
        }
        Tensor gh = op.backward(new BackwardContext(new Value[] {table, ids}, out, new Tensor[] {half},
                new boolean[] {true, false}, ctx.saved, ctx))[0];
        Check.doubles(gh, DataType.FLOAT16, shape(3, 2), 3, 4, 0, 0, 6, 8);
        GradCheck.of(op).check(new Tensor[] {GradCheck.random(4, -1, 1, 4, 3), idx(shape(2, 2), 3, -1, 0, 3)}, 0);
        GradCheck.of(OpTester.of("Gather", 13).attr("axis", 1).inputs(2).build())
                .check(new Tensor[] {GradCheck.random(5, -1, 1, 2, 4, 2), idx(shape(3), 1, 1, 2)}, 0);
    }

    @Test
    void gatherElements() {
        Tensor x = iota(3, 3); // 0 1 2 / 3 4 5 / 6 7 8
        floats(OpTester.of("GatherElements", 13).attr("axis", 1).inputs(2)
                .run(x, idx(shape(3, 2), 0, 0, 1, 0, -1, 1))[0], shape(3, 2), 0, 0, 4, 3, 8, 7);
        floats(OpTester.of("GatherElements", 13).inputs(2).run(x, idx(shape(2, 3), 1, 2, 0, 2, 0, 0))[0],
                shape(2, 3), 3, 7, 2, 6, 1, 2);
        fails("rank", () -> OpTester.of("GatherElements", 13).inputs(2).run(x, idx(shape(3), 0, 0, 0)));
        GradCheck.of(OpTester.of("GatherElements", 13).attr("axis", 1).inputs(2).build())
                .check(new Tensor[] {GradCheck.random(6, -1, 1, 2, 3), idx(shape(2, 4), 0, 0, 2, 1, 1, 1, 0, -1)}, 0);
    }

    @Test
    void gatherNDWithAndWithoutBatchDims() {
        Tensor x = iota(2, 2, 2); // [[[0,1],[2,3]],[[4,5],[6,7]]]
        floats(OpTester.of("GatherND", 13).inputs(2).run(x, idx(shape(2, 2), 0, 1, 1, 0))[0], shape(2, 2),
                2, 3, 4, 5);
        floats(OpTester.of("GatherND", 13).inputs(2).run(x, idx(shape(2, 3), 0, 1, 1, 1, 0, -1))[0], shape(2),
                3, 5);
        floats(OpTester.of("GatherND", 13).attr("batch_dims", 1).inputs(2).run(x, idx(shape(2, 1), 1, 0))[0],
                shape(2, 2), 2, 3, 4, 5);
        floats(OpTester.of("GatherND", 13).attr("batch_dims", 1).inputs(2).run(x, idx(shape(2, 2), 1, 1, 0, 0))[0],
                shape(2), 3, 4);
        fails("batch dimension", () -> OpTester.of("GatherND", 13).attr("batch_dims", 1).inputs(2)
                .run(x, idx(shape(3, 1), 0, 0, 0)));
        fails("address more axes", () -> OpTester.of("GatherND", 13).inputs(2).run(x, idx(shape(1, 4), 0, 0, 0, 0)));
        GradCheck.of(OpTester.of("GatherND", 13).inputs(2).build())
                .check(new Tensor[] {GradCheck.random(7, -1, 1, 3, 2, 2), idx(shape(3, 2), 0, 1, 2, 0, 0, 1)}, 0);
        GradCheck.of(OpTester.of("GatherND", 13).attr("batch_dims", 1).inputs(2).build())
                .check(new Tensor[] {GradCheck.random(8, -1, 1, 2, 3, 2), idx(shape(2, 2, 1), 2, 2, 0, 1)}, 0);
    }

    @Test
    void gatherNDBatchDimsIsNotReadBeforeOpset12() {
        Tensor x = iota(2, 2);
        // at opset 11 the attribute is unknown, so the rows address data from its first axis
        Tensor y = OpTester.of("GatherND", 11).attr("batch_dims", 1).inputs(2).run(x, idx(shape(1, 2), 1, 0))[0];
        assertArrayEquals(new double[] {2}, y.toDoubleArray());
    }
}
