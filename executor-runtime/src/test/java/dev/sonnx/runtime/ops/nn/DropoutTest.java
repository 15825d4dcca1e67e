package dev.sonnx.runtime.ops.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import org.junit.jupiter.api.Test;

class DropoutTest {
    private static final Tensor TRUE = Tensor.of(new boolean[] {true});

    private static Tensor ones(int n) {
        double[] v = new double[n];
        java.util.Arrays.fill(v, 1);
        return Tensor.of(v, n);
    }

    @Test
    void inferenceIsTheIdentityWithAFullMask() {
        Tensor x = Tensor.of(new float[] {1, 2, 3}, 3);
        Tensor[] out = OpTester.of("Dropout", 13).inputs(2).outputs(2).run(x, Tensor.scalar(0.5f));
        assertSame(x, out[0]);
        assertEquals(DataType.BOOL, out[1].dtype());
        assertArrayEquals(new long[] {1, 1, 1}, out[1].toLongArray());
    }

    @Test
    void seededTrainingMatchesNumpy() {
        // np.random.seed(0); np.random.uniform(0, 1, 6) = .549 .715 .603 .545 .424 .646: drop index 4 at 0.5
        Operator op = OpTester.of("Dropout", 13).inputs(3).outputs(2).attr("seed", 0L).build();
        Value[] out = op.forward(new Tensor[] {ones(6), Tensor.scalar(0.5f), TRUE}, new TestContext(false));
        assertArrayEquals(new double[] {2, 2, 2, 2, 0, 2}, out[0].asTensor().toDoubleArray());
        assertArrayEquals(new long[] {1, 1, 1, 1, 0, 1}, out[1].asTensor().toLongArray());
        // at 0.6 the draws .549, .545 and .424 fall below; scale 1 / 0.4
        Value[] out6 = op.forward(new Tensor[] {ones(6), Tensor.scalar(0.6f), TRUE}, new TestContext(false));
        assertArrayEquals(new long[] {0, 1, 1, 0, 0, 1}, out6[1].asTensor().toLongArray());
        assertEquals(1 / (1 - (double) 0.6f), out6[0].asTensor().getDouble(1), 1e-12);
    }

    @Test
    void trainingRunsDropWithoutTheTrainingModeInput() {
        Operator op = OpTester.of("Dropout", 12).inputs(1).outputs(2).attr("seed", 0L).build();
        Value[] out = op.forward(new Tensor[] {ones(6)}, new TestContext(true));
        assertArrayEquals(new long[] {1, 1, 1, 1, 0, 1}, out[1].asTensor().toLongArray());
    }

    @Test
    void unseededDropsAboutTheRatio() {
        int n = 100_000;
        Operator op = OpTester.of("Dropout", 10).inputs(1).outputs(2).attr("ratio", 0.3f).build();
        Tensor mask = op.forward(new Tensor[] {Tensor.zeros(DataType.FLOAT, n)}, new TestContext(true))[1].asTensor();
        long kept = 0;
        for (int i = 0; i < n; i++) {
            kept += mask.getLong(i);
        }
        assertEquals(0.7, kept / (double) n, 0.01);
    }

    @Test
    void oldVersionsHaveMasksOfTheDataTypeAndIsTest() {
        Tensor x = Tensor.of(new double[] {1, 2}, 2);
        Operator v7 = OpTester.of("Dropout", 7).inputs(1).outputs(2).attr("ratio", 0.5f).build();
        Tensor mask = v7.forward(new Tensor[] {x}, new TestContext(false))[1].asTensor();
        assertEquals(DataType.DOUBLE, mask.dtype());
        assertArrayEquals(new double[] {1, 1}, mask.toDoubleArray());
        Operator v6 = OpTester.of("Dropout", 6).inputs(1).outputs(2).attr("is_test", 1L).build();
        Value[] out = v6.forward(new Tensor[] {x}, new TestContext(true));
        assertSame(x, out[0]);
    }

    @Test
    void zeroAndFullRatios() {
        Operator op = OpTester.of("Dropout", 13).inputs(3).outputs(2).build();
        Value[] zero = op.forward(new Tensor[] {ones(4), Tensor.scalar(0f), TRUE}, new TestContext(false));
        assertArrayEquals(new double[] {1, 1, 1, 1}, zero[0].asTensor().toDoubleArray());
        Value[] all = op.forward(new Tensor[] {ones(4), Tensor.scalar(1f), TRUE}, new TestContext(false));
        assertArrayEquals(new double[] {0, 0, 0, 0}, all[0].asTensor().toDoubleArray());
        assertThrows(IllegalArgumentException.class,
                () -> op.forward(new Tensor[] {ones(4), Tensor.scalar(1.5f), TRUE}, new TestContext(false)));
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("Dropout", 10).inputs(1).attr("ratio", -0.1f).build());
    }

    @Test
    void float16AndFloat32Outputs() {
        Tensor h = Tensor.fromDoubles(DataType.FLOAT16, new double[] {1, 1, 1, 1, 1, 1}, 6);
        Operator op = OpTester.of("Dropout", 13).inputs(3).attr("seed", 0L).build();
        Tensor y = op.forward(new Tensor[] {h, Tensor.scalar(0.5f), TRUE}, new TestContext(false))[0].asTensor();
        assertEquals(DataType.FLOAT16, y.dtype());
        assertArrayEquals(new double[] {2, 2, 2, 2, 0, 2}, y.toDoubleArray());
    }

    @Test
    void gradientThroughTheMask() {
        Operator seeded = OpTester.of("Dropout", 13).inputs(3).attr("seed", 3L).build();
        GradCheck.of(seeded).check(new Tensor[] {GradCheck.random(1, -1, 1, 4, 5), Tensor.scalar(0.4f), TRUE}, 0);
        // without a seed the run's generator decides; GradCheck's contexts all start it alike
        Operator unseeded = OpTester.of("Dropout", 10).inputs(1).attr("ratio", 0.5f).build();
        GradCheck.of(unseeded).training(true).check(new Tensor[] {GradCheck.random(2, -1, 1, 3, 4)}, 0);
        Operator inference = OpTester.of("Dropout", 13).inputs(1).build();
        GradCheck.of(inference).check(new Tensor[] {GradCheck.random(3, -1, 1, 3)}, 0);
    }

    @Test
    void isNotFoldedAtPrepare() {
        assertTrue(!OpTester.of("Dropout", 13).inputs(1).build().deterministic());
    }
}
