package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * MeanVarianceNormalization (9, 13): (X - mean) / (sqrt(variance) + 1e-9) with the mean and
 * (population) variance taken over {@code axes} (default [0, 2, 3]), as the ONNX function body does.
 */
final class MeanVarianceNormalization extends Operator {
    /** The ONNX function body adds this to the standard deviation. */
    private static final double EPSILON = 1e-9;

    private final int[] axes;

    MeanVarianceNormalization(Node node) {
        super(node);
        this.axes = node.attributes().getInts("axes", new int[] {0, 2, 3});
    }

    /** Each element's statistics slot (its index over the kept axes), and every slot's statistics. */
    private record Groups(int[] slot, double[] count, double[] mean, double[] std) {
    }

    private Groups groups(double[] xs, int[] shape) {
        int rank = shape.length;
        boolean[] reduced = new boolean[rank];
        for (int a : axes) {
            int n = Shapes.axis(a, rank);
            if (reduced[n]) {
                throw new IllegalArgumentException("attribute 'axes' names axis " + n + " twice");
            }
            reduced[n] = true;
        }
        int[] keptShape = shape.clone();
        for (int a = 0; a < rank; a++) {
            if (reduced[a]) {
                keptShape[a] = 1;
            }
        }
        int slots = Shapes.size(keptShape);
        int[] slot = Shapes.offsets(shape, Shapes.broadcastStrides(keptShape, shape));
        double[] count = new double[slots];
        double[] mean = new double[slots];
        for (int i = 0; i < xs.length; i++) {
            mean[slot[i]] += xs[i];
            count[slot[i]]++;
        }
        for (int s = 0; s < slots; s++) {
            mean[s] /= count[s];
        }
        double[] std = new double[slots];
        for (int i = 0; i < xs.length; i++) {
            double d = xs[i] - mean[slot[i]];
            std[slot[i]] += d * d;
        }
        for (int s = 0; s < slots; s++) {
            std[s] = Math.sqrt(std[s] / count[s]);
        }
        return new Groups(slot, count, mean, std);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, TypeCheck.FLOATS, "input X");
        double[] xs = Rows.all(x);
        Groups g = groups(xs, x.shape());
        double[] ys = new double[xs.length];
        ctx.device().parallelFor(xs.length, 2, (s, e) -> {
            for (int i = s; i < e; i++) {
                int k = g.slot[i];
                ys[i] = (xs[i] - g.mean[k]) / (g.std[k] + EPSILON);
            }
        });
        return outputs(Rows.tensor(x, ys, x.shape()));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /**
     * With u = x - mean, s = std + 1e-9 over a group of M: dx = (dy - mean(dy)) / s
     * - u * sum(dy * u) / (M std s^2) (the second term vanishes with the variance).
     */
    @Override
    public Tensor[] backward(BackwardContext bc) {
        Tensor gy = bc.gradOutput(0);
        if (gy == null || !bc.needsGrad(0)) {
            return new Tensor[1];
        }
        Tensor x = bc.input(0);
        double[] xs = Rows.all(x);
        double[] gs = Rows.all(gy);
        Groups g = groups(xs, x.shape());
        int slots = g.mean.length;
        double[] sumG = new double[slots];
        double[] sumGU = new double[slots];
        for (int i = 0; i < xs.length; i++) {
            int k = g.slot[i];
            sumG[k] += gs[i];
            sumGU[k] += gs[i] * (xs[i] - g.mean[k]);
        }
        double[] dx = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            int k = g.slot[i];
            double s = g.std[k] + EPSILON;
            double u = xs[i] - g.mean[k];
            double spread = g.std[k] == 0 ? 0 : u * sumGU[k] / (g.count[k] * g.std[k] * s * s);
            dx[i] = (gs[i] - sumG[k] / g.count[k]) / s - spread;
        }
        return new Tensor[] {Rows.tensor(x, dx, x.shape())};
    }
}
