package dev.sonnx.runtime.ops.norm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import org.junit.jupiter.api.Test;

class BatchNormalizationTest {
    // X is 2 x 2 x 2: channel 0 holds {1, 2} and {3, 6}; channel 1 holds {0, 0} and {4, 4}
    private static final double[] X = {1, 2, 0, 0, 3, 6, 4, 4};

    private static Tensor[] params(double runMean0, double runVar0) {
        return new Tensor[] {Tensor.of(new double[] {2, 1}, 2), Tensor.of(new double[] {0.5, -1}, 2),
                Tensor.of(new double[] {runMean0, 1}, 2), Tensor.of(new double[] {runVar0, 4}, 2)};
    }

    private static Tensor[] inputs(double runMean0, double runVar0) {
        Tensor[] p = params(runMean0, runVar0);
        return new Tensor[] {Tensor.of(X.clone(), 2, 2, 2), p[0], p[1], p[2], p[3]};
    }

    @Test
    void inferenceUsesRunningStatistics() {
        Tensor y = OpTester.of("BatchNormalization", 15).inputs(5).attr("epsilon", 0f).run(inputs(1, 0.25))[0];
        // channel 0: 2 * (x - 1) / 0.5 + 0.5; channel 1: (x - 1) / 2 - 1
        double[] want = {0.5, 4.5, -1.5, -1.5, 8.5, 20.5, 0.5, 0.5};
        assertArrayEquals(want, y.toDoubleArray(), 1e-12);
    }

    @Test
    void trainingModeOutputsBlendedRunningStatistics() {
        Tensor[] out = OpTester.of("BatchNormalization", 15).inputs(5).outputs(3).attr("training_mode", 1)
                .attr("momentum", 0.75f).attr("epsilon", 0f).run(inputs(1, 0.25));
        // batch statistics: channel 0 mean 3, population variance (4 + 1 + 0 + 9) / 4 = 3.5;
        // channel 1 mean 2, variance 4
        double s0 = Math.sqrt(3.5);
        assertArrayEquals(new double[] {2 * -2 / s0 + 0.5, 2 * -1 / s0 + 0.5, -2, -2, 0.5, 2 * 3 / s0 + 0.5, 0, 0},
                out[0].toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {0.75 * 1 + 0.25 * 3, 0.75 * 1 + 0.25 * 2}, out[1].toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {0.75 * 0.25 + 0.25 * 3.5, 0.75 * 4 + 0.25 * 4}, out[2].toDoubleArray(), 1e-12);
    }

    @Test
    void sonnxTrainingUpdatesRunningStatisticsInPlace() {
        Operator op = OpTester.of("BatchNormalization", 15).inputs(5).attr("momentum", 0.75f).attr("epsilon", 0f)
                .build();
        Tensor[] in = inputs(1, 0.25);
        Value[] out = op.forward(in, new TestContext(true));
        assertEquals(1, out.length);
        double s0 = Math.sqrt(3.5);
        assertEquals(2 * -2 / s0 + 0.5, out[0].asTensor().getDouble(0), 1e-12);
        // running mean blends the batch mean; running variance the unbiased batch variance (x 4/3)
        assertArrayEquals(new double[] {0.75 + 0.25 * 3, 0.75 + 0.25 * 2}, in[3].toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {0.75 * 0.25 + 0.25 * 3.5 * 4 / 3, 0.75 * 4 + 0.25 * 4 * 4 / 3},
                in[4].toDoubleArray(), 1e-12);
    }

