package dev.sonnx.runtime.opt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sonnx.runtime.tensor.Tensor;
import org.junit.jupiter.api.Test;

class OptimizerTest {

    private static Parameter param(float... v) {
        return new Parameter("w", Tensor.of(v, v.length), true);
    }

    @Test
    void sgdWithMomentumAndWeightDecayFollowsPyTorch() {
        // torch: d = g + wd p; buf = d (first) then m buf + d; p -= lr buf
        SGD sgd = new SGD(0.1, 0.9, 0.01);
        Parameter p = param(1f);
        sgd.update(p, Tensor.of(new float[] {0.5f}, 1));
        sgd.endStep();
        double d1 = 0.5 + 0.01 * 1;
        double p1 = 1 - 0.1 * d1;
        assertEquals(p1, p.value().getDouble(0), 1e-6);
        sgd.update(p, Tensor.of(new float[] {-0.25f}, 1));
        double d2 = -0.25 + 0.01 * p1;
        double buf2 = 0.9 * d1 + d2;
        assertEquals(p1 - 0.1 * buf2, p.value().getDouble(0), 1e-6);
    }

    @Test
    void nesterovAndDampening() {
        SGD nesterov = new SGD(LearningRate.constant(0.1), 0.5, 0, true, 0);
        Parameter p = param(0f);
        nesterov.update(p, Tensor.of(new float[] {1f}, 1));
        // buf = 1; step = g + m buf = 1.5
        assertEquals(-0.15, p.value().getDouble(0), 1e-6);

        SGD damped = new SGD(LearningRate.constant(1), 0.5, 0.5, false, 0);
        Parameter q = param(0f);
        damped.update(q, Tensor.of(new float[] {1f}, 1));   // buf = 1 (no dampening at the first step)
        damped.update(q, Tensor.of(new float[] {1f}, 1));   // buf = 0.5 * 1 + 0.5 * 1 = 1
        assertEquals(-2.0, q.value().getDouble(0), 1e-6);
    }

    @Test
    void adamFirstStepsMatchTheFormula() {
        Adam adam = Adam.adam(LearningRate.constant(0.01), 0.9, 0.999, 1e-8, 0);
        Parameter p = param(1f);
        double m = 0;
        double v = 0;
        double w = 1;
        double[] grads = {0.3, -0.1, 0.2};
        for (int t = 1; t <= grads.length; t++) {
            adam.update(p, Tensor.of(new float[] {(float) grads[t - 1]}, 1));
            adam.endStep();
            m = 0.9 * m + 0.1 * grads[t - 1];
            v = 0.999 * v + 0.001 * grads[t - 1] * grads[t - 1];
            w -= 0.01 * (m / (1 - Math.pow(0.9, t))) / (Math.sqrt(v / (1 - Math.pow(0.999, t))) + 1e-8);
            assertEquals(w, p.value().getDouble(0), 1e-6, "step " + t);
        }
    }

    @Test
    void adamWDecaysWeightsDirectly() {
        Adam adamW = Adam.adamW(LearningRate.constant(0.1), 0.9, 0.999, 1e-8, 0.5);
        Parameter p = param(2f);
        adamW.update(p, Tensor.of(new float[] {0f}, 1));
        // zero gradient: only the decoupled decay acts: p = 2 (1 - 0.1 * 0.5)
        assertEquals(1.9, p.value().getDouble(0), 1e-6);
    }

    @Test
    void schedules() {
        LearningRate step = LearningRate.step(1.0, 10, 0.1);
        assertEquals(1.0, step.at(9), 1e-12);
        assertEquals(0.1, step.at(10), 1e-12);
        assertEquals(0.01, step.at(25), 1e-12);
        LearningRate cos = LearningRate.cosine(1.0, 100, 0.0);
        assertEquals(1.0, cos.at(0), 1e-12);
        assertEquals(0.5, cos.at(50), 1e-12);
        assertEquals(0.0, cos.at(100), 1e-12);
        assertEquals(0.0, cos.at(150), 1e-12);
    }
}
