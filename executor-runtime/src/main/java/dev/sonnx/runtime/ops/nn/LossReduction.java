package dev.sonnx.runtime.ops.nn;

import dev.sonnx.runtime.ops.reduce.DoubleArrays;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * The {@code reduction} attribute of the losses: per-position losses as they are ("none"), their
 * sum, or their weighted mean (sum over the sum of the weights).
 */
enum LossReduction {
    NONE, SUM, MEAN;

    static LossReduction parse(String s) {
        return switch (s) {
            case "none" -> NONE;
            case "sum" -> SUM;
            case "mean" -> MEAN;
            default -> throw new IllegalArgumentException("attribute 'reduction' = '" + s
                    + "', expected 'none', 'sum' or 'mean'");
        };
    }

    /** The loss output from per-position (already weighted) losses. */
    Tensor apply(double[] losses, ClassTargets t, DataType dtype) {
        if (this == NONE) {
            return DoubleArrays.toTensor(losses, dtype, t.shape);
        }
        double sum = 0;
        for (double l : losses) {
            sum += l;
        }
        return Tensor.scalar(dtype, this == SUM ? sum : sum / t.weightSum);
    }

    /**
     * dL/d(loss at position p) times its weight, from the output gradient: what each position's
     * -log-probability of its class is multiplied by in the gradient. Null gy means zero.
     */
    double[] positionGrads(Tensor gy, ClassTargets t) {
        int n = t.cls.length;
        double[] r = new double[n];
        if (gy == null) {
            return r;
        }
        if (this == NONE && gy.size() != n) {
            throw new IllegalArgumentException("loss gradient has shape " + Shapes.toString(gy.shape())
                    + ", expected " + Shapes.toString(t.shape));
        }
        double[] g = DoubleArrays.of(gy);
        for (int p = 0; p < n; p++) {
            double w = t.weight[p];
            if (w == 0) {
                continue;
            }
            r[p] = switch (this) {
                case NONE -> g[p] * w;
                case SUM -> g[0] * w;
                case MEAN -> g[0] * w / t.weightSum;
            };
        }
        return r;
    }
}