    @Test
    void legacyTrainingOutputsAndNonSpatial() {
        Tensor[] out = OpTester.of("BatchNormalization", 9).inputs(5).outputs(5).attr("epsilon", 0f)
                .run(inputs(1, 0.25));
        assertArrayEquals(new double[] {3, 2}, out[3].toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {3.5, 4}, out[4].toDoubleArray(), 1e-12);
        // spatial = 0: statistics per (channel, position), parameters of shape C x D
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2);
        Tensor ones = Tensor.of(new double[] {1, 1, 1, 1}, 2, 2);
        Tensor zeros = Tensor.of(new double[4], 2, 2);
        Tensor mean = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2);
        Tensor y = OpTester.of("BatchNormalization", 7).inputs(5).attr("spatial", 0).attr("epsilon", 0f)
                .run(x, ones, zeros, mean, ones)[0];
        assertArrayEquals(new double[] {0, 0, 0, 0, 4, 4, 4, 4}, y.toDoubleArray(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("BatchNormalization", 9).inputs(5)
                .run(x, Tensor.of(new double[] {1, 1}, 2), zeros, mean, ones));
    }

    @Test
    void oneDimensionalInputIsOneChannelAndHalfPrecisionWorks() {
        Tensor x = Tensor.fromDoubles(DataType.FLOAT16, new double[] {1, 3}, 2);
        Tensor one = Tensor.fromDoubles(DataType.FLOAT16, new double[] {1}, 1);
        Tensor zero = Tensor.fromDoubles(DataType.FLOAT, new double[] {0}, 1);
        Tensor y = OpTester.of("BatchNormalization", 15).inputs(5).attr("epsilon", 0f)
                .run(x, one, Tensor.fromDoubles(DataType.FLOAT16, new double[] {0}, 1), zero,
                        Tensor.fromDoubles(DataType.FLOAT, new double[] {4}, 1))[0];
        assertEquals(DataType.FLOAT16, y.dtype());
        assertArrayEquals(new double[] {0.5, 1.5}, y.toDoubleArray(), 0);
    }

    @Test
    void modeAttributesAreChecked() {
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("BatchNormalization", 15).inputs(5).outputs(3).build());
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("BatchNormalization", 6).inputs(5).outputs(3).attr("is_test", 1).build());
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("BatchNormalization", 15).inputs(5).attr("training_mode", 2).build());
        // a batch of one value per channel has no unbiased variance
        Operator op = OpTester.of("BatchNormalization", 15).inputs(5).build();
        Tensor[] in = inputs(0, 1);
        in[0] = Tensor.of(new double[] {1, 2}, 1, 2);
        assertThrows(IllegalArgumentException.class, () -> op.forward(in, new TestContext(true)));
        // training_mode = 1 with only Y requested: the running statistics are simply not produced
        Tensor[] out = OpTester.of("BatchNormalization", 15).inputs(5).outputs(1).attr("training_mode", 1)
                .run(inputs(1, 0.25));
        assertEquals(1, out.length);
    }

    @Test
    void gradientsWithBatchStatistics() {
        Operator op = OpTester.of("BatchNormalization", 15).inputs(5).attr("epsilon", 1e-3f).build();
        Tensor x = GradCheck.random(1, -2, 2, 3, 2, 2, 2);
        Tensor scale = GradCheck.random(2, 0.5, 1.5, 2);
        Tensor b = GradCheck.random(3, -1, 1, 2);
        Tensor mean = GradCheck.random(4, -1, 1, 2);
        Tensor var = GradCheck.random(5, 0.5, 1.5, 2);
        GradCheck.of(op).training(true).check(new Tensor[] {x, scale, b, mean, var}, 0, 1, 2);
        // the ONNX training form computes the same Y
        Operator onnxTraining = OpTester.of("BatchNormalization", 15).inputs(5).outputs(1).attr("training_mode", 1)
                .build();
        GradCheck.of(onnxTraining).check(new Tensor[] {x, scale, b, mean, var}, 0, 1, 2);
    }

    @Test
    void gradientsWithRunningStatistics() {
        Operator op = OpTester.of("BatchNormalization", 15).inputs(5).build();
        Tensor x = GradCheck.random(6, -2, 2, 2, 3, 4);
        Tensor scale = GradCheck.random(7, 0.5, 1.5, 3);
        Tensor b = GradCheck.random(8, -1, 1, 3);
        Tensor mean = GradCheck.random(9, -1, 1, 3);
        Tensor var = GradCheck.random(10, 0.5, 1.5, 3);
        GradCheck.of(op).check(new Tensor[] {x, scale, b, mean, var}, 0, 1, 2, 3, 4);
    }

    /**
     * The float32 kernels (plane copies, float arithmetic, double sums) against the float64 path, which
     * the gradient checks above verify: Y and every gradient within float rounding, on planes whose
     * length (7 x 5 = 35) leaves a remainder after the four-way sums, with batch and running statistics.
     * 4 channels take oneDNN's plain layout; 20 (a last block padded from 4 to 16) and 32 its
     * 16-channel blocks, reordered in and out.
     */
    @Test
    void float32KernelsMatchTheFloat64Path() {
        for (int c : new int[] {4, 20, 32}) {
            for (boolean batch : new boolean[] {true, false}) {
                Operator op = OpTester.of("BatchNormalization", 15).inputs(5).attr("epsilon", 1e-3f).build();
                Tensor[] wide = {GradCheck.random(11, -3, 5, 3, c, 7, 5), GradCheck.random(12, 0.5, 1.5, c),
                        GradCheck.random(13, -1, 1, c), GradCheck.random(14, -1, 1, c),
                        GradCheck.random(15, 0.5, 1.5, c)};
                Tensor[] narrow = new Tensor[wide.length];
                for (int i = 0; i < wide.length; i++) {
                    narrow[i] = Tensor.fromDoubles(DataType.FLOAT, wide[i].toDoubleArray(), wide[i].shape());
                }
                Tensor gy = GradCheck.random(16, -1, 1, 3, c, 7, 5);
                Tensor[] expected = forwardAndBackward(op, wide, gy, batch);
                Tensor[] actual = forwardAndBackward(op, narrow, Tensor.fromDoubles(DataType.FLOAT, gy.toDoubleArray(),
                        gy.shape()), batch);
                String[] names = {"Y", "dX", "dscale", "dB", "dmean", "dvar"};
                for (int i = 0; i < expected.length; i++) {
                    if (expected[i] == null) {
                        assertEquals(null, actual[i], names[i]);
                        continue;
                    }
                    assertEquals(DataType.FLOAT, actual[i].dtype(), names[i]);
                    double[] e = expected[i].toDoubleArray();
                    double[] a = actual[i].toDoubleArray();
                    for (int j = 0; j < e.length; j++) {
                        assertEquals(e[j], a[j], 1e-5 + 1e-4 * Math.abs(e[j]), c + " channels, "
                                + (batch ? "batch " : "running ") + names[i] + "[" + j + "]");
                    }
                }
            }
        }
    }

    /** Y, then the gradients of X, scale, B, mean and var for output gradient {@code gy}. */
    private static Tensor[] forwardAndBackward(Operator op, Tensor[] in, Tensor gy, boolean batch) {
        TestContext ctx = new TestContext(batch);
        Value[] out = op.forward(in, ctx);
        boolean[] needs = {true, true, true, !batch, !batch};
        Tensor[] grads = op.backward(new dev.sonnx.runtime.ops.BackwardContext(in, out, new Tensor[] {gy}, needs,
                ctx.saved, ctx));
        Tensor[] r = new Tensor[6];
        r[0] = out[0].asTensor();
        System.arraycopy(grads, 0, r, 1, 5);
        return r;
    }
}
