package dev.sonnx.runtime.ops.norm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

class LayerNormalizationTest {

    @Test
    void rowsByHand() {
        // rows {1, 3} (mean 2, variance 1) and {2, 2} (variance 0)
        Tensor x = Tensor.of(new float[] {1, 3, 2, 2}, 2, 2);
        Tensor scale = Tensor.of(new float[] {2, 3}, 2);
        Tensor bias = Tensor.of(new float[] {1, 0}, 2);
        Tensor[] out = OpTester.of("LayerNormalization", 17).inputs(3).outputs(3).attr("epsilon", 0f)
                .run(x, scale, bias);
        assertArrayEquals(new float[] {-1, 3, Float.NaN, Float.NaN}, out[0].toFloatArray(), 1e-6f);
        assertArrayEquals(new int[] {2, 1}, out[1].shape());
        assertArrayEquals(new float[] {2, 2}, out[1].toFloatArray());
        assertArrayEquals(new float[] {1, Float.POSITIVE_INFINITY}, out[2].toFloatArray());
        Tensor y = OpTester.of("LayerNormalization", 17).inputs(2).attr("epsilon", 0.25f).run(x, scale)[0];
        // row 2: x - mean = 0 whatever the epsilon; row 1: (x - 2) / sqrt(1.25) * scale
        assertArrayEquals(new float[] {(float) (-2 / Math.sqrt(1.25)), (float) (3 / Math.sqrt(1.25)), 0, 0},
                y.toFloatArray(), 1e-6f);
    }

