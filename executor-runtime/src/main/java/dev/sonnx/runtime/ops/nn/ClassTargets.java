package dev.sonnx.runtime.ops.nn;

import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.Arrays;
import java.util.EnumSet;

/**
 * The targets of a classification loss over scores of shape [N, C, d1, ..., dk] (k >= 0) with
 * class indices of shape [N, d1, ..., dk]: for each of the N x D positions (D = d1 * ... * dk),
 * its class and its weight (the class's entry in the optional weights [C], else 1; 0 and no class
 * where the target equals {@code ignore_index}). Score (n, c, d) sits at (n * C + c) * D + d.
 */
final class ClassTargets {
    final int batch;
    final int classes;
    final int spatial;
    /** Per position: the target class, or -1 when ignored. */
    final int[] cls;
    /** Per position: the class weight, 0 when ignored. */
    final double[] weight;
    /** Sum of the weights: the denominator of the mean. */
    final double weightSum;
    /** The shape of the per-position losses: the target's. */
    final int[] shape;

    private ClassTargets(int batch, int classes, int spatial, int[] cls, double[] weight, double weightSum,
                         int[] shape) {
        this.batch = batch;
        this.classes = classes;
        this.spatial = spatial;
        this.cls = cls;
        this.weight = weight;
        this.weightSum = weightSum;
        this.shape = shape;
    }

    /**
     * Checks the shapes and reads the targets. {@code names} are the three inputs' names in the
     * operator's schema (scores, targets, weights), for the error messages.
     */
    static ClassTargets of(Tensor scores, Tensor target, Tensor weights, Long ignoreIndex, String... names) {
        int[] s = scores.shape();
        int[] t = target.shape();
        if (s.length < 2) {
            throw new IllegalArgumentException("input '" + names[0] + "' has shape " + Arrays.toString(s)
                    + ", expected [N, C] or [N, C, d1, ...]");
        }
        TypeCheck.require(target, EnumSet.of(DataType.INT32, DataType.INT64), "input '" + names[1] + "'");
        boolean match = t.length == s.length - 1 && t[0] == s[0];
        for (int i = 1; match && i < t.length; i++) {
            match = t[i] == s[i + 1];
        }
        if (!match) {
            throw new IllegalArgumentException("input '" + names[1] + "' has shape " + Arrays.toString(t)
                    + ", expected " + Arrays.toString(targetShape(s)) + " for input '" + names[0] + "' of shape "
                    + Arrays.toString(s));
        }
        int classes = s[1];
        if (weights != null) {
            if (weights.rank() != 1 || weights.size() != classes) {
                throw new IllegalArgumentException("input '" + names[2] + "' has shape "
                        + Arrays.toString(weights.shape()) + ", expected [" + classes + "]");
            }
            if (weights.dtype() != scores.dtype()) {
                throw new IllegalArgumentException("input '" + names[2] + "' has type " + weights.dtype().onnxName()
                        + ", expected " + scores.dtype().onnxName() + " as input '" + names[0] + "'");
            }
        }
        int n = target.size();
        int[] cls = new int[n];
        double[] w = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            long c = target.getLong(i);
            if (ignoreIndex != null && c == ignoreIndex) {
                cls[i] = -1;
                continue;
            }
            if (c < 0 || c >= classes) {
                throw new IllegalArgumentException("input '" + names[1] + "' holds class " + c + " at position " + i
                        + ", out of range [0, " + classes + ")");
            }
            cls[i] = (int) c;
            w[i] = weights == null ? 1 : weights.getDouble((int) c);
            sum += w[i];
        }
        int spatial = s[0] == 0 ? 0 : n / s[0];
        return new ClassTargets(s[0], classes, spatial, cls, w, sum, t.clone());
    }

    private static int[] targetShape(int[] scores) {
        int[] t = new int[scores.length - 1];
        t[0] = scores[0];
        System.arraycopy(scores, 2, t, 1, scores.length - 2);
        return t;
    }

    /** Per position: -logProb(n, target, d) * weight, 0 where ignored (only the targets are read). */
    double[] losses(Tensor logProb) {
        double[] losses = new double[cls.length];
        for (int p = 0; p < losses.length; p++) {
            if (cls[p] >= 0) {
                losses[p] = -logProb.getDouble(scoreOffset(p, cls[p])) * weight[p];
            }
        }
        return losses;
    }

    /** Offset in the scores of (position p's batch index, class c, position p's spatial index). */
    int scoreOffset(int p, int c) {
        int b = p / spatial;
        return (b * classes + c) * spatial + p % spatial;
    }
}
