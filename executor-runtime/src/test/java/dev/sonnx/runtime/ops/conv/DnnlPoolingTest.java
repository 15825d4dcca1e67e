package dev.sonnx.runtime.ops.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlPooling;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** MaxPool and AveragePool through oneDNN (float32 inference) against the direct-loop reference. */
class DnnlPoolingTest {

    /** An inference run: nothing recorded, so MaxPool may take oneDNN. */
    private static final OpContext INFERENCE = TestContext.inference();

    @Test
    void maxAndAverageMatchTheReference() {
        SplittableRandom r = new SplittableRandom(71);
        int viaDnnl = 0;
        for (int i = 0; i < 60; i++) {
            PoolTest.RandomPool c = PoolTest.RandomPool.of(r, true);
            double[] x = ConvTest.rounded(DataType.FLOAT,
                    ConvReference.random(1600 + i, c.n * c.c * ConvReference.size(c.ref.image)));
            Tensor xt = Tensor.fromDoubles(DataType.FLOAT, x, c.xShape());
            Window w = new Window(c.ref.image, c.ref.kernel, c.ref.strides, c.ref.dilations, c.ref.padBegin,
                    c.ref.padEnd, c.ref.out);
            if (DnnlPooling.create(DnnlPooling.Kind.MAX, c.xShape(), ConvTest.concat(c.n, c.c, c.ref.out), w.kernel(),
                    w.strides(), w.dilations(), w.padBegin(), w.padEndCoveringPositions()) != null) {
                viaDnnl++;
            }
            double[] max = c.ref.poolAll(x, c.n * c.c, PoolReference.Kind.MAX, 0, null);
            Tensor y = c.tester("MaxPool", 12).build().forward(new Tensor[] {xt}, INFERENCE)[0].asTensor();
            ConvTest.assertClose(max, y, 0, 0, "MaxPool " + c);
            for (boolean include : new boolean[] {false, true}) {
                double[] avg = c.ref.poolAll(x, c.n * c.c,
                        include ? PoolReference.Kind.AVERAGE_INCLUDE_PAD : PoolReference.Kind.AVERAGE_EXCLUDE_PAD,
                        0, null);
                Tensor ya = c.tester("AveragePool", 19).attr("count_include_pad", include ? 1 : 0).build()
                        .forward(new Tensor[] {xt}, INFERENCE)[0].asTensor();
                ConvTest.assertClose(avg, ya, 1e-6, 1e-5, "AveragePool include=" + include + " " + c);
            }
        }
        // most random geometries (pads smaller than the kernel) are oneDNN's to run
        assertTrue(viaDnnl > 30, "only " + viaDnnl + " of 60 cases ran on oneDNN");
    }

    @Test
    void nanIsIgnoredAsByTheGenericKernel() {
        Tensor x = Tensor.of(new float[] {1, Float.NaN, 3, Float.NaN, Float.NaN, 0}, 1, 1, 6);
        Tensor y = OpTester.of("MaxPool", 12).inputs(1).attrInts("kernel_shape", 2).build()
                .forward(new Tensor[] {x}, INFERENCE)[0].asTensor();
        assertArrayEquals(new float[] {1, 3, 3, -Float.MAX_VALUE, 0}, y.toFloatArray());
    }

    @Test
    void resnetStemPool() {
        int[] xs = {1, 4, 12, 12};
        assertNotNull(DnnlPooling.create(DnnlPooling.Kind.MAX, xs, new int[] {1, 4, 6, 6}, new int[] {3, 3},
                new int[] {2, 2}, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}));
        double[] x = ConvReference.random(1700, ConvReference.size(xs));
        PoolReference ref = new PoolReference(new int[] {12, 12}, new int[] {3, 3}, new int[] {2, 2}, new int[] {1, 1},
                new int[] {1, 1}, new int[] {1, 1}, false);
        Tensor y = OpTester.of("MaxPool", 12).inputs(1).attrInts("kernel_shape", 3, 3)
                .attrInts("strides", 2, 2).attrInts("pads", 1, 1, 1, 1).build()
                .forward(new Tensor[] {Tensor.fromDoubles(DataType.FLOAT, x, xs)}, INFERENCE)[0].asTensor();
        double[] expected = ref.poolAll(ConvTest.rounded(DataType.FLOAT, x), 4, PoolReference.Kind.MAX, 0, null);
        ConvTest.assertClose(expected, y, 0, 0, "stem");
    }
}
