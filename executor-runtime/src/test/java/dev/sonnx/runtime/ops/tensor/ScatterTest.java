package dev.sonnx.runtime.ops.tensor;

import static dev.sonnx.runtime.ops.tensor.Check.fails;
import static dev.sonnx.runtime.ops.tensor.Check.floats;
import static dev.sonnx.runtime.ops.tensor.Check.shape;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import org.junit.jupiter.api.Test;

class ScatterTest {

    private static Tensor idx(int[] shape, long... v) {
        return Tensor.of(v, shape);
    }

    private static Tensor f(int[] shape, float... v) {
        return Tensor.of(v, shape);
    }

    private static Tensor scatterElements(int opset, String reduction, long axis, Tensor data, Tensor indices,
                                          Tensor updates) {
        OpTester t = OpTester.of("ScatterElements", opset).attr("axis", axis).inputs(3);
        if (reduction != null) {
            t.attr("reduction", reduction);
        }
        return t.run(data, indices, updates)[0];
    }

    @Test
    void scatterElementsReplacesAlongAxis() {
        Tensor data = f(shape(2, 3), 1, 1, 1, 1, 1, 1);
        floats(scatterElements(11, null, 1, data, idx(shape(2, 2), 2, 0, -1, 1), f(shape(2, 2), 5, 6, 7, 8)),
                shape(2, 3), 6, 1, 5, 1, 8, 7);
        floats(scatterElements(11, null, 0, data, idx(shape(1, 3), 1, 0, 1), f(shape(1, 3), 5, 6, 7)),
                shape(2, 3), 1, 6, 1, 5, 1, 7);
        // the deprecated alias behaves the same
        Tensor alias = OpTester.of("Scatter", 10).attr("axis", 1).inputs(3)
                .run(data, idx(shape(2, 2), 2, 0, -1, 1), f(shape(2, 2), 5, 6, 7, 8))[0];
        floats(alias, shape(2, 3), 6, 1, 5, 1, 8, 7);
    }

    @Test
    void scatterElementsReductions() {
        Tensor data = f(shape(4), 1, 2, 3, 4);
        Tensor indices = idx(shape(3), 1, 1, 3);
        Tensor updates = f(shape(3), 10, 20, -5);
        floats(scatterElements(16, "add", 0, data, indices, updates), shape(4), 1, 32, 3, -1);
        floats(scatterElements(16, "mul", 0, data, indices, updates), shape(4), 1, 400, 3, -20);
        floats(scatterElements(18, "max", 0, data, indices, updates), shape(4), 1, 20, 3, 4);
        floats(scatterElements(18, "min", 0, data, indices, updates), shape(4), 1, 2, 3, -5);
        // duplicates without a reduction: the last update wins
        floats(scatterElements(16, "none", 0, data, indices, updates), shape(4), 1, 20, 3, -5);
        Tensor ints = Tensor.of(new long[] {Long.MAX_VALUE, 0}, 2);
        Check.longs(scatterElements(16, "add", 0, ints, idx(shape(1), 0), Tensor.of(new long[] {1}, 1)), shape(2),
                Long.MIN_VALUE, 0);
        Tensor bools = Tensor.of(new boolean[] {false, true}, 2);
        Tensor b = scatterElements(16, "mul", 0, bools, idx(shape(2), 0, 1), Tensor.of(new boolean[] {true, false}, 2));
        Check.doubles(b, DataType.BOOL, shape(2), 0, 0);
        fails("is not one of none, add, mul", () -> scatterElements(16, "max", 0, data, indices, updates));
        fails("is not one of none", () -> scatterElements(13, "add", 0, data, indices, updates));
        fails("must match", () -> scatterElements(13, null, 0, data, indices, f(shape(2), 1, 2)));
        Tensor strings = Tensor.of(new String[] {"a", "b"}, 2);
        fails("does not apply", () -> scatterElements(16, "add", 0, strings, idx(shape(1), 0),
                Tensor.of(new String[] {"c"}, 1)));
        Check.strings(scatterElements(16, null, 0, strings, idx(shape(1), 1), Tensor.of(new String[] {"c"}, 1)),
                shape(2), "a", "c");
    }

    @Test
    void scatterND() {
        Tensor data = f(shape(2, 2, 2), 0, 1, 2, 3, 4, 5, 6, 7);
        Tensor out = OpTester.of("ScatterND", 11).inputs(3)
                .run(data, idx(shape(1, 1), 1), f(shape(1, 2, 2), 10, 11, 12, 13))[0];
        floats(out, shape(2, 2, 2), 0, 1, 2, 3, 10, 11, 12, 13);
        Tensor el = OpTester.of("ScatterND", 11).inputs(3)
                .run(data, idx(shape(2, 3), 0, 0, 1, 1, 1, 0), f(shape(2), -1, -2))[0];
        floats(el, shape(2, 2, 2), 0, -1, 2, 3, 4, 5, -2, 7);
        Tensor add = OpTester.of("ScatterND", 16).attr("reduction", "add").inputs(3)
                .run(data, idx(shape(2, 2), 0, 1, 0, 1), f(shape(2, 2), 1, 1, 10, 10))[0];
        floats(add, shape(2, 2, 2), 0, 1, 13, 14, 4, 5, 6, 7);
        Tensor min = OpTester.of("ScatterND", 18).attr("reduction", "min").inputs(3)
                .run(data, idx(shape(1, 1), 0), f(shape(1, 2, 2), 5, -5, 5, -5))[0];
        floats(min, shape(2, 2, 2), 0, -5, 2, -5, 4, 5, 6, 7);
        fails("expected [1, 2, 2]", () -> OpTester.of("ScatterND", 11).inputs(3)
                .run(data, idx(shape(1, 1), 1), f(shape(2, 2), 1, 1, 1, 1)));
    }

    @Test
    void gradientsWithoutReduction() {
        GradCheck.of(OpTester.of("ScatterElements", 16).attr("axis", 1).inputs(3).build()).check(new Tensor[] {
            GradCheck.random(1, -1, 1, 2, 4), idx(shape(2, 2), 3, 3, 0, 2), GradCheck.random(2, -1, 1, 2, 2)}, 0, 2);
        GradCheck.of(OpTester.of("ScatterND", 16).inputs(3).build()).check(new Tensor[] {
            GradCheck.random(3, -1, 1, 3, 2), idx(shape(2, 1), 2, 0), GradCheck.random(4, -1, 1, 2, 2)}, 0, 2);
    }

    @Test
    void overwrittenUpdatesGetNoGradient() {
        Operator op = OpTester.of("ScatterElements", 16).inputs(3).build();
        Tensor data = f(shape(3), 0, 0, 0);
        Tensor indices = idx(shape(2), 1, 1);
        Tensor updates = f(shape(2), 5, 6);
        TestContext ctx = new TestContext(true);
        Value[] in = {data, indices, updates};
        Value[] out = op.forward(in, ctx);
        Tensor[] g = op.backward(new BackwardContext(in, out, new Tensor[] {f(shape(3), 1, 2, 3)},
                new boolean[] {true, false, true}, ctx.saved, ctx));
        floats(g[0], shape(3), 1, 0, 3);
        floats(g[2], shape(2), 0, 2);
    }
}
