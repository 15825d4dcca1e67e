package dev.sonnx.runtime.ops.training;

import dev.sonnx.runtime.ops.Node;

/**
 * Adam-1 (ai.onnx.preview.training): inputs {@code (R, T, X..., G..., V..., H...)}, outputs
 * {@code (X_new..., V_new..., H_new...)} with V and H the first and second moments:
 * <pre>
 *   g = norm_coefficient * x + G
 *   V_new = alpha * V + (1 - alpha) * g
 *   H_new = beta * H + (1 - beta) * g * g
 *   r = T > 0 ? R * sqrt(1 - beta^T) / (1 - alpha^T) : R      (bias correction)
 *   X_new = (1 - norm_coefficient_post) * (x - r * V_new / (sqrt(H_new) + epsilon))
 * </pre>
 */
final class AdamOp extends OptimizerOp {
    private final double alpha;
    private final double beta;
    private final double epsilon;
    private final double normCoefficient;
    private final double normCoefficientPost;

    AdamOp(Node node) {
        super(node, "X", "G", "V", "H");
        this.alpha = node.attributes().getFloat("alpha", 0.9f);
        this.beta = node.attributes().getFloat("beta", 0.999f);
        this.epsilon = node.attributes().getFloat("epsilon", 1e-6f);
        this.normCoefficient = node.attributes().getFloat("norm_coefficient", 0f);
        this.normCoefficientPost = node.attributes().getFloat("norm_coefficient_post", 0f);
    }

    @Override
    protected Rule rule(double r, long t) {
        double rate = t > 0 ? r * Math.sqrt(1 - Math.pow(beta, t)) / (1 - Math.pow(alpha, t)) : r;
        double keep = 1 - normCoefficientPost;
        return (in, out) -> {
            double x = in[0];
            double g = normCoefficient * x + in[1];
            double v = alpha * in[2] + (1 - alpha) * g;
            double h = beta * in[3] + (1 - beta) * g * g;
            out[0] = keep * (x - rate * v / (Math.sqrt(h) + epsilon));
            out[1] = v;
            out[2] = h;
        };
    }
}
