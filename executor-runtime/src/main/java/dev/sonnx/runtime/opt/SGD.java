package dev.sonnx.runtime.opt;

import dev.sonnx.runtime.tensor.DeviceMath;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay, exactly as
 * PyTorch's {@code torch.optim.SGD}: g' = g + wd p; v = g' at the first step, then
 * v = momentum v + (1 - dampening) g'; p -= lr (nesterov ? g' + momentum v : v).
 */
public final class SGD extends Optimizer {
    private final double momentum;
    private final double dampening;
    private final boolean nesterov;
    private final double weightDecay;

    public SGD(double lr) {
        this(LearningRate.constant(lr), 0, 0, false, 0);
    }

    public SGD(double lr, double momentum, double weightDecay) {
        this(LearningRate.constant(lr), momentum, 0, false, weightDecay);
    }

    public SGD(LearningRate lr, double momentum, double dampening, boolean nesterov, double weightDecay) {
        super(lr);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum needs momentum > 0 and dampening 0");
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
    }

    @Override
    public void update(Parameter p, Tensor grad) {
        requireFloat32(p, grad);
        float lr = (float) learningRate();
        if (p.value().device() instanceof DeviceMath device) {
            boolean first = momentum != 0 && !hasSlot(p, "momentum");
            Tensor v = momentum == 0 ? null : slot(p, "momentum");
            device.sgdStep(p.value(), grad, v, lr, (float) momentum, first ? 1f : (float) (1 - dampening),
                    (float) weightDecay, first, nesterov);
            return;
        }
        FloatBuffer w = p.value().floats();
        FloatBuffer g = grad.floats();
        int n = w.capacity();
        float wd = (float) weightDecay;
        if (momentum == 0) {
            for (int i = 0; i < n; i++) {
                w.put(i, w.get(i) - lr * (g.get(i) + wd * w.get(i)));
            }
            return;
        }
        boolean first = !hasSlot(p, "momentum");
        FloatBuffer v = slot(p, "momentum").floats();
        float m = (float) momentum;
        float keep = first ? 1f : (float) (1 - dampening);
        for (int i = 0; i < n; i++) {
            float gi = g.get(i) + wd * w.get(i);
            float vi = first ? gi : m * v.get(i) + keep * gi;
            v.put(i, vi);
            w.put(i, w.get(i) - lr * (nesterov ? gi + m * vi : vi));
        }
    }
}
