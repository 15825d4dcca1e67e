package dev.sonnx.runtime.opt;

import dev.sonnx.runtime.tensor.DeviceMath;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * Adam and AdamW, as PyTorch computes them: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps). Adam folds weight decay into the gradient
 * (L2); AdamW decays the weights directly ({@code p -= lr wd p}) before the update.
 */
public final class Adam extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final boolean decoupled;

    private Adam(LearningRate lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        super(lr);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.decoupled = decoupled;
    }

    public static Adam adam(double lr) {
        return adam(LearningRate.constant(lr), 0.9, 0.999, 1e-8, 0);
    }

    public static Adam adam(LearningRate lr, double beta1, double beta2, double eps, double weightDecay) {
        return new Adam(lr, beta1, beta2, eps, weightDecay, false);
    }

    public static Adam adamW(LearningRate lr, double beta1, double beta2, double eps, double weightDecay) {
        return new Adam(lr, beta1, beta2, eps, weightDecay, true);
    }

    @Override
    public void update(Parameter p, Tensor grad) {
        requireFloat32(p, grad);
        int t = step() + 1;
        double lr = learningRate();
        double correction1 = 1 - Math.pow(beta1, t);
        double correction2 = 1 - Math.pow(beta2, t);
        float stepSize = (float) (lr / correction1);
        float sqrtC2 = (float) Math.sqrt(correction2);
        if (p.value().device() instanceof DeviceMath device) {
            device.adamStep(p.value(), grad, slot(p, "m"), slot(p, "v"), (float) beta1, (float) beta2, (float) eps,
                    (float) weightDecay, decoupled ? (float) (1 - lr * weightDecay) : 1f, decoupled, stepSize, sqrtC2);
            return;
        }
        FloatBuffer w = p.value().floats();
        FloatBuffer g = grad.floats();
        FloatBuffer m = slot(p, "m").floats();
        FloatBuffer v = slot(p, "v").floats();
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float e = (float) eps;
        float wd = (float) weightDecay;
        float decay = decoupled ? (float) (1 - lr * weightDecay) : 1f;
        int n = w.capacity();
        for (int i = 0; i < n; i++) {
            float wi = w.get(i) * decay;
            float gi = decoupled ? g.get(i) : g.get(i) + wd * w.get(i);
            float mi = b1 * m.get(i) + (1 - b1) * gi;
            float vi = b2 * v.get(i) + (1 - b2) * gi * gi;
            m.put(i, mi);
            v.put(i, vi);
            w.put(i, wi - stepSize * mi / ((float) Math.sqrt(vi) / sqrtC2 + e));
        }
    }
}
