package dev.sonnx.runtime.ops.tensor;

import static dev.sonnx.runtime.ops.tensor.Check.fails;
import static dev.sonnx.runtime.ops.tensor.Check.floats;
import static dev.sonnx.runtime.ops.tensor.Check.iota;
import static dev.sonnx.runtime.ops.tensor.Check.shape;

import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

class PadTest {

    private static Tensor longs(long... v) {
        return Tensor.of(v, v.length);
    }

    private static Tensor pad(int opset, String mode, Tensor x, long... pads) {
        return OpTester.of("Pad", opset).attr("mode", mode).inputs(2).run(x, longs(pads))[0];
    }

    @Test
    void constantWithValueAndCropping() {
        Tensor x = iota(2, 2); // 0 1 / 2 3
        Tensor y = OpTester.of("Pad", 13).inputs(3).run(x, longs(1, 0, 0, 1), Tensor.scalar(9f))[0];
        floats(y, shape(3, 3), 9, 9, 9, 0, 1, 9, 2, 3, 9);
        // negative pads crop
        floats(pad(13, "constant", iota(3, 3), -1, 1, 0, -1), shape(2, 3), 0, 3, 4, 0, 6, 7);
        Check.strings(OpTester.of("Pad", 13).inputs(3).run(Tensor.of(new String[] {"a"}, 1), longs(1, 1),
                Tensor.of(new String[] {"-"}))[0], shape(3), "-", "a", "-");
        // Pad-2 reads pads and value from attributes
        floats(OpTester.of("Pad", 2).attrInts("pads", 0, 2, 0, 0).attr("value", 1.5f).run(iota(1, 2))[0],
                shape(1, 4), 1.5, 1.5, 0, 1);
    }

    /**
     * Constant padding of float32 images against index arithmetic, the channels-last form included:
     * every pad position holds the value, every other position its X element.
     */
    @Test
    void constantPaddingOfImagesMatchesIndexArithmetic() {
        int[] in = {2, 3, 5, 7};
        float[] values = new float[2 * 3 * 5 * 7];
        java.util.Random random = new java.util.Random(11);
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        Tensor x = Tensor.of(values, in);
        long[] pads = {0, 1, 2, 0, 1, 0, 3, 2};
        int[] out = {3, 4, 10, 9};
        for (float value : new float[] {0f, -2.5f}) {
            Tensor y = inference(OpTester.of("Pad", 13).inputs(3), x, longs(pads), Tensor.scalar(value));
            Assertions.assertArrayEquals(out, y.shape());
            for (int i = 0; i < y.size(); i++) {
                int w = i % out[3];
                int h = i / out[3] % out[2];
                int c = i / (out[3] * out[2]) % out[1];
                int n = i / (out[3] * out[2] * out[1]);
                int[] at = {n - 0, c - 1, h - 2, w - 0};
                boolean inside = true;
                int flat = 0;
                for (int d = 0; d < 4; d++) {
                    inside &= at[d] >= 0 && at[d] < in[d];
                    flat = flat * in[d] + at[d];
                }
                Assertions.assertEquals(inside ? x.getFloat(flat) : value, y.getFloat(i), "Y[" + i + "]");
            }
        }
        // NhwcPad: X stored [N, H, W, C], pads in [N, C, H, W] order; Y is Pad's result stored the same way
        Tensor nhwc = toChannelsLast(x);
        Tensor y = inference(OpTester.of("dev.sonnx", "NhwcPad", 1).inputs(3), nhwc, longs(0, 0, 1, 2, 0, 0, 3, 1),
                Tensor.scalar(0f));
        Tensor plain = OpTester.of("Pad", 13).inputs(3).run(x, longs(0, 0, 1, 2, 0, 0, 3, 1), Tensor.scalar(0f))[0];
        Assertions.assertArrayEquals(new int[] {2, 9, 10, 3}, y.shape());
        Tensor expected = toChannelsLast(plain);
        for (int i = 0; i < y.size(); i++) {
            Assertions.assertEquals(expected.getFloat(i), y.getFloat(i), "NhwcPad Y[" + i + "]");
        }
    }

    /** An inference run: nothing recorded, the path prepared plans take. */
    private static Tensor inference(OpTester pad, Tensor... inputs) {
        return pad.build().forward(inputs, TestContext.inference())[0].asTensor();
    }

    private static Tensor toChannelsLast(Tensor x) {
        return OpTester.of("Transpose", 13).attrInts("perm", 0, 2, 3, 1).run(x)[0];
    }

    @Test
    void reflectEdgeAndWrapMatchNumpy() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
        // np.pad([1,2,3], (5,4), mode) for each mode: pads wider than the input repeat the pattern
        floats(pad(13, "reflect", x, 5, 4), shape(12), 2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3);
        floats(pad(13, "edge", x, 5, 4), shape(12), 1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3);
        floats(pad(19, "wrap", x, 5, 4), shape(12), 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1);
        floats(pad(13, "reflect", iota(2, 3), 0, 2, 0, 1), shape(2, 6), 2, 1, 0, 1, 2, 1, 5, 4, 3, 4, 5, 4);
        floats(pad(13, "reflect", Tensor.of(new float[] {7}, 1), 2, 1), shape(4), 7, 7, 7, 7);
    }

    @Test
    void axesInputFromOpset18() {
        Tensor x = iota(2, 2);
        Tensor y = OpTester.of("Pad", 18).attr("mode", "edge").inputs("x", "p", "", "a")
                .run(x, longs(1, 1), null, longs(-1))[0];
        floats(y, shape(2, 4), 0, 0, 1, 1, 2, 2, 3, 3);
        fails("opset 18", () -> OpTester.of("Pad", 13).inputs(4).build());
    }

    @Test
    void errors() {
        fails("opset 19", () -> OpTester.of("Pad", 18).attr("mode", "wrap").inputs(2).build());
        fails("is not one of", () -> OpTester.of("Pad", 13).attr("mode", "mirror").inputs(2).build());
        fails("expected 4", () -> pad(13, "constant", iota(2, 2), 1, 1));
        fails("length of -1", () -> pad(13, "constant", iota(2), -2, -1));
        fails("no elements", () -> pad(13, "edge", iota(2), -2, 1));
    }

    @Test
    void gradients() {
        Tensor x = GradCheck.random(3, -1, 1, 3, 4);
        for (String mode : new String[] {"constant", "reflect", "edge"}) {
            GradCheck.of(OpTester.of("Pad", 13).attr("mode", mode).inputs(2).build())
                    .check(new Tensor[] {x, longs(2, 1, 1, 3)}, 0);
        }
        GradCheck.of(OpTester.of("Pad", 19).attr("mode", "wrap").inputs(2).build())
                .check(new Tensor[] {x, longs(1, -1, 2, 5)}, 0);
    }
}
