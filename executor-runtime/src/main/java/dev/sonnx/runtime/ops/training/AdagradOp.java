package dev.sonnx.runtime.ops.training;

import dev.sonnx.runtime.ops.Node;

/**
 * Adagrad-1 (ai.onnx.preview.training): inputs {@code (R, T, X..., G..., H...)}, outputs
 * {@code (X_new..., H_new...)} with H the accumulated squared gradients:
 * <pre>
 *   r = R / (1 + T * decay_factor)
 *   g = norm_coefficient * x + G
 *   H_new = H + g * g
 *   X_new = x - r * g / (sqrt(H_new) + epsilon)
 * </pre>
 */
final class AdagradOp extends OptimizerOp {
    private final double decayFactor;
    private final double epsilon;
    private final double normCoefficient;

    AdagradOp(Node node) {
        super(node, "X", "G", "H");
        this.decayFactor = node.attributes().getFloat("decay_factor", 0f);
        this.epsilon = node.attributes().getFloat("epsilon", 1e-6f);
        this.normCoefficient = node.attributes().getFloat("norm_coefficient", 0f);
    }

    @Override
    protected Rule rule(double r, long t) {
        double rate = r / (1 + t * decayFactor);
        return (in, out) -> {
            double x = in[0];
            double g = normCoefficient * x + in[1];
            double h = in[2] + g * g;
            out[0] = x - rate * g / (Math.sqrt(h) + epsilon);
            out[1] = h;
        };
    }
}
