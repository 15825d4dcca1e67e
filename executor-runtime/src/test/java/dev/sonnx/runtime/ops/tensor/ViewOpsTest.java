package dev.sonnx.runtime.ops.tensor;

import static dev.sonnx.runtime.ops.tensor.Check.fails;
import static dev.sonnx.runtime.ops.tensor.Check.iota;
import static dev.sonnx.runtime.ops.tensor.Check.shape;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.OptionalValue;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.util.List;
import org.junit.jupiter.api.Test;

class ViewOpsTest {

    private static Tensor shapeOf(long... dims) {
        return Tensor.of(dims, dims.length);
    }

    private static Tensor reshape(int opset, Tensor x, long... dims) {
        return OpTester.of("Reshape", opset).inputs(2).run(x, shapeOf(dims))[0];
    }

    @Test
    void reshapeResolvesZeroAndMinusOneAndSharesStorage() {
        Tensor x = iota(2, 3, 4);
        Tensor y = reshape(13, x, 0, -1);
        assertArrayEquals(shape(2, 12), y.shape());
        assertSame(x.storage(), y.storage(), "Reshape must return a view");
        assertArrayEquals(shape(4, 3, 2), reshape(13, x, 4, 0, -1).shape()); // 0 copies dim 1 (3)
        assertArrayEquals(shape(24), reshape(13, x, -1).shape());
        assertArrayEquals(shape(), reshape(13, iota(1, 1), new long[0]).shape());
    }

    @Test
    void reshapeAllowZeroKeepsLiteralZero() {
        Tensor empty = Tensor.zeros(DataType.FLOAT, 0, 3);
        Tensor y = OpTester.of("Reshape", 14).attr("allowzero", 1).inputs(2).run(empty, shapeOf(3, 0))[0];
        assertArrayEquals(shape(3, 0), y.shape());
        // without allowzero, 0 copies the input's dimension (0 here, then 3 from the input's 3)
        Tensor z = OpTester.of("Reshape", 14).inputs(2).run(empty, shapeOf(0, 0))[0];
        assertArrayEquals(shape(0, 3), z.shape());
        fails("both 0 and -1", () -> OpTester.of("Reshape", 14).attr("allowzero", 1).inputs(2)
                .run(empty, shapeOf(0, -1)));
        // at opset 5 the attribute does not exist: 0 copies
        assertArrayEquals(shape(0, 3), OpTester.of("Reshape", 5).attr("allowzero", 1).inputs(2)
                .run(empty, shapeOf(0, 3))[0].shape());
    }

    @Test
    void reshapeErrors() {
        Tensor x = iota(2, 3);
        fails("more than one -1", () -> reshape(13, x, -1, -1));
        fails("cannot reshape", () -> reshape(13, x, 4, 2));
        fails("-1 cannot be inferred", () -> reshape(13, x, 4, -1));
        fails("lacks", () -> reshape(13, x, 6, 1, 0));
        fails("invalid", () -> reshape(13, x, -2, -3));
    }

    @Test
    void reshapeOneTakesTheShapeAttribute() {
        Tensor y = OpTester.of("Reshape", 1).attrInts("shape", 3, -1).run(iota(6))[0];
        assertArrayEquals(shape(3, 2), y.shape());
    }

    @Test
    void reshapeKeepsStringsAndOrder() {
        Tensor s = Tensor.of(new String[] {"a", "b", "c", "d"}, 4);
        Check.strings(reshape(13, s, 2, 2), shape(2, 2), "a", "b", "c", "d");
    }

    @Test
    void flatten() {
        Tensor x = iota(2, 3, 4, 5);
        assertArrayEquals(shape(1, 120), OpTester.of("Flatten", 13).attr("axis", 0).run(x)[0].shape());
        assertArrayEquals(shape(2, 60), OpTester.of("Flatten", 13).run(x)[0].shape());
        assertArrayEquals(shape(24, 5), OpTester.of("Flatten", 13).attr("axis", -1).run(x)[0].shape());
        assertArrayEquals(shape(120, 1), OpTester.of("Flatten", 13).attr("axis", 4).run(x)[0].shape());
        assertArrayEquals(shape(1, 1), OpTester.of("Flatten", 13).attr("axis", 0).run(Tensor.scalar(2f))[0].shape());
        fails("out of range", () -> OpTester.of("Flatten", 13).attr("axis", 5).run(x));
        Tensor y = OpTester.of("Flatten", 13).attr("axis", 2).run(x)[0];
        assertSame(x.storage(), y.storage());
    }

