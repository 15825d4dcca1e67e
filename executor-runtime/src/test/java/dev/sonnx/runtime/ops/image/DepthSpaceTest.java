package dev.sonnx.runtime.ops.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

class DepthSpaceTest {
    private static final int N = 2;
    private static final int C = 3;
    private static final int H = 2;
    private static final int W = 3;
    private static final int B = 2;

    private static Tensor depth() {
        double[] v = new double[N * C * B * B * H * W];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        return Tensor.of(v, N, C * B * B, H, W);
    }

    /**
     * The specification's definition: DCR reshapes depth to [N, b, b, C, H, W] and transposes to
     * [N, C, H, b, W, b]; CRD reshapes to [N, C, b, b, H, W] and transposes the same way.
     */
    private static double[] expectedSpace(Tensor x, boolean crd) {
        double[] out = new double[x.size()];
        int k = 0;
        for (int n = 0; n < N; n++) {
            for (int c = 0; c < C; c++) {
                for (int h = 0; h < H; h++) {
                    for (int i = 0; i < B; i++) {
                        for (int w = 0; w < W; w++) {
                            for (int j = 0; j < B; j++) {
                                int channel = crd ? (c * B + i) * B + j : (i * B + j) * C + c;
                                out[k++] = x.getDouble(((n * C * B * B + channel) * H + h) * W + w);
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    @Test
    void depthToSpaceBothModes() {
        Tensor x = depth();
        for (String mode : new String[] {"DCR", "CRD"}) {
            Tensor y = OpTester.of("DepthToSpace", 13).attr("blocksize", (long) B).attr("mode", mode).inputs(1)
                    .run(x)[0];
            assertArrayEquals(new int[] {N, C, H * B, W * B}, y.shape());
            assertArrayEquals(expectedSpace(x, mode.equals("CRD")), y.toDoubleArray(), mode);
        }
    }

    @Test
    void spaceToDepthInvertsDcr() {
        Tensor x = depth();
        Tensor space = OpTester.of("DepthToSpace", 11).attr("blocksize", (long) B).inputs(1).run(x)[0];
        Tensor back = OpTester.of("SpaceToDepth", 13).attr("blocksize", (long) B).inputs(1).run(space)[0];
        assertArrayEquals(x.shape(), back.shape());
        assertArrayEquals(x.toDoubleArray(), back.toDoubleArray());
    }

    @Test
    void spaceToDepthByHand() {
        // one 2x2 image, block 2: channels take (0,0), (0,1), (1,0), (1,1)
        Tensor x = Tensor.of(new long[] {1, 2, 3, 4}, 1, 1, 2, 2);
        Tensor y = OpTester.of("SpaceToDepth", 1).attr("blocksize", 2L).inputs(1).run(x)[0];
        assertArrayEquals(new int[] {1, 4, 1, 1}, y.shape());
        assertArrayEquals(new long[] {1, 2, 3, 4}, y.toLongArray());
    }

    @Test
    void anyTypeAndEmpty() {
        Tensor s = Tensor.of(new String[] {"a", "b", "c", "d"}, 1, 4, 1, 1);
        Tensor y = OpTester.of("DepthToSpace", 13).attr("blocksize", 2L).inputs(1).run(s)[0];
        assertArrayEquals(new String[] {"a", "b", "c", "d"}, y.strings());
        Tensor h = Tensor.fromDoubles(DataType.FLOAT16, new double[] {1, 2, 3, 4}, 1, 4, 1, 1);
        Tensor yh = OpTester.of("DepthToSpace", 13).attr("blocksize", 2L).attr("mode", "CRD").inputs(1).run(h)[0];
        assertArrayEquals(new double[] {1, 2, 3, 4}, yh.toDoubleArray());
        Tensor e = OpTester.of("SpaceToDepth", 13).attr("blocksize", 2L).inputs(1)
                .run(Tensor.zeros(DataType.FLOAT, 0, 1, 2, 2))[0];
        assertArrayEquals(new int[] {0, 4, 1, 1}, e.shape());
    }

    @Test
    void badShapesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("DepthToSpace", 13).attr("blocksize", 2L)
                .inputs(1).run(Tensor.zeros(DataType.FLOAT, 1, 3, 2, 2)));
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("SpaceToDepth", 13).attr("blocksize", 2L)
                .inputs(1).run(Tensor.zeros(DataType.FLOAT, 1, 1, 3, 2)));
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("DepthToSpace", 13).attr("blocksize", 2L)
                .attr("mode", "XYZ").build());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("DepthToSpace", 13).inputs(1).build());
    }

    @Test
    void gradients() {
        for (String mode : new String[] {"DCR", "CRD"}) {
            GradCheck.of(OpTester.of("DepthToSpace", 13).attr("blocksize", 2L).attr("mode", mode).inputs(1).build())
                    .check(new Tensor[] {GradCheck.random(1, -1, 1, 2, 8, 2, 3)}, 0);
        }
        GradCheck.of(OpTester.of("SpaceToDepth", 13).attr("blocksize", 3L).inputs(1).build())
                .check(new Tensor[] {GradCheck.random(2, -1, 1, 1, 2, 3, 6)}, 0);
    }
}
