package dev.sonnx.runtime.ops.tensor;

import static dev.sonnx.runtime.ops.tensor.Check.fails;
import static dev.sonnx.runtime.ops.tensor.Check.floats;
import static dev.sonnx.runtime.ops.tensor.Check.iota;
import static dev.sonnx.runtime.ops.tensor.Check.shape;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

class ConcatSplitTest {

    @Test
    void concatAlongEachAxis() {
        Tensor a = iota(2, 2);              // 0 1 / 2 3
        Tensor b = Tensor.of(new float[] {10, 11, 12, 13, 14, 15}, 2, 3);
        floats(OpTester.of("Concat", 13).attr("axis", 1).inputs(2).run(a, b)[0], shape(2, 5),
                0, 1, 10, 11, 12, 2, 3, 13, 14, 15);
        floats(OpTester.of("Concat", 13).attr("axis", -2).inputs(2).run(a, iota(1, 2))[0], shape(3, 2),
                0, 1, 2, 3, 0, 1);
    }

    @Test
    void concatSkipsEmptyInputsAndKeepsTypes() {
        Tensor e = Tensor.zeros(DataType.INT64, 0);
        Tensor x = Tensor.of(new long[] {4, 5}, 2);
        Check.longs(OpTester.of("Concat", 13).attr("axis", 0).inputs(3).run(e, x, e)[0], shape(2), 4, 5);
        Tensor s = OpTester.of("Concat", 13).attr("axis", 0).inputs(2)
                .run(Tensor.of(new String[] {"a"}, 1), Tensor.of(new String[] {"b", "c"}, 2))[0];
        Check.strings(s, shape(3), "a", "b", "c");
    }

    @Test
    void concatErrors() {
        fails("differ outside axis", () -> OpTester.of("Concat", 13).attr("axis", 0).inputs(2)
                .run(iota(2, 2), iota(2, 3)));
        fails("rank", () -> OpTester.of("Concat", 13).attr("axis", 0).inputs(2).run(iota(2, 2), iota(2)));
        fails("different types", () -> OpTester.of("Concat", 13).attr("axis", 0).inputs(2)
                .run(iota(2), Tensor.of(new long[] {1}, 1)));
        fails("'axis' is missing", () -> OpTester.of("Concat", 13).inputs(2).build());
        // Concat-1 defaults the axis to 1
        assertEquals(4, OpTester.of("Concat", 1).inputs(2).run(iota(2, 2), iota(2, 2))[0].dim(1));
    }

    @Test
    void splitEqualPartsVariablePartsAndNumOutputs() {
        Tensor x = iota(2, 6);
        Tensor[] eq = OpTester.of("Split", 13).attr("axis", 1).outputs(3).run(x);
        floats(eq[0], shape(2, 2), 0, 1, 6, 7);
        floats(eq[2], shape(2, 2), 4, 5, 10, 11);
        Tensor[] var = OpTester.of("Split", 13).attr("axis", -1).inputs(2).outputs(2)
                .run(x, Tensor.of(new long[] {1, 5}, 2));
        floats(var[0], shape(2, 1), 0, 6);
        floats(var[1], shape(2, 5), 1, 2, 3, 4, 5, 7, 8, 9, 10, 11);
        Tensor[] attr = OpTester.of("Split", 11).attrInts("split", 4, 2).attr("axis", 1).outputs(2).run(x);
        floats(attr[1], shape(2, 2), 4, 5, 10, 11);
        // num_outputs: ceil(7 / 3) = 3, 3, and the rest 1
        Tensor[] n = OpTester.of("Split", 18).attr("num_outputs", 3).outputs(3).run(iota(7));
        floats(n[0], shape(3), 0, 1, 2);
        floats(n[1], shape(3), 3, 4, 5);
        floats(n[2], shape(1), 6);
        Tensor[] zero = OpTester.of("Split", 13).inputs(2).outputs(2).run(iota(3), Tensor.of(new long[] {0, 3}, 2));
        floats(zero[0], shape(0));
    }

    @Test
    void splitErrors() {
        fails("equal parts", () -> OpTester.of("Split", 13).outputs(2).run(iota(5)));
        fails("sums to", () -> OpTester.of("Split", 13).inputs(2).outputs(2).run(iota(5), Tensor.of(new long[] {1, 1}, 2)));
        fails("entries for", () -> OpTester.of("Split", 13).inputs(2).outputs(2).run(iota(5), Tensor.of(new long[] {5}, 1)));
        fails("num_outputs", () -> OpTester.of("Split", 18).attr("num_outputs", 3).outputs(2).build());
        fails("cannot be split", () -> OpTester.of("Split", 18).attr("num_outputs", 4).outputs(4).run(iota(5)));
    }

    @Test
    void gradients() {
        Tensor a = GradCheck.random(1, -1, 1, 2, 3);
        Tensor b = GradCheck.random(2, -1, 1, 2, 1);
        GradCheck.of(OpTester.of("Concat", 13).attr("axis", 1).inputs(2).build()).check(new Tensor[] {a, b}, 0, 1);
        GradCheck.of(OpTester.of("Split", 13).attr("axis", 1).inputs(2).outputs(2).build())
                .check(new Tensor[] {GradCheck.random(3, -1, 1, 3, 5), Tensor.of(new long[] {2, 3}, 2)}, 0);
    }
}
