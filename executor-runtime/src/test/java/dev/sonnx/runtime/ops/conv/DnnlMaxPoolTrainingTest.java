package dev.sonnx.runtime.ops.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * float32 MaxPool in training (oneDNN's forward with a workspace and its backward) against the
 * generic kernel on the same values in float64 (whose gradient PoolGradTest checks by central
 * differences): equal outputs and equal gradients, ties included (values drawn from a few levels,
 * zeros most often, as after a Relu), where the gradient must go to each window's first maximum.
 */
class DnnlMaxPoolTrainingTest {

    /** Forward recorded, then backward with gradient {@code gy}: {Y, dX}. */
    private static Tensor[] forwardBackward(Operator op, Tensor x, Tensor gy) {
        TestContext ctx = new TestContext(true);
        Value[] out = op.forward(new Value[] {x}, ctx);
        Tensor[] grads = op.backward(new BackwardContext(new Tensor[] {x}, out, new Tensor[] {gy}, new boolean[] {true},
                ctx.saved, ctx));
        return new Tensor[] {out[0].asTensor(), grads[0]};
    }

    private static void assertSameAsFloat64(OpTester pool, int... shape) {
        SplittableRandom r = new SplittableRandom(shape.length * 31L + shape[shape.length - 1]);
        Tensor x32 = Tensor.zeros(DataType.FLOAT, shape);
        Tensor x64 = Tensor.zeros(DataType.DOUBLE, shape);
        for (int i = 0; i < x32.size(); i++) {
            double v = r.nextInt(3) == 0 ? r.nextInt(-2, 3) : 0; // many ties
            x32.setDouble(i, v);
            x64.setDouble(i, v);
        }
        Tensor y64 = pool.build().forward(new Value[] {x64}, new TestContext(false))[0].asTensor();
        // small integers: sums of overlapping windows are exact in both precisions
        Tensor gy32 = Tensor.zeros(DataType.FLOAT, y64.shape());
        Tensor gy64 = Tensor.zeros(DataType.DOUBLE, y64.shape());
        for (int i = 0; i < gy32.size(); i++) {
            int g = r.nextInt(-4, 5);
            gy32.setDouble(i, g);
            gy64.setDouble(i, g);
        }
        Tensor[] f32 = forwardBackward(pool.build(), x32, gy32);
        Tensor[] f64 = forwardBackward(pool.build(), x64, gy64);
        assertEquals(DataType.FLOAT, f32[1].dtype());
        assertArrayEquals(f64[0].shape(), f32[0].shape());
        for (int i = 0; i < f64[0].size(); i++) {
            assertEquals(f64[0].getDouble(i), f32[0].getDouble(i), 0, "Y[" + i + "]");
        }
        for (int i = 0; i < f64[1].size(); i++) {
            assertEquals(f64[1].getDouble(i), f32[1].getDouble(i), 0, "dX[" + i + "]");
        }
    }

    @Test
    void resnetStemWindowWithPaddingAndOverlap() {
        assertSameAsFloat64(OpTester.of("MaxPool", 12).inputs(1).attrInts("kernel_shape", 3, 3)
                .attrInts("strides", 2, 2).attrInts("pads", 1, 1, 1, 1), 2, 3, 12, 10);
    }

    @Test
    void ceilModeDilationsAndOneAndThreeSpatialDimensions() {
        assertSameAsFloat64(OpTester.of("MaxPool", 12).inputs(1).attrInts("kernel_shape", 2, 3)
                .attrInts("strides", 2, 1).attrInts("dilations", 2, 1).attr("ceil_mode", 1), 1, 4, 9, 8);
        assertSameAsFloat64(OpTester.of("MaxPool", 12).inputs(1).attrInts("kernel_shape", 3)
                .attrInts("pads", 1, 2), 2, 2, 11);
        assertSameAsFloat64(OpTester.of("MaxPool", 12).inputs(1).attrInts("kernel_shape", 2, 2, 2)
                .attr("auto_pad", "SAME_UPPER"), 1, 2, 3, 5, 4);
    }
}
