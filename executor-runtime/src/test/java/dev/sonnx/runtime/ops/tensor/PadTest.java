package dev.sonnx.runtime.ops.tensor;

import static dev.sonnx.runtime.ops.tensor.Check.fails;
import static dev.sonnx.runtime.ops.tensor.Check.floats;
import static dev.sonnx.runtime.ops.tensor.Check.iota;
import static dev.sonnx.runtime.ops.tensor.Check.shape;

import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
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