    @Test
    void axisSelectsTheNormalizedDimensions() {
        Tensor x = GradCheck.random(1, -1, 1, 2, 3, 4);
        for (int axis : new int[] {0, 1, 2, -1, -2, -3}) {
            int a = axis < 0 ? axis + 3 : axis;
            int rows = 1;
            for (int d = 0; d < a; d++) {
                rows *= x.shape()[d];
            }
            int len = x.size() / rows;
            int[] inner = java.util.Arrays.copyOfRange(x.shape(), a, 3);
            Tensor scale = GradCheck.random(2, 0.5, 1.5, inner);
            Tensor bias = GradCheck.random(3, -1, 1, inner);
            Tensor[] out = OpTester.of("LayerNormalization", 17).inputs(3).outputs(3).attr("axis", axis)
                    .run(x, scale, bias);
            for (int r = 0; r < rows; r++) {
                double mean = 0;
                for (int j = 0; j < len; j++) {
                    mean += x.getDouble(r * len + j) / len;
                }
                double var = 0;
                for (int j = 0; j < len; j++) {
                    var += Math.pow(x.getDouble(r * len + j) - mean, 2) / len;
                }
                double inv = 1 / Math.sqrt(var + 1e-5f);  // the attribute is a float32
                for (int j = 0; j < len; j++) {
                    double want = (x.getDouble(r * len + j) - mean) * inv * scale.getDouble(j) + bias.getDouble(j);
                    assertEquals(want, out[0].getDouble(r * len + j), 1e-12, "axis " + axis);
                }
                assertEquals(mean, out[1].getDouble(r), 1e-6);
                assertEquals(inv, out[2].getDouble(r), 1e-5 * inv);
            }
            assertEquals(DataType.FLOAT, out[1].dtype(), "Mean takes stash_type, float by default");
            assertEquals(3, out[1].rank());
        }
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("LayerNormalization", 17).inputs(2)
                .attr("axis", 3).run(x, Tensor.of(new double[] {1}, 1)));
    }

    @Test
    void scaleBroadcastsOverTheNormalizedShape() {
        Tensor x = Tensor.of(new double[] {1, 3, 5, 7}, 1, 2, 2);
        Tensor scale = Tensor.of(new double[] {2}, 1);
        Tensor[] out = OpTester.of("LayerNormalization", 17).inputs(2).attr("axis", 1).attr("epsilon", 0f)
                .run(x, scale);
        // mean 4, variance (9 + 1 + 1 + 9) / 4 = 5
        double s = Math.sqrt(5);
        assertArrayEquals(new double[] {-6 / s, -2 / s, 2 / s, 6 / s}, out[0].toDoubleArray(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("LayerNormalization", 17).inputs(2)
                .attr("axis", 1).run(x, Tensor.of(new double[] {1, 2, 3}, 3)));
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("LayerNormalization", 17).attr("stash_type", 11L).inputs(2).build());
    }

    @Test
    void halfInputsAndEmptyRows() {
        Tensor x = Tensor.fromDoubles(DataType.FLOAT16, new double[] {0, 2}, 1, 2);
        Tensor scale = Tensor.fromDoubles(DataType.FLOAT16, new double[] {1, 1}, 2);
        Tensor y = OpTester.of("LayerNormalization", 17).inputs(2).attr("epsilon", 0f).run(x, scale)[0];
        assertEquals(DataType.FLOAT16, y.dtype());
        assertArrayEquals(new double[] {-1, 1}, y.toDoubleArray(), 0);
        Tensor[] empty = OpTester.of("LayerNormalization", 17).inputs(2).outputs(2).run(
                Tensor.zeros(DataType.FLOAT, 0, 3), Tensor.of(new float[] {1, 1, 1}, 3));
        assertArrayEquals(new int[] {0, 3}, empty[0].shape());
        assertArrayEquals(new int[] {0, 1}, empty[1].shape());
        Tensor[] onlyY = OpTester.of("LayerNormalization", 17).inputs(2).outputs(1)
                .run(Tensor.of(new float[] {1, 2}, 1, 2), Tensor.of(new float[] {1, 1}, 2));
        assertEquals(1, onlyY.length);
    }

    @Test
    void gradients() {
        Operator op = OpTester.of("LayerNormalization", 17).inputs(3).attr("axis", -1).build();
        Tensor x = GradCheck.random(4, -2, 2, 2, 3, 4);
        GradCheck.of(op).check(new Tensor[] {x, GradCheck.random(5, 0.5, 1.5, 4), GradCheck.random(6, -1, 1, 4)},
                0, 1, 2);
        Operator twoAxes = OpTester.of("LayerNormalization", 17).inputs(3).attr("axis", 1).build();
        GradCheck.of(twoAxes).check(new Tensor[] {x, GradCheck.random(7, 0.5, 1.5, 3, 4),
            GradCheck.random(8, -1, 1, 3, 4)}, 0, 1, 2);
        // a broadcast scale gets the sum of its positions' gradients
        GradCheck.of(twoAxes).check(new Tensor[] {x, GradCheck.random(9, 0.5, 1.5, 1, 4),
            GradCheck.random(10, -1, 1, 4)}, 0, 1, 2);
    }

    @Test
    void gradientsThroughMeanAndInvStdDev() {
        // Mean and InvStdDev are float32 (stash_type), so the differences need a coarser step
        Operator op = OpTester.of("LayerNormalization", 17).inputs(3).outputs(3).build();
        Tensor x = GradCheck.random(11, -2, 2, 3, 5);
        GradCheck.of(op).tolerance(1e-3, 1e-3, 1e-2).check(new Tensor[] {x, GradCheck.random(12, 0.5, 1.5, 5),
            GradCheck.random(13, -1, 1, 5)}, 0, 1, 2);
    }

    /**
     * The float32 inference kernel (one output, not recording) against the definition in double: rows
     * shorter and longer than its summing block, a tail that is not a multiple of its eight lanes,
     * rows centred far from zero, broadcast and omitted parameters; and the same operator under the
     * private domain that the inference passes write.
     */
    @Test
    void float32KernelMatchesTheDefinition() {
        int[][] shapes = {{4, 3}, {3, 2, 130}, {2, 600}, {1, 1}};
        for (int[] shape : shapes) {
            for (double centre : new double[] {0, 100}) {
                int len = shape[shape.length - 1];
                int rows = Shapes.size(shape) / len;
                Tensor x = GradCheck.random(5, centre - 2, centre + 2, shape);
                x = Tensor.of(x.toFloatArray(), shape);
                Tensor scale = Tensor.of(GradCheck.random(6, 0.5, 1.5, len).toFloatArray(), len);
                Tensor bias = Tensor.of(GradCheck.random(7, -1, 1, len).toFloatArray(), len);
                Tensor one = Tensor.of(new float[] {0.75f}, 1);
                for (int variant = 0; variant < 3; variant++) {
                    String domain = variant == 2 ? dev.sonnx.runtime.ops.conv.FusedConv.DOMAIN : "";
                    OpTester t = OpTester.of(domain, "LayerNormalization", variant == 2 ? 1 : 17)
                            .inputs(variant == 1 ? 2 : 3).attr("epsilon", 1e-3f);
                    Tensor y = variant == 1 ? t.run(x, one)[0] : t.run(x, scale, bias)[0];
                    assertEquals(DataType.FLOAT, y.dtype());
                    for (int r = 0; r < rows; r++) {
                        double mean = 0;
                        for (int j = 0; j < len; j++) {
                            mean += x.getDouble(r * len + j) / len;
                        }
                        double var = 0;
                        for (int j = 0; j < len; j++) {
                            var += Math.pow(x.getDouble(r * len + j) - mean, 2) / len;
                        }
                        for (int j = 0; j < len; j++) {
                            double v = (x.getDouble(r * len + j) - mean) / Math.sqrt(var + 1e-3f);
                            double want = variant == 1 ? v * 0.75 : v * scale.getDouble(j) + bias.getDouble(j);
                            assertEquals(want, y.getDouble(r * len + j), 1e-5 * (1 + Math.abs(want)),
                                    Shapes.toString(shape) + " centred at " + centre + ", variant " + variant);
                        }
                    }
                }
            }
        }
    }
}
