package dev.sonnx.runtime.ops.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

class ResizeTest {

    private static Tensor scales(float... s) {
        return Tensor.of(s, s.length);
    }

    private static Tensor sizes(long... s) {
        return Tensor.of(s, s.length);
    }

    private static void assertClose(double[] expected, Tensor actual, double tol) {
        assertEquals(expected.length, actual.size(), "element count");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual.getDouble(i), tol, "element " + i);
        }
    }

    @Test
    void nearestUpsampleRepeatsPixels() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
        Tensor y = OpTester.of("Resize", 13).attr("mode", "nearest").inputs("x", "", "s").build()
                .forward(new Tensor[] {x, null, scales(1, 1, 2, 3)}, new dev.sonnx.runtime.testing.TestContext(false))[0]
                .asTensor();
        assertArrayEquals(new int[] {1, 1, 4, 6}, y.shape());
        assertArrayEquals(new float[] {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4},
                y.toFloatArray());
    }

    @Test
    void linearHalfPixelUpsampleByHand() {
        // in [0, 10]; out 4 samples at half_pixel x = (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25
        // clamped edge: 0, 2.5, 7.5, 10
        Tensor x = Tensor.of(new float[] {0, 10}, 1, 2);
        Tensor y = OpTester.of("Resize", 13).attr("mode", "linear").inputs("x", "", "s").run(x, null,
                scales(1, 2))[0];
        assertArrayEquals(new float[] {0, 2.5f, 7.5f, 10}, y.toFloatArray());
    }

    @Test
    void alignCornersAndAsymmetricByHand() {
        Tensor x = Tensor.of(new double[] {0, 3, 6}, 3);
        // align_corners to 5: x_in = i * 2 / 4 = 0, .5, 1, 1.5, 2
        Tensor a = OpTester.of("Resize", 13).attr("mode", "linear").attr("coordinate_transformation_mode",
                "align_corners").inputs("x", "", "", "sz").run(x, null, null, sizes(5))[0];
        assertClose(new double[] {0, 1.5, 3, 4.5, 6}, a, 1e-12);
        // asymmetric to 6 (scale 2): x_in = i / 2 = 0, .5, 1, 1.5, 2, 2.5 (edge)
        Tensor b = OpTester.of("Resize", 13).attr("mode", "linear").attr("coordinate_transformation_mode",
                "asymmetric").inputs("x", "", "s").run(x, null, scales(2))[0];
        assertClose(new double[] {0, 1.5, 3, 4.5, 6, 6}, b, 1e-12);
    }

    @Test
    void cubicAtIntegerCoordinatesKeepsSamples() {
        // asymmetric with scale 1 maps every output to an input sample exactly: Keys' kernel is 1 there
        Tensor x = Tensor.of(new double[] {1, 5, -2, 7, 3}, 5);
        Tensor y = OpTester.of("Resize", 13).attr("mode", "cubic").attr("coordinate_transformation_mode",
                "asymmetric").inputs("x", "", "s").run(x, null, scales(2))[0];
        for (int i = 0; i < 5; i++) {
            assertEquals(x.getDouble(i), y.getDouble(2 * i), 1e-12);
        }
        // between samples 1 and 2 (t = 0.5), a = -0.75: weights -0.09375, 0.59375, 0.59375, -0.09375
        double mid = -0.09375 * 1 + 0.59375 * 5 + 0.59375 * -2 + -0.09375 * 7;
        assertEquals(mid, y.getDouble(3), 1e-12);
    }

    @Test
    void tfCropAndResizeExtrapolates() {
        Tensor x = Tensor.of(new float[] {0, 10, 20, 30}, 4);
        Tensor roi = Tensor.of(new float[] {0.5f, 1.5f}, 2);
        // x_in = 0.5 * 3 + i * 1.0 * 3 / 2 = 1.5, 3, 4.5 -> 15, 30, extrapolated
        Tensor y = OpTester.of("Resize", 13).attr("mode", "linear").attr("coordinate_transformation_mode",
                "tf_crop_and_resize").attr("extrapolation_value", -1f).inputs("x", "r", "", "sz")
                .run(x, roi, null, sizes(3))[0];
        assertArrayEquals(new float[] {15, 30, -1}, y.toFloatArray());
    }

    @Test
    void nearestModesAndLegacyUpsample() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
        // half_pixel to 2: x_in = 0.25, 1.75: floor -> 0, 1; ceil -> 1, 2
        Tensor floor = OpTester.of("Resize", 13).attr("nearest_mode", "floor").inputs("x", "", "", "sz")
                .run(x, null, null, sizes(2))[0];
        assertArrayEquals(new float[] {1, 2}, floor.toFloatArray());
        Tensor ceil = OpTester.of("Resize", 13).attr("nearest_mode", "ceil").inputs("x", "", "", "sz")
                .run(x, null, null, sizes(2))[0];
        assertArrayEquals(new float[] {2, 3}, ceil.toFloatArray());
        // Upsample-7: asymmetric, floor(i / 2)
        Tensor up = OpTester.of("Upsample", 7).attrFloats("scales", 2f).inputs(1).run(x)[0];
        assertArrayEquals(new float[] {1, 1, 2, 2, 3, 3}, up.toFloatArray());
        Tensor lin = OpTester.of("Upsample", 9).attr("mode", "linear").inputs(2).run(x, scales(2))[0];
        assertArrayEquals(new float[] {1, 1.5f, 2, 2.5f, 3, 3}, lin.toFloatArray());
    }

    @Test
    void nearestWorksOnAnyType() {
        Tensor s = Tensor.of(new String[] {"a", "b"}, 2);
        Tensor y = OpTester.of("Resize", 13).inputs("x", "", "s").run(s, null, scales(2))[0];
        assertArrayEquals(new String[] {"a", "a", "b", "b"}, y.strings());
        Tensor i = Tensor.fromLongs(DataType.INT8, new long[] {-3, 4}, 2);
        Tensor yi = OpTester.of("Resize", 13).inputs("x", "", "s").run(i, null, scales(1.5f))[0];
        assertEquals(DataType.INT8, yi.dtype());
        // half_pixel: x_in = -1/6, 1/2, 7/6; round_prefer_floor takes 1/2 down
        assertArrayEquals(new long[] {-3, -3, 4}, yi.toLongArray());
    }

    @Test
    void linearOnIntegersRoundsAndEmptyInputsWork() {
        Tensor x = Tensor.fromLongs(DataType.UINT8, new long[] {0, 255}, 2);
        Tensor y = OpTester.of("Resize", 13).attr("mode", "linear").attr("coordinate_transformation_mode",
                "align_corners").inputs("x", "", "", "sz").run(x, null, null, sizes(3))[0];
        assertArrayEquals(new long[] {0, 128, 255}, y.toLongArray());
        Tensor empty = Tensor.zeros(DataType.FLOAT, 0, 3);
        Tensor e = OpTester.of("Resize", 13).attr("mode", "linear").inputs("x", "", "s").run(empty, null,
                scales(1, 2))[0];
        assertArrayEquals(new int[] {0, 6}, e.shape());
    }

    @Test
    void antialiasMatchesPyTorch() {
        // x[i] = i^2 mod 7 over [1, 1, 4, 8]; expected values from torch.nn.functional.interpolate
        // (antialias=True, align_corners=False). torch drops taps outside the image, which is ONNX's
        // exclude_outside = 1, and its antialiased bicubic uses a = -0.5.
        double[] data = new double[32];
        for (int i = 0; i < 32; i++) {
            data[i] = (double) i * i % 7;
        }
        Tensor x = Tensor.of(data, 1, 1, 4, 8);
        Tensor lin = OpTester.of("Resize", 18).attr("mode", "linear").attr("antialias", 1L)
                .attr("exclude_outside", 1L).inputs("x", "", "", "sz").run(x, null, null, sizes(1, 1, 2, 3))[0];
        assertClose(new double[] {2.1052631578947363, 2.452380952380952, 1.236842105263158, 2.556390977443609,
                1.738095238095238, 1.845864661654135}, lin, 1e-9);
        Tensor cub = OpTester.of("Resize", 18).attr("mode", "cubic").attr("antialias", 1L).attr("cubic_coeff_a", -0.5f)
                .attr("exclude_outside", 1L).inputs("x", "", "", "sz").run(x, null, null, sizes(1, 1, 3, 3))[0];
        assertClose(new double[] {1.661342800291211, 2.76298376934032, 1.2106349615187655, 2.6922106078302366,
                2.227329474202795, 1.1230986710460764, 2.6298595694718365, 1.3163620684990245,
                2.2522523681215154}, cub, 1e-9);
    }

    @Test
    void axesAndKeepAspectRatio() {
        Tensor x = Tensor.zeros(DataType.FLOAT, 1, 2, 4, 6);
        // not_larger: scale = min(2/4, 6/6) = 0.5 -> [2, 3]; not_smaller: max -> 1.0 -> [4, 6]
        Tensor a = OpTester.of("Resize", 18).attrInts("axes", 2, 3).attr("keep_aspect_ratio_policy", "not_larger")
                .inputs("x", "", "", "sz").run(x, null, null, sizes(2, 6))[0];
        assertArrayEquals(new int[] {1, 2, 2, 3}, a.shape());
        Tensor b = OpTester.of("Resize", 18).attrInts("axes", -1, -2).attr("keep_aspect_ratio_policy", "not_smaller")
                .inputs("x", "", "", "sz").run(x, null, null, sizes(3, 2))[0];
        // scales 3/6 and 2/4: both 0.5 -> [2, 3]
        assertArrayEquals(new int[] {1, 2, 2, 3}, b.shape());
        Tensor c = OpTester.of("Resize", 18).attrInts("axes", 3).inputs("x", "", "s").run(x, null, scales(0.5f))[0];
        assertArrayEquals(new int[] {1, 2, 4, 3}, c.shape());
    }

    @Test
    void halfPixelSymmetricCentersTheCrop() {
        // in 4 -> scale 0.6: output 2 (of 2.4). adjustment 2 / 2.4; offset = 2 * (1 - 2 / 2.4) = 1/3
        // x_in = 1/3 + (i + 0.5) / 0.6 - 0.5 = 0.6667, 2.3333
        Tensor x = Tensor.of(new double[] {0, 3, 6, 9}, 4);
        Tensor y = OpTester.of("Resize", 19).attr("mode", "linear").attr("coordinate_transformation_mode",
                "half_pixel_symmetric").inputs("x", "", "s").run(x, null, scales(0.6f))[0];
        double scale = 0.6f;
        double off = 2 * (1 - 2 / (4 * scale));
        assertClose(new double[] {3 * (off + 0.5 / scale - 0.5), 3 * (off + 1.5 / scale - 0.5)}, y, 1e-9);
    }

    @Test
    void errorsNameTheProblem() {
        Tensor x = Tensor.zeros(DataType.FLOAT, 2, 2);
        Exception both = assertThrows(IllegalArgumentException.class, () -> OpTester.of("Resize", 13)
                .inputs("x", "", "s", "sz").run(x, null, scales(1, 1), sizes(2, 2)));
        assertTrue(both.getMessage().contains("both"), both.getMessage());
        Exception count = assertThrows(IllegalArgumentException.class, () -> OpTester.of("Resize", 13)
                .inputs("x", "", "s").run(x, null, scales(2)));
        assertTrue(count.getMessage().contains("expected 2"), count.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("Resize", 13).attr("mode", "area").build());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("Resize", 18)
                .attr("coordinate_transformation_mode", "tf_half_pixel_for_nn").build());
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("Upsample", 10).inputs(2).build());
    }

    // ------------------------------------------------------------------ gradients

    @Test
    void gradientNearestAndLinear() {
        for (String mode : new String[] {"nearest", "linear", "cubic"}) {
            Operator up = OpTester.of("Resize", 13).attr("mode", mode).inputs("x", "", "s").build();
            GradCheck.of(up).check(new Tensor[] {GradCheck.random(1, -1, 1, 1, 2, 3, 4), null,
                    scales(1, 1, 2, 1.5f)}, 0);
            Operator down = OpTester.of("Resize", 13).attr("mode", mode).inputs("x", "", "", "sz").build();
            GradCheck.of(down).check(new Tensor[] {GradCheck.random(2, -1, 1, 1, 1, 5, 7), null, null,
                    sizes(1, 1, 3, 4)}, 0);
        }
        Operator aa = OpTester.of("Resize", 18).attr("mode", "linear").attr("antialias", 1L)
                .attr("coordinate_transformation_mode", "align_corners").inputs("x", "", "", "sz").build();
        GradCheck.of(aa).check(new Tensor[] {GradCheck.random(3, -1, 1, 2, 9), null, null, sizes(2, 4)}, 0);
        Operator crop = OpTester.of("Resize", 13).attr("mode", "linear")
                .attr("coordinate_transformation_mode", "tf_crop_and_resize").inputs("x", "r", "", "sz").build();
        GradCheck.of(crop).check(new Tensor[] {GradCheck.random(4, -1, 1, 5), Tensor.of(new double[] {0.2, 1.3}, 2),
                null, sizes(6)}, 0);
    }

    @Test
    void gradientUpsample() {
        Operator nearest = OpTester.of("Upsample", 9).inputs(2).build();
        GradCheck.of(nearest).check(new Tensor[] {GradCheck.random(5, -1, 1, 1, 2, 2, 3), scales(1, 1, 2, 2)}, 0);
        Operator linear = OpTester.of("Upsample", 7).attr("mode", "linear").attrFloats("scales", 1, 1, 3, 2)
                .inputs(1).build();
        GradCheck.of(linear).check(new Tensor[] {GradCheck.random(6, -1, 1, 1, 1, 3, 3)}, 0);
    }

    @Test
    void float32GradientMatchesAdjoint() {
        // <resize(x), g> = <x, resize^T(g)> for a float32 pass
        Operator op = OpTester.of("Resize", 13).attr("mode", "linear").inputs("x", "", "s").build();
        Tensor x = Tensor.of(new float[] {1, -2, 3, 0.5f, 2, -1}, 2, 3);
        var ctx = new dev.sonnx.runtime.testing.TestContext(false);
        Tensor[] in = {x, null, scales(2, 2)};
        Tensor y = op.forward(in, ctx)[0].asTensor();
        Tensor g = Tensor.zeros(DataType.FLOAT, y.shape());
        double lhs = 0;
        for (int i = 0; i < g.size(); i++) {
            g.setDouble(i, Math.sin(i));
            lhs += y.getDouble(i) * g.getDouble(i);
        }
        Tensor gx = op.backward(new dev.sonnx.runtime.ops.BackwardContext(in, new Tensor[] {y}, new Tensor[] {g},
                new boolean[] {true, false, false}, null, ctx))[0];
        double rhs = 0;
        for (int i = 0; i < x.size(); i++) {
            rhs += x.getDouble(i) * gx.getDouble(i);
        }
        assertEquals(DataType.FLOAT, gx.dtype());
        assertEquals(lhs, rhs, 1e-4);
    }
}
