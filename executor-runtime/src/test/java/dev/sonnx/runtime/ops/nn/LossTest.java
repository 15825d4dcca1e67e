package dev.sonnx.runtime.ops.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import org.junit.jupiter.api.Test;

class LossTest {
    // log-probabilities [N=2, C=3]
    private static final Tensor LOGP = Tensor.of(new double[] {-0.5, -1.0, -2.0, -3.0, -0.25, -1.5}, 2, 3);
    private static final Tensor TARGET = Tensor.of(new long[] {2, 1}, 2);
    private static final Tensor WEIGHT = Tensor.of(new double[] {1, 2, 4}, 3);

    private static Tensor nll(String reduction, Tensor... in) {
        return OpTester.of("NegativeLogLikelihoodLoss", 13).inputs(in.length).attr("reduction", reduction).run(in)[0];
    }

    @Test
    void nllReductions() {
        Tensor none = nll("none", LOGP, TARGET);
        assertArrayEquals(new int[] {2}, none.shape());
        assertArrayEquals(new double[] {2.0, 0.25}, none.toDoubleArray());
        assertEquals(2.25, nll("sum", LOGP, TARGET).getDouble(0));
        Tensor mean = nll("mean", LOGP, TARGET);
        assertArrayEquals(new int[0], mean.shape());
        assertEquals(1.125, mean.getDouble(0));
    }

    @Test
    void nllWeightsAndWeightedMean() {
        assertArrayEquals(new double[] {8.0, 0.5}, nll("none", LOGP, TARGET, WEIGHT).toDoubleArray());
        // (4 * 2 + 2 * 0.25) / (4 + 2)
        assertEquals(8.5 / 6, nll("mean", LOGP, TARGET, WEIGHT).getDouble(0), 1e-15);
    }

    @Test
    void nllIgnoreIndex() {
        Tensor target = Tensor.of(new int[] {2, -1}, 2);
        Operator op = OpTester.of("NegativeLogLikelihoodLoss", 12).inputs(3).attr("ignore_index", -1L).build();
        Tensor mean = op.forward(new Tensor[] {LOGP, target, WEIGHT}, new TestContext(false))[0].asTensor();
        // only the first position counts: 4 * 2 / 4
        assertEquals(2.0, mean.getDouble(0));
        Tensor allIgnored = Tensor.of(new long[] {-1, -1}, 2);
        Tensor nan = op.forward(new Tensor[] {LOGP, allIgnored, null}, new TestContext(false))[0].asTensor();
        assertTrue(Double.isNaN(nan.getDouble(0)));
    }

    @Test
    void nllSpatialDims() {
        // [N=1, C=2, d1=2, d2=2]: class planes [0.1 .. 0.4] and [-1 .. -4]
        Tensor x = Tensor.of(new double[] {-0.1, -0.2, -0.3, -0.4, -1, -2, -3, -4}, 1, 2, 2, 2);
        Tensor t = Tensor.of(new long[] {0, 1, 1, 0}, 1, 2, 2);
        Tensor none = nll("none", x, t);
        assertArrayEquals(new int[] {1, 2, 2}, none.shape());
        assertArrayEquals(new double[] {0.1, 2, 3, 0.4}, none.toDoubleArray(), 1e-15);
    }

    @Test
    void nllBadInputs() {
        assertThrows(IllegalArgumentException.class, () -> nll("mean", LOGP, Tensor.of(new long[] {3, 0}, 2)));
        assertThrows(IllegalArgumentException.class, () -> nll("mean", LOGP, Tensor.of(new long[] {0, 0, 0}, 3)));
        assertThrows(IllegalArgumentException.class, () -> nll("mean", LOGP, TARGET, Tensor.of(new double[] {1}, 1)));
        assertThrows(IllegalArgumentException.class, () -> nll("avg", LOGP, TARGET));
        assertThrows(IllegalArgumentException.class, () -> nll("mean", LOGP, Tensor.of(new double[] {0, 1}, 2)));
    }

    @Test
    void sceIsNllOfLogSoftmax() {
        Tensor scores = Tensor.of(new float[] {1, 2, 3, 0, 0, 0}, 2, 3);
        Tensor labels = Tensor.of(new long[] {2, 0}, 2);
        Tensor[] out = OpTester.of("SoftmaxCrossEntropyLoss", 13).inputs(2).outputs(2).attr("reduction", "none")
                .run(scores, labels);
        double lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
        assertEquals(lse - 3, out[0].getDouble(0), 1e-6);
        assertEquals(Math.log(3), out[0].getDouble(1), 1e-6);
        assertEquals(DataType.FLOAT, out[1].dtype());
        assertArrayEquals(new int[] {2, 3}, out[1].shape());
        assertEquals(1 - lse, out[1].getDouble(0), 1e-6);
        assertEquals(-Math.log(3), out[1].getDouble(5), 1e-6);
        Tensor mean = OpTester.of("SoftmaxCrossEntropyLoss", 12).inputs(3).run(scores, labels,
                Tensor.of(new float[] {3, 1, 1}, 3))[0];
        assertEquals(((lse - 3) + 3 * Math.log(3)) / 4, mean.getDouble(0), 1e-6);
    }

    @Test
    void nllGradients() {
        Tensor target = Tensor.of(new long[] {0, 2, 1, -100, 1, 0}, 2, 3);
        for (String reduction : new String[] {"none", "sum", "mean"}) {
            Operator op = OpTester.of("NegativeLogLikelihoodLoss", 13).inputs(3).attr("reduction", reduction)
                    .attr("ignore_index", -100L).build();
            GradCheck.of(op).check(new Tensor[] {GradCheck.random(1, -3, 0, 2, 4, 3), target,
                GradCheck.random(2, 0.5, 2, 4)}, 0);
        }
    }

    @Test
    void sceGradientsWithAndWithoutLogProb() {
        Tensor labels = Tensor.of(new long[] {0, 2, 1, 3, 3, 1}, 2, 3);
        for (String reduction : new String[] {"none", "sum", "mean"}) {
            for (int outputs = 1; outputs <= 2; outputs++) {
                Operator op = OpTester.of("SoftmaxCrossEntropyLoss", 13).inputs(3).outputs(outputs)
                        .attr("reduction", reduction).attr("ignore_index", 1L).build();
                GradCheck.of(op).check(new Tensor[] {GradCheck.random(3, -2, 2, 2, 4, 3), labels,
                    GradCheck.random(4, 0.5, 2, 4)}, 0);
            }
        }
        Operator plain = OpTester.of("SoftmaxCrossEntropyLoss", 13).inputs(2).build();
        GradCheck.of(plain).check(new Tensor[] {GradCheck.random(5, -2, 2, 3, 5), Tensor.of(new int[] {4, 0, 2}, 3)}, 0);
    }
}
