package dev.sonnx.runtime.ops.math;

import static dev.sonnx.runtime.testing.GradCheck.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every differentiable operator of the family against central differences, in float64, at points
 * away from its kinks (Relu at 0, Clip at its bounds...). Broadcast inputs check that gradients are
 * summed back to each input's shape.
 */
class GradientTest {

    /** One check: the operator (with its attributes), its inputs, and the inputs to differentiate. */
    record Case(OpTester op, Tensor[] inputs, int[] wrt) {
        @Override
        public String toString() {
            return op.build().node().opType();
        }
    }

    private static Arguments unary(String op, int opset, double lo, double hi) {
        return unary(op, opset, lo, hi, t -> { });
    }

    private static Arguments unary(String op, int opset, double lo, double hi, Consumer<OpTester> attributes) {
        OpTester t = OpTester.of(op, opset).inputs(1);
        attributes.accept(t);
        return Arguments.of(op, new Case(t, new Tensor[] {random(op.hashCode(), lo, hi, 3, 4)}, new int[] {0}));
    }

    /** Values in [lo, hi) with the sign of a coin toss: away from 0 on both sides. */
    private static Tensor awayFromZero(long seed, double lo, double hi, int... shape) {
        Tensor t = random(seed, lo, hi, shape);
        for (int i = 0; i < t.size(); i++) {
            if (i % 2 == 1) {
                t.setDouble(i, -t.getDouble(i));
            }
        }
        return t;
    }

    private static Arguments signed(String op, int opset, double lo, double hi, Consumer<OpTester> attributes) {
        OpTester t = OpTester.of(op, opset).inputs(1);
        attributes.accept(t);
        return Arguments.of(op, new Case(t, new Tensor[] {awayFromZero(op.hashCode(), lo, hi, 3, 4)}, new int[] {0}));
    }

    private static Arguments binary(String name, OpTester op, Tensor a, Tensor b) {
        return Arguments.of(name, new Case(op, new Tensor[] {a, b}, new int[] {0, 1}));
    }

