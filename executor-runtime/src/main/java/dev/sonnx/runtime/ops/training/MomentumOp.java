package dev.sonnx.runtime.ops.training;

import dev.sonnx.runtime.ops.Node;

/**
 * Momentum-1 (ai.onnx.preview.training): inputs {@code (R, T, X..., G..., V...)}, outputs
 * {@code (X_new..., V_new...)}; attributes alpha, beta, mode and norm_coefficient are required.
 * <pre>
 *   g = norm_coefficient * x + G
 *   V_new = alpha * V + (T > 0 ? beta : 1) * g
 *   standard: X_new = x - R * V_new
 *   nesterov: X_new = x - R * (g + alpha * V_new)
 * </pre>
 */
final class MomentumOp extends OptimizerOp {
    private final double alpha;
    private final double beta;
    private final double normCoefficient;
    private final boolean nesterov;

    MomentumOp(Node node) {
        super(node, "X", "G", "V");
        this.alpha = required(node, "alpha");
        this.beta = required(node, "beta");
        this.normCoefficient = required(node, "norm_coefficient");
        String mode = node.attributes().getString("mode", null);
        if (mode == null) {
            throw new IllegalArgumentException("required attribute 'mode' is missing (standard or nesterov)");
        }
        if (!mode.equals("standard") && !mode.equals("nesterov")) {
            throw new IllegalArgumentException("attribute 'mode' = '" + mode + "' must be 'standard' or 'nesterov'");
        }
        this.nesterov = mode.equals("nesterov");
    }

    private static double required(Node node, String name) {
        node.attributes().require(name);
        return node.attributes().getFloat(name, 0f);
    }

    @Override
    protected Rule rule(double r, long t) {
        // The gradient enters at full weight on the first update, which has no momentum yet.
        double gradientWeight = t > 0 ? beta : 1;
        return (in, out) -> {
            double x = in[0];
            double g = normCoefficient * x + in[1];
            double v = alpha * in[2] + gradientWeight * g;
            out[0] = nesterov ? x - r * (g + alpha * v) : x - r * v;
            out[1] = v;
        };
    }
}
