package dev.sonnx.runtime.ops.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

/** GridSample, AffineGrid, RoiAlign, MaxRoiPool, NonMaxSuppression, CenterCropPad. */
class GeometryOpsTest {

    private static void assertClose(double[] expected, Tensor actual, double tol) {
        assertEquals(expected.length, actual.size(), "element count");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.getDouble(i), tol, "element " + i);
        }
    }

    // ------------------------------------------------------------------ GridSample

    private static final Tensor IMAGE = Tensor.of(new double[] {1, 2, 3, 4}, 1, 1, 2, 2);

    private static Tensor grid(double... xy) {
        return Tensor.of(xy, 1, 1, xy.length / 2, 2);
    }

    @Test
    void gridSampleBilinearAlignCorners() {
        // align_corners: -1 and 1 are the corner pixels' centers; (x, y) = (0, 0) is the middle
        Tensor y = OpTester.of("GridSample", 16).attr("align_corners", 1L).inputs(2)
                .run(IMAGE, grid(-1, -1, 1, -1, 0, 0, -1, 1, 0.5, 1))[0];
        assertClose(new double[] {1, 2, 2.5, 3, 3.75}, y, 1e-12);
    }

    @Test
    void gridSamplePaddingModes() {
        // without align_corners, x = -1 is the left border (pixel -0.5): (-1.5, -1) lies at u = -1
        Tensor g = grid(-1.5, -1);
        double zeros = OpTester.of("GridSample", 16).inputs(2).run(IMAGE, g)[0].getDouble(0);
        double border = OpTester.of("GridSample", 16).attr("padding_mode", "border").inputs(2).run(IMAGE, g)[0]
                .getDouble(0);
        // y = -1 -> v = -0.5: half of row 0 and nothing (zero) for row -1 with zeros padding
        assertEquals(0, zeros, 1e-12);
        assertEquals(1, border, 1e-12);
        // reflection with align_corners: x = 1.5 -> u = 1.25, mirrored about 1 -> 0.75
        double refl = OpTester.of("GridSample", 16).attr("padding_mode", "reflection").attr("align_corners", 1L)
                .inputs(2).run(IMAGE, grid(1.5, -1))[0].getDouble(0);
        assertEquals(0.25 * 1 + 0.75 * 2, refl, 1e-12);
    }

    @Test
    void gridSampleNearestAndCubicOnPixels() {
        Tensor g = grid(-1, -1, 1, -1, -1, 1, 1, 1);
        Tensor n = OpTester.of("GridSample", 16).attr("mode", "nearest").attr("align_corners", 1L).inputs(2)
                .run(IMAGE, g)[0];
        assertClose(new double[] {1, 2, 3, 4}, n, 0);
        Tensor c = OpTester.of("GridSample", 16).attr("mode", "bicubic").attr("align_corners", 1L)
                .attr("padding_mode", "border").inputs(2).run(IMAGE, g)[0];
        assertClose(new double[] {1, 2, 3, 4}, c, 1e-12);
        // nearest rounds half to even: u = 0.5 -> 0
        Tensor h = OpTester.of("GridSample", 16).attr("mode", "nearest").attr("align_corners", 1L).inputs(2)
                .run(IMAGE, grid(0, -1))[0];
        assertEquals(1, h.getDouble(0), 0);
    }

    @Test
    void gridSampleNd() {
        Tensor x = Tensor.of(new double[] {0, 10, 20}, 1, 1, 3);
        Tensor y = OpTester.of("GridSample", 20).attr("align_corners", 1L).inputs(2)
                .run(x, Tensor.of(new double[] {-1, 0.5}, 1, 2, 1))[0];
        assertClose(new double[] {0, 15}, y, 1e-12);
        // 3-D: f(d, h, w) = d + 10 h + 100 w is reproduced exactly by trilinear sampling
        double[] v = new double[2 * 3 * 4];
        for (int d = 0; d < 2; d++) {
            for (int h = 0; h < 3; h++) {
                for (int w = 0; w < 4; w++) {
                    v[(d * 3 + h) * 4 + w] = d + 10 * h + 100 * w;
                }
            }
        }
        Tensor vol = Tensor.of(v, 1, 1, 2, 3, 4);
        // grid lists (x = w, y = h, z = d); align_corners: u = (g + 1) / 2 * (size - 1)
        Tensor g = Tensor.of(new double[] {0.2, -0.4, 0.6}, 1, 1, 1, 1, 3);
        double w = 1.2 / 2 * 3;
        double h = 0.6 / 2 * 2;
        double d = 1.6 / 2 * 1;
        Tensor out = OpTester.of("GridSample", 20).attr("align_corners", 1L).inputs(2).run(vol, g)[0];
        assertEquals(d + 10 * h + 100 * w, out.getDouble(0), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("GridSample", 20).attr("mode", "bilinear")
                .build());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("GridSample", 16).inputs(2)
                .run(x, Tensor.of(new double[] {0}, 1, 1, 1)));
    }

    @Test
    void gridSampleGradients() {
        Tensor x = GradCheck.random(1, -1, 1, 2, 2, 3, 4);
        Tensor grid = GradCheck.random(2, -1.3, 1.3, 2, 3, 2, 2);
        for (String pad : new String[] {"zeros", "border", "reflection"}) {
            for (long align : new long[] {0, 1}) {
                for (String mode : new String[] {"bilinear", "bicubic"}) {
                    GradCheck.of(OpTester.of("GridSample", 16).attr("mode", mode).attr("padding_mode", pad)
                            .attr("align_corners", align).inputs(2).build()).check(new Tensor[] {x, grid}, 0, 1);
                }
            }
        }
        GradCheck.of(OpTester.of("GridSample", 16).attr("mode", "nearest").inputs(2).build())
                .check(new Tensor[] {x, grid}, 0, 1);
        // 3-D linear (GridSample-20)
        GradCheck.of(OpTester.of("GridSample", 20).attr("padding_mode", "border").inputs(2).build())
                .check(new Tensor[] {GradCheck.random(3, -1, 1, 1, 2, 2, 3, 3), GradCheck.random(4, -1.2, 1.2, 1, 2, 1, 2, 3)},
                        0, 1);
    }

    // ------------------------------------------------------------------ AffineGrid

    @Test
    void affineGridIdentity() {
        Tensor theta = Tensor.of(new double[] {1, 0, 0, 0, 1, 0}, 1, 2, 3);
        Tensor g = OpTester.of("AffineGrid", 20).inputs(2).run(theta, Tensor.of(new long[] {1, 1, 2, 3}, 4))[0];
        assertArrayEquals(new int[] {1, 2, 3, 2}, g.shape());
        double t = 2.0 / 3;
        assertClose(new double[] {-t, -0.5, 0, -0.5, t, -0.5, -t, 0.5, 0, 0.5, t, 0.5}, g, 1e-12);
        Tensor ga = OpTester.of("AffineGrid", 20).attr("align_corners", 1L).inputs(2)
                .run(theta, Tensor.of(new long[] {1, 1, 2, 3}, 4))[0];
        assertClose(new double[] {-1, -1, 0, -1, 1, -1, -1, 1, 0, 1, 1, 1}, ga, 1e-12);
    }

    @Test
    void affineGrid3dTranslationAndGradient() {
        // x' = x + 0.5 (translation), others identity
        Tensor theta = Tensor.of(new double[] {1, 0, 0, 0.5, 0, 1, 0, 0, 0, 0, 1, 0}, 1, 3, 4);
        Tensor size = Tensor.of(new long[] {1, 1, 2, 1, 2}, 5);
        Tensor g = OpTester.of("AffineGrid", 20).attr("align_corners", 1L).inputs(2).run(theta, size)[0];
        assertArrayEquals(new int[] {1, 2, 1, 2, 3}, g.shape());
        // points (x, y, z): x in {-1, 1}, y = 0 (size 1), z in {-1, 1}
        assertClose(new double[] {-0.5, 0, -1, 1.5, 0, -1, -0.5, 0, 1, 1.5, 0, 1}, g, 1e-12);
        GradCheck.of(OpTester.of("AffineGrid", 20).inputs(2).build()).check(new Tensor[] {
            GradCheck.random(1, -1, 1, 2, 2, 3), Tensor.of(new long[] {2, 3, 3, 4}, 4)}, 0);
    }

    // ------------------------------------------------------------------ RoiAlign, MaxRoiPool

    @Test
    void roiAlignAveragesBilinearSamples() {
        // X = 10 y + x is linear, so every interior bilinear sample equals 10 y + x at its point
        double[] v = new double[16];
        for (int i = 0; i < 16; i++) {
            v[i] = 10 * (i / 4) + i % 4;
        }
        Tensor x = Tensor.of(v, 1, 1, 4, 4);
        Tensor rois = Tensor.of(new double[] {0, 0, 2, 2}, 1, 4);
        Tensor batch = Tensor.of(new long[] {0}, 1);
        // version 10 (no half-pixel shift): one bin, 2 x 2 samples at 0.5 and 1.5 -> mean point (1, 1)
        Tensor y = OpTester.of("RoiAlign", 10).attr("sampling_ratio", 2L).inputs(3).run(x, rois, batch)[0];
        assertEquals(11, y.getDouble(0), 1e-12);
        // half_pixel: corners shift by -0.5: samples at 0 and 1 -> mean point (0.5, 0.5)
        Tensor z = OpTester.of("RoiAlign", 16).attr("sampling_ratio", 2L).inputs(3).run(x, rois, batch)[0];
        assertEquals(5.5, z.getDouble(0), 1e-12);
        // 2 x 2 bins, adaptive sampling (ceil(2 / 2) = 1 sample per bin at the bin centers 0.5, 1.5)
        Tensor w = OpTester.of("RoiAlign", 10).attr("output_height", 2L).attr("output_width", 2L).inputs(3)
                .run(x, rois, batch)[0];
        assertClose(new double[] {5.5, 6.5, 15.5, 16.5}, w, 1e-12);
    }

    @Test
    void roiAlignMaxTakesLargestWeightedCorner() {
        Tensor x = Tensor.of(new double[] {4, 4, 4, 4}, 1, 1, 2, 2);
        // one sample at (0.5, 0.5): every corner weighs 0.25, so the onnxruntime max is 0.25 * 4
        Tensor y = OpTester.of("RoiAlign", 10).attr("mode", "max").attr("sampling_ratio", 1L).inputs(3)
                .run(x, Tensor.of(new double[] {0, 0, 1, 1}, 1, 4), Tensor.of(new long[] {0}, 1))[0];
        assertEquals(1, y.getDouble(0), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("RoiAlign", 16).inputs(3)
                .run(x, Tensor.of(new double[] {0, 0, 1, 1}, 1, 4), Tensor.of(new long[] {1}, 1)));
    }

    @Test
    void roiAlignGradients() {
        Tensor x = GradCheck.random(1, -1, 1, 2, 2, 5, 6);
        // regions partly outside the image, on both images
        Tensor rois = Tensor.of(new double[] {0.3, 0.2, 4.1, 3.3, -1.2, 1.1, 2.4, 5.7, 2.2, 0.1, 6.5, 2.9}, 3, 4);
        Tensor batch = Tensor.of(new long[] {0, 1, 1}, 3);
        GradCheck.of(OpTester.of("RoiAlign", 16).attr("output_height", 2L).attr("output_width", 3L).inputs(3)
                .build()).check(new Tensor[] {x, rois, batch}, 0);
        GradCheck.of(OpTester.of("RoiAlign", 10).attr("output_height", 3L).attr("output_width", 2L)
                .attr("sampling_ratio", 2L).attr("spatial_scale", 0.8f).inputs(3).build())
                .check(new Tensor[] {x, rois, batch}, 0);
        GradCheck.of(OpTester.of("RoiAlign", 16).attr("mode", "max").attr("output_height", 2L)
                .attr("output_width", 2L).inputs(3).build()).check(new Tensor[] {x, rois, batch}, 0);
    }

    @Test
    void maxRoiPoolByHand() {
        double[] v = new double[16];
        for (int i = 0; i < 16; i++) {
            v[i] = i;
        }
        Tensor x = Tensor.of(v, 1, 1, 4, 4);
        Tensor rois = Tensor.of(new double[] {0, 0, 0, 3, 3, 0, 1, 1, 1.6, 1.4}, 2, 5);
        Tensor y = OpTester.of("MaxRoiPool", 1).attrInts("pooled_shape", 2, 2).inputs(2).run(x, rois)[0];
        assertArrayEquals(new int[] {2, 1, 2, 2}, y.shape());
        // roi 1: 4 x 4 in 2 x 2 bins; roi 2: corners round to (1, 1)-(2, 1): 1 row, 2 columns
        // bins of height 0.5: rows [1, 2) for both; columns [1, 2) and [2, 3)
        assertClose(new double[] {5, 7, 13, 15, 5, 6, 5, 6}, y, 0);
        GradCheck.of(OpTester.of("MaxRoiPool", 1).attrInts("pooled_shape", 2, 3).attr("spatial_scale", 0.5f).inputs(2)
                .build()).check(new Tensor[] {GradCheck.random(3, -1, 1, 2, 2, 5, 6),
                    Tensor.of(new double[] {1, 0, 1, 9, 7, 0, 2.6, 0, 11, 9}, 2, 5)}, 0);
    }

    // ------------------------------------------------------------------ NonMaxSuppression

    @Test
    void nonMaxSuppressionByHand() {
        // boxes [y1, x1, y2, x2]: 0 and 1 overlap with IoU 0.81 / 1.19; 2 is apart; 3 has zero area
        Tensor boxes = Tensor.of(new float[] {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 5, 5, 6, 6, 0, 0, 0, 1}, 1, 4, 4);
        Tensor scores = Tensor.of(new float[] {0.9f, 0.95f, 0.5f, 0.7f, 0.1f, 0.2f, 0.3f, 0.4f}, 1, 2, 4);
        Tensor max = Tensor.of(new long[] {3}, 1);
        Tensor iou = Tensor.of(new float[] {0.5f}, 1);
        Tensor y = OpTester.of("NonMaxSuppression", 11).inputs(4).run(boxes, scores, max, iou)[0];
        assertArrayEquals(new int[] {6, 3}, y.shape());
        // class 0: 1 (0.95), 3 (0.7, no area), 2 (0.5); 0 (0.9) is suppressed by 1
        // class 1: 3 (0.4), 2 (0.3), 1 (0.2), then the limit of 3 is reached
        assertArrayEquals(new long[] {0, 0, 1, 0, 0, 3, 0, 0, 2, 0, 1, 3, 0, 1, 2, 0, 1, 1}, y.toLongArray());
        Tensor thr = Tensor.of(new float[] {0.35f}, 1);
        Tensor z = OpTester.of("NonMaxSuppression", 11).inputs(5).run(boxes, scores, max, iou, thr)[0];
        assertArrayEquals(new long[] {0, 0, 1, 0, 0, 3, 0, 0, 2, 0, 1, 3}, z.toLongArray());
        Tensor none = OpTester.of("NonMaxSuppression", 10).inputs(2).run(boxes, scores)[0];
        assertArrayEquals(new int[] {0, 3}, none.shape());
    }

    @Test
    void nonMaxSuppressionCenterBoxesAndTies() {
        // [xc, yc, w, h]: equal scores keep the lower index first
        Tensor boxes = Tensor.of(new float[] {0.5f, 0.5f, 1, 1, 10, 10, 1, 1, 0.5f, 0.6f, 1, 1}, 1, 3, 4);
        Tensor scores = Tensor.of(new float[] {0.8f, 0.8f, 0.9f}, 1, 1, 3);
        Tensor y = OpTester.of("NonMaxSuppression", 11).attr("center_point_box", 1L).inputs(4)
                .run(boxes, scores, Tensor.of(new long[] {10}, 1), Tensor.of(new float[] {0.5f}, 1))[0];
        assertArrayEquals(new long[] {0, 0, 2, 0, 0, 1}, y.toLongArray());
    }

    // ------------------------------------------------------------------ CenterCropPad

    @Test
    void centerCropPadByHand() {
        double[] v = new double[10];
        for (int i = 0; i < 10; i++) {
            v[i] = i + 1;
        }
        Tensor x = Tensor.of(v, 2, 5);
        Tensor y = OpTester.of("CenterCropPad", 18).inputs(2).run(x, Tensor.of(new long[] {4, 3}, 2))[0];
        assertArrayEquals(new int[] {4, 3}, y.shape());
        assertClose(new double[] {0, 0, 0, 2, 3, 4, 7, 8, 9, 0, 0, 0}, y, 0);
        // odd differences: pad 2 -> 3 puts the extra at the end; crop 5 -> 2 starts at 1
        Tensor z = OpTester.of("CenterCropPad", 18).attrInts("axes", -1, 0).inputs(2)
                .run(x, Tensor.of(new int[] {2, 3}, 2))[0];
        assertClose(new double[] {2, 3, 7, 8, 0, 0}, z, 0);
        Tensor s = OpTester.of("CenterCropPad", 18).inputs(2).run(Tensor.of(new String[] {"a"}, 1),
                Tensor.of(new long[] {2}, 1))[0];
        assertArrayEquals(new String[] {"a", ""}, s.strings());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("CenterCropPad", 18).inputs(2)
                .run(x, Tensor.of(new long[] {4}, 1)));
        GradCheck.of(OpTester.of("CenterCropPad", 18).inputs(2).build()).check(new Tensor[] {
            GradCheck.random(1, -1, 1, 3, 4), Tensor.of(new long[] {5, 3}, 2)}, 0);
        assertEquals(DataType.DOUBLE, y.dtype());
    }
}
