package dev.sonnx.runtime.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import org.junit.jupiter.api.Test;

class LossesTest {

    @Test
    void softmaxCrossEntropyMatchesTheFormula() {
        Tensor logits = Tensor.of(new float[] {1, 2, 3, 0, 0, 0}, 2, 3);
        Tensor labels = Tensor.of(new int[] {2, 0}, 2);
        // row 0: -log(e^3 / (e + e^2 + e^3)); row 1: -log(1/3)
        double r0 = -Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)));
        double r1 = Math.log(3);
        assertEquals((r0 + r1) / 2, Losses.softmaxCrossEntropy(logits, labels).getDouble(0), 1e-6);

        Tensor oneHot = Tensor.of(new float[] {0, 0, 1, 1, 0, 0}, 2, 3);
        assertEquals((r0 + r1) / 2, Losses.softmaxCrossEntropy(logits, oneHot).getDouble(0), 1e-6);
    }

    @Test
    void softmaxCrossEntropyGradient() {
        Tensor logits = GradCheck.random(1, -2, 2, 4, 5);
        Tensor labels = Tensor.of(new long[] {0, 4, 2, 2}, 4);
        GradCheck.of(new Losses.SoftmaxCrossEntropy()).check(new Tensor[] {logits, labels}, 0);
        Tensor soft = GradCheck.random(2, 0, 1, 4, 5);
        GradCheck.of(new Losses.SoftmaxCrossEntropy()).check(new Tensor[] {logits, soft}, 0);
    }

    @Test
    void mseAndItsGradient() {
        Tensor p = Tensor.of(new float[] {1, 2, 3}, 3);
        Tensor t = Tensor.of(new float[] {1, 0, 0}, 3);
        assertEquals((0 + 4 + 9) / 3.0, Losses.mse(p, t).getDouble(0), 1e-6);
        GradCheck.of(new Losses.MeanSquaredError()).check(
                new Tensor[] {GradCheck.random(3, -1, 1, 2, 3), GradCheck.random(4, -1, 1, 2, 3)}, 0);
    }

    @Test
    void labelsOutOfRangeAreNamed() {
        Tensor logits = Tensor.zeros(DataType.FLOAT, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Losses.softmaxCrossEntropy(logits, Tensor.of(new long[] {0, 3}, 2)));
        assertEquals(true, e.getMessage().contains("row 1"), e.getMessage());
    }
}
