package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.testing.Models;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.OptionalValue;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptionalOpsTest {
    private static final Tensor X = Tensor.of(new float[] {1, 2}, 2);

    private static Value forward(Operator op, Value... inputs) {
        return op.forward(inputs, new TestContext(false))[0];
    }

    private static boolean hasElement(int opset, Value v) {
        return forward(OpTester.of("OptionalHasElement", opset).inputs(1).build(), v).asTensor().getBool(0);
    }

    @Test
    void optionalWrapsItsInput() {
        OptionalValue o = (OptionalValue) forward(OpTester.of("Optional", 15).inputs(1).build(), X);
        assertSame(X, o.value());
        SequenceValue s = new SequenceValue(DataType.FLOAT, List.of(X));
        assertSame(s, ((OptionalValue) forward(OpTester.of("Optional", 15).inputs(1).build(), s)).value());
    }

    @Test
    void optionalWithoutInputIsEmptyAndNeedsAType() {
        NodeProto.Builder np = NodeProto.newBuilder().setOpType("Optional").addOutput("y")
                .addAttribute(Models.type("type", Models.anyShape(DataType.INT32)));
        Operator op = new OptionalOps.Wrap(new Node(np.build(), 15));
        OptionalValue o = (OptionalValue) forward(op);
        assertFalse(o.isPresent());
        assertTrue(o.describe().contains("int32"), o.describe());
        Exception e = assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("Optional", 15).inputs(0).build());
        assertTrue(e.getMessage().contains("'type'"), e.getMessage());
    }

    @Test
    void hasElement() {
        Tensor yes = forward(OpTester.of("OptionalHasElement", 15).inputs(1).build(), OptionalValue.of(X)).asTensor();
        assertEquals(DataType.BOOL, yes.dtype());
        assertEquals(0, yes.rank());
        assertTrue(yes.getBool(0));
        assertFalse(hasElement(15, OptionalValue.empty("tensor(float)")));
        // Plain values count as present optionals (opset 18 allows them outright).
        assertTrue(hasElement(18, X));
        assertTrue(hasElement(18, new SequenceValue(DataType.FLOAT, List.of())));
    }

    @Test
    void hasElementOfAnOmittedInputFromOpset18() {
        Operator op = OpTester.of("OptionalHasElement", 18).inputs("").build();
        assertFalse(forward(op, (Value) null).asTensor().getBool(0));
        Exception e = assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("OptionalHasElement", 15).inputs("").build());
        assertTrue(e.getMessage().contains("before opset 18"), e.getMessage());
    }

    @Test
    void getElement() {
        Operator get = OpTester.of("OptionalGetElement", 15).inputs(1).build();
        assertSame(X, forward(get, OptionalValue.of(X)));
        assertSame(X, forward(OpTester.of("OptionalGetElement", 18).inputs(1).build(), X));
        Exception e = assertThrows(IllegalArgumentException.class,
                () -> forward(get, OptionalValue.empty("tensor(float)")));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }
}
