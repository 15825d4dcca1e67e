package dev.sonnx.runtime.ops.conv;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The direct depthwise kernel (used when oneDNN is unavailable) against the direct-loop reference,
 * on 1-D and 2-D geometries with channel multipliers, strides, dilations and asymmetric pads.
 */
class DepthwiseConvTest {

    @Test
    void matchesTheReference() {
        SplittableRandom r = new SplittableRandom(61);
        for (int i = 0; i < 80; i++) {
            int rank = 1 + r.nextInt(2);
            int groups = 2 + r.nextInt(4);
            int multiplier = 1 + r.nextInt(3);
            int n = 1 + r.nextInt(2);
            int[] image = new int[rank];
            int[] k = new int[rank];
            int[] s = new int[rank];
            int[] d = new int[rank];
            int[] pb = new int[rank];
            int[] pe = new int[rank];
            int[] out = new int[rank];
            for (int j = 0; j < rank; j++) {
                k[j] = 1 + r.nextInt(4);
                s[j] = 1 + r.nextInt(3);
                d[j] = 1 + r.nextInt(2);
                pb[j] = r.nextInt(3);
                pe[j] = r.nextInt(3);
                image[j] = (k[j] - 1) * d[j] + 1 + r.nextInt(12);
                out[j] = (image[j] + pb[j] + pe[j] - ((k[j] - 1) * d[j] + 1)) / s[j] + 1;
            }
            int m = groups * multiplier;
            int[] xs = ConvTest.concat(n, groups, image);
            int[] ws = ConvTest.concat(m, 1, k);
            boolean bias = r.nextBoolean();
            double[] x = ConvTest.rounded(DataType.FLOAT, ConvReference.random(900 + i, ConvReference.size(xs)));
            double[] w = ConvTest.rounded(DataType.FLOAT, ConvReference.random(1000 + i, ConvReference.size(ws)));
            double[] b = bias ? ConvTest.rounded(DataType.FLOAT, ConvReference.random(1100 + i, m)) : null;
            double[] expected = ConvReference.conv(x, xs, w, ws, b, groups, s, d, pb, out);
            Window window = new Window(image, k, s, d, pb, pe, out);
            assertTrue(DepthwiseConv.applies(window, 1, groups));
            Tensor y = Tensor.zeros(DataType.FLOAT, ConvTest.concat(n, m, out));
            new DepthwiseConv(window, n, groups, multiplier).forward(Tensor.fromDoubles(DataType.FLOAT, x, xs).floats(),
                    Tensor.fromDoubles(DataType.FLOAT, w, ws).floats(),
                    bias ? Tensor.fromDoubles(DataType.FLOAT, b, m).floats() : null, y.floats(), CpuDevice.get());
            ConvTest.assertClose(expected, y, 1e-5, 1e-5, "case " + i + " " + window);
        }
    }

    @Test
    void appliesOnlyToDepthwiseOneAndTwoDimensionalWindows() {
        Window w2 = new Window(new int[] {4, 4}, new int[] {3, 3}, new int[] {1, 1}, new int[] {1, 1}, new int[2],
                new int[2], new int[] {2, 2});
        Window w3 = new Window(new int[] {4, 4, 4}, new int[] {3, 3, 3}, new int[] {1, 1, 1}, new int[] {1, 1, 1},
                new int[3], new int[3], new int[] {2, 2, 2});
        assertTrue(DepthwiseConv.applies(w2, 1, 8));
        assertFalse(DepthwiseConv.applies(w2, 2, 8));
        assertFalse(DepthwiseConv.applies(w2, 1, 1));
        assertFalse(DepthwiseConv.applies(w3, 1, 8));
    }
}