    @Test
    void squeeze() {
        Tensor x = iota(1, 3, 1, 2);
        assertArrayEquals(shape(3, 2), OpTester.of("Squeeze", 13).run(x)[0].shape());
        assertArrayEquals(shape(1, 3, 2), OpTester.of("Squeeze", 13).inputs(2).run(x, shapeOf(-2))[0].shape());
        assertArrayEquals(shape(3, 1, 2), OpTester.of("Squeeze", 11).attrInts("axes", 0).run(x)[0].shape());
        assertArrayEquals(shape(), OpTester.of("Squeeze", 13).run(iota(1, 1))[0].shape());
        fails("not 1", () -> OpTester.of("Squeeze", 13).inputs(2).run(x, shapeOf(1)));
        fails("twice", () -> OpTester.of("Squeeze", 13).inputs(2).run(x, shapeOf(0, -4)));
        assertSame(x.storage(), OpTester.of("Squeeze", 13).run(x)[0].storage());
    }

    @Test
    void unsqueeze() {
        Tensor x = iota(3, 4);
        assertArrayEquals(shape(1, 3, 4), OpTester.of("Unsqueeze", 13).inputs(2).run(x, shapeOf(0))[0].shape());
        assertArrayEquals(shape(3, 1, 4, 1),
                OpTester.of("Unsqueeze", 13).inputs(2).run(x, shapeOf(3, 1))[0].shape());
        assertArrayEquals(shape(3, 4, 1), OpTester.of("Unsqueeze", 13).inputs(2).run(x, shapeOf(-1))[0].shape());
        assertArrayEquals(shape(1, 3, 1, 4), OpTester.of("Unsqueeze", 11).attrInts("axes", 0, -2).run(x)[0].shape());
        assertArrayEquals(shape(1), OpTester.of("Unsqueeze", 13).inputs(2).run(Tensor.scalar(1f), shapeOf(0))[0]
                .shape());
        fails("out of range", () -> OpTester.of("Unsqueeze", 13).inputs(2).run(x, shapeOf(3)));
        fails("twice", () -> OpTester.of("Unsqueeze", 13).inputs(2).run(x, shapeOf(0, 0)));
        fails("'axes' is missing", () -> OpTester.of("Unsqueeze", 1).build());
    }

    @Test
    void identityPassesAnyValueThrough() {
        Operator op = OpTester.of("Identity", 16).inputs(1).build();
        Tensor t = iota(2);
        SequenceValue seq = new SequenceValue(DataType.FLOAT, List.of(t, iota(3)));
        OptionalValue opt = OptionalValue.of(seq);
        OptionalValue none = OptionalValue.empty("tensor(float)");
        for (Value v : new Value[] {t, seq, opt, none}) {
            assertSame(v, op.forward(new Value[] {v}, new TestContext(false))[0]);
        }
    }

    @Test
    void gradientsAreTheOutputGradientReshaped() {
        Tensor x = GradCheck.random(1, -1, 1, 2, 1, 3);
        GradCheck.of(OpTester.of("Reshape", 14).inputs(2).build()).check(new Tensor[] {x, shapeOf(3, -1)}, 0);
        GradCheck.of(OpTester.of("Flatten", 13).attr("axis", 2).build()).check(new Tensor[] {x}, 0);
        GradCheck.of(OpTester.of("Squeeze", 13).build()).check(new Tensor[] {x}, 0);
        GradCheck.of(OpTester.of("Unsqueeze", 13).inputs(2).build()).check(new Tensor[] {x, shapeOf(0, 4)}, 0);
        GradCheck.of(OpTester.of("Identity", 13).build()).check(new Tensor[] {x}, 0);
    }
}