    static Stream<Arguments> cases() {
        Consumer<OpTester> none = t -> { };
        return Stream.of(
                // unary math
                signed("Neg", 13, 0.1, 2, none),
                signed("Abs", 13, 0.1, 2, none),
                signed("Reciprocal", 13, 0.5, 2, none),
                unary("Sqrt", 13, 0.5, 2),
                unary("Exp", 13, -2, 2),
                unary("Log", 13, 0.5, 2),
                unary("Floor", 13, 0.1, 0.9),
                unary("Ceil", 13, 0.1, 0.9),
                unary("Round", 11, 0.1, 0.4),
                signed("Sign", 13, 0.1, 2, none),
                unary("Sin", 7, -3, 3),
                unary("Cos", 7, -3, 3),
                unary("Tan", 7, -1, 1),
                unary("Asin", 7, -0.9, 0.9),
                unary("Acos", 7, -0.9, 0.9),
                unary("Atan", 7, -3, 3),
                unary("Sinh", 9, -2, 2),
                unary("Cosh", 9, -2, 2),
                unary("Tanh", 13, -2, 2),
                unary("Asinh", 9, -3, 3),
                unary("Acosh", 9, 1.5, 3),
                unary("Atanh", 9, -0.9, 0.9),
                unary("Erf", 13, -2, 2),
                // activations
                signed("Relu", 14, 0.1, 2, none),
                unary("Sigmoid", 13, -4, 4),
                unary("Softplus", 1, -4, 4),
                unary("Softsign", 1, -4, 4),
                unary("Mish", 18, -3, 3),
                signed("HardSwish", 14, 0.1, 2.9, none),
                signed("LeakyRelu", 16, 0.1, 2, t -> t.attr("alpha", 0.2f)),
                signed("Elu", 6, 0.1, 2, t -> t.attr("alpha", 1.5f)),
                signed("Selu", 6, 0.1, 2, none),
                signed("Celu", 12, 0.1, 2, t -> t.attr("alpha", 2f)),
                signed("HardSigmoid", 6, 0.1, 2.4, none),
                signed("ThresholdedRelu", 10, 0.6, 2, t -> t.attr("alpha", 0.5f)),
                signed("Shrink", 9, 0.6, 2, t -> t.attr("lambd", 0.5f).attr("bias", 0.3f)),
                unary("Gelu", 20, -3, 3),
                unary("Gelu", 20, -3, 3, t -> t.attr("approximate", "tanh")),
                // binary, broadcast
                binary("Add", OpTester.of("Add", 14).inputs(2), random(1, -1, 1, 2, 3), random(2, -1, 1, 3)),
                binary("Sub", OpTester.of("Sub", 14).inputs(2), random(1, -1, 1, 3), random(2, -1, 1, 2, 3)),
                binary("Mul", OpTester.of("Mul", 14).inputs(2), random(1, -1, 1, 2, 1), random(2, -1, 1, 1, 3)),
                binary("Div", OpTester.of("Div", 14).inputs(2), random(1, -1, 1, 2, 3), awayFromZero(2, 0.5, 2, 3)),
                binary("Pow", OpTester.of("Pow", 15).inputs(2), random(1, 0.5, 2, 2, 3), random(2, -2, 2, 3)),
                binary("Mod", OpTester.of("Mod", 13).inputs(2).attr("fmod", 1L), random(1, 2.1, 2.9, 2, 3),
                        random(2, 1, 1.04, 3)),
                binary("legacy Add", OpTester.of("Add", 6).inputs(2).attr("broadcast", 1L).attr("axis", 0L),
                        random(1, -1, 1, 2, 3), random(2, -1, 1, 2)),
                binary("legacy Mul", OpTester.of("Mul", 6).inputs(2).attr("broadcast", 1L),
                        random(1, -1, 1, 2, 3), random(2, -1, 1, 3)),
                binary("PRelu", OpTester.of("PRelu", 16).inputs(2), awayFromZero(1, 0.1, 2, 2, 3), random(2, 0.1, 0.5, 3)),
                binary("legacy PRelu", OpTester.of("PRelu", 6).inputs(2), awayFromZero(1, 0.1, 2, 2, 3, 2),
                        random(2, 0.1, 0.5, 3)),
                // variadic
                Arguments.of("Sum", new Case(OpTester.of("Sum", 13).inputs(3),
                        new Tensor[] {random(1, -1, 1, 2, 3), random(2, -1, 1, 3), random(3, -1, 1, 2, 1)}, new int[] {0, 1, 2})),
                Arguments.of("Mean", new Case(OpTester.of("Mean", 13).inputs(3),
                        new Tensor[] {random(1, -1, 1, 2, 3), random(2, -1, 1, 3), random(3, -1, 1, 2, 1)}, new int[] {0, 1, 2})),
                Arguments.of("Max", new Case(OpTester.of("Max", 13).inputs(3),
                        new Tensor[] {random(1, -1, 1, 2, 3), random(2, -1, 1, 3), random(3, -1, 1, 2, 1)}, new int[] {0, 1, 2})),
                Arguments.of("Min", new Case(OpTester.of("Min", 13).inputs(3),
                        new Tensor[] {random(1, -1, 1, 2, 3), random(2, -1, 1, 3), random(3, -1, 1, 2, 1)}, new int[] {0, 1, 2})),
                // selection
                Arguments.of("Clip", new Case(OpTester.of("Clip", 13).inputs(3),
                        new Tensor[] {random(1, -2, 2, 3, 4), Tensor.scalar(DataType.DOUBLE, -0.55),
                                Tensor.scalar(DataType.DOUBLE, 0.65)}, new int[] {0, 1, 2})),
                Arguments.of("Clip attributes", new Case(OpTester.of("Clip", 6).inputs(1).attr("min", -0.55f)
                        .attr("max", 0.65f), new Tensor[] {random(1, -2, 2, 3, 4)}, new int[] {0})),
                Arguments.of("Where", new Case(OpTester.of("Where", 16).inputs(3),
                        new Tensor[] {Tensor.of(new boolean[] {true, false, false}, 3), random(1, -1, 1, 2, 3),
                                random(2, -1, 1, 1)}, new int[] {1, 2})),
                Arguments.of("CastLike", new Case(OpTester.of("CastLike", 15).inputs(2),
                        new Tensor[] {random(1, -1, 1, 2, 3), Tensor.zeros(DataType.DOUBLE, 0)}, new int[] {0})));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesCentralDifferences(String name, Case c) {
        Operator op = c.op().build();
        assertTrue(op.differentiable(), name + " says it has no gradient");
        GradCheck.of(op).check(c.inputs(), c.wrt());
    }

    /** float64 -> float32 -> back: the gradient converts back to the input's type. */
    @Test
    void castBetweenFloatTypesPassesTheGradient() {
        Operator cast = OpTester.of("Cast", 13).inputs(1).attr("to", (long) DataType.FLOAT.code()).build();
        GradCheck.of(cast).tolerance(1e-2, 1e-4, 1e-3).check(new Tensor[] {random(1, -1, 1, 2, 3)}, 0);
        Tensor x = random(2, -1, 1, 4);
        TestContext ctx = new TestContext(true);
        Value[] out = cast.forward(new Tensor[] {x}, ctx);
        Tensor gy = Tensor.of(new float[] {1, 2, 3, 4}, 4);
        Tensor[] g = cast.backward(new BackwardContext(new Value[] {x}, out, new Tensor[] {gy}, new boolean[] {true},
                ctx.saved, ctx));
        assertEquals(DataType.DOUBLE, g[0].dtype());
        assertArrayEquals(new double[] {1, 2, 3, 4}, g[0].toDoubleArray(), 0);
    }

    @Test
    void castToIntegersAndComparisonsStopTheGradient() {
        Operator cast = OpTester.of("Cast", 13).inputs(1).attr("to", (long) DataType.INT64.code()).build();
        Tensor x = random(1, -1, 1, 3);
        TestContext ctx = new TestContext(true);
        Value[] out = cast.forward(new Tensor[] {x}, ctx);
        Tensor[] g = cast.backward(new BackwardContext(new Value[] {x}, out, new Tensor[1], new boolean[] {true},
                ctx.saved, ctx));
        assertNull(g[0]);
        assertFalse(OpTester.of("Equal", 13).inputs(2).build().differentiable());
        assertFalse(OpTester.of("IsNaN", 13).inputs(1).build().differentiable());
        assertFalse(OpTester.of("Mod", 13).inputs(2).build().differentiable()); // integer Mod
    }

    /** Max routes each element's gradient to the first input holding the maximum. */
    @Test
    void maxBreaksTiesTowardTheFirstInput() {
        Operator max = OpTester.of("Max", 13).inputs(2).build();
        Tensor a = Tensor.of(new double[] {1, 5, 3}, 3);
        Tensor b = Tensor.of(new double[] {1, 2, 4}, 3);
        TestContext ctx = new TestContext(true);
        Value[] out = max.forward(new Tensor[] {a, b}, ctx);
        Tensor gy = Tensor.of(new double[] {10, 20, 30}, 3);
        Tensor[] g = max.backward(new BackwardContext(new Value[] {a, b}, out, new Tensor[] {gy},
                new boolean[] {true, true}, ctx.saved, ctx));
        assertArrayEquals(new double[] {10, 20, 0}, g[0].toDoubleArray(), 0);
        assertArrayEquals(new double[] {0, 0, 30}, g[1].toDoubleArray(), 0);
    }
}
