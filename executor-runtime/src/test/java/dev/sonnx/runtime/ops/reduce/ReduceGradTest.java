package dev.sonnx.runtime.ops.reduce;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ReduceGradTest {

    private static Tensor input(ReduceKind kind, long seed, int... shape) {
        // Prod and LogSum away from zero; Max/Min with distinct values (random doubles never tie)
        return kind == ReduceKind.PROD || kind == ReduceKind.LOG_SUM ? GradCheck.random(seed, 0.5, 1.5, shape)
                : GradCheck.random(seed, -2, 2, shape);
    }

    @ParameterizedTest
    @EnumSource(ReduceKind.class)
    void gradientOverOneAxis(ReduceKind kind) {
        Operator op = OpTester.of(kind.opType(), 18).inputs(2).attr("keepdims", 0L).build();
        GradCheck.of(op).check(new Tensor[] {input(kind, 1, 2, 3, 4), Tensor.of(new long[] {1}, 1)}, 0);
    }

    @ParameterizedTest
    @EnumSource(ReduceKind.class)
    void gradientOverSeparatedAxes(ReduceKind kind) {
        // the attribute form (ReduceSum took axes as an input from 13)
        Operator op = OpTester.of(kind.opType(), kind == ReduceKind.SUM ? 11 : 13).inputs(1).attrInts("axes", 0, -1)
                .build();
        GradCheck.of(op).check(new Tensor[] {input(kind, 2, 3, 2, 4)}, 0);
    }

    @ParameterizedTest
    @EnumSource(ReduceKind.class)
    void gradientOverAllAxesOfFloat32(ReduceKind kind) {
        Operator op = OpTester.of(kind.opType(), 18).inputs(1).build();
        Tensor x = input(kind, 3, 2, 3);
        Tensor xf = Tensor.zeros(DataType.FLOAT, 2, 3);
        for (int i = 0; i < 6; i++) {
            xf.setDouble(i, x.getDouble(i));
        }
        GradCheck.of(op).tolerance(1e-2, 1e-3, 1e-2).check(new Tensor[] {xf}, 0);
    }

    private static Tensor grad(Operator op, Tensor x, Tensor gy) {
        TestContext ctx = new TestContext(true);
        Value[] out = op.forward(new Tensor[] {x}, ctx);
        return op.backward(new BackwardContext(new Value[] {x}, out, new Tensor[] {gy}, new boolean[] {true},
                ctx.saved, ctx))[0];
    }

    @Test
    void prodGradientWithZeros() {
        Operator op = OpTester.of("ReduceProd", 13).inputs(1).attrInts("axes", 1).attr("keepdims", 0L).build();
        // rows: one zero -> only the zero gets the product of the others; two zeros -> all zero
        Tensor x = Tensor.of(new double[] {2, 0, 3, 0, 5, 0, 1, 2, 4}, 3, 3);
        Tensor gy = Tensor.of(new double[] {1, 1, 0.5}, 3);
        assertArrayEquals(new double[] {0, 6, 0, 0, 0, 0, 4, 2, 1}, grad(op, x, gy).toDoubleArray());
    }

    @Test
    void maxGradientSharedBetweenTies() {
        Operator op = OpTester.of("ReduceMax", 13).inputs(1).attr("keepdims", 0L).build();
        Tensor x = Tensor.of(new double[] {3, 1, 3, 2}, 4);
        assertArrayEquals(new double[] {0.5, 0, 0.5, 0}, grad(op, x, Tensor.of(new double[] {1})).toDoubleArray());
    }

    @Test
    void integerInputsTakeNoGradient() {
        Operator op = OpTester.of("ReduceSum", 11).inputs(1).build();
        assertNull(grad(op, Tensor.of(new long[] {1, 2}, 2), Tensor.of(new long[] {1}, 1, 1)));
    }
}
