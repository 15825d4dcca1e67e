package dev.sonnx.runtime.ops.norm;

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

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, TypeCheck.FLOATS, "input X");
        int rank = x.rank();
        int[] shape = x.shape();
        boolean[] reduced = new boolean[rank];
        for (int a : axes) {
            int n = Shapes.axis(a, rank);
            if (reduced[n]) {
                throw new IllegalArgumentException("attribute 'axes' names axis " + n + " twice");
            }
            reduced[n] = true;
        }
        // Each element's statistics slot: its index over the kept axes.
        int[] keptShape = shape.clone();
        for (int a = 0; a < rank; a++) {
            if (reduced[a]) {
                keptShape[a] = 1;
            }
        }
        int[] slotStride = Shapes.broadcastStrides(keptShape, shape);
        int slots = Shapes.size(keptShape);
        int size = x.size();
        double[] xs = Rows.all(x);
        int[] slot = new int[size];
        forEachIndex(shape, slotStride, slot);
        double[] count = new double[slots];
        double[] mean = new double[slots];
        for (int i = 0; i < size; i++) {
            mean[slot[i]] += xs[i];
            count[slot[i]]++;
        }
        for (int s = 0; s < slots; s++) {
            mean[s] /= count[s];
        }
        double[] var = new double[slots];
        for (int i = 0; i < size; i++) {
            double d = xs[i] - mean[slot[i]];
            var[slot[i]] += d * d;
        }
        double[] denom = new double[slots];
        for (int s = 0; s < slots; s++) {
            denom[s] = Math.sqrt(var[s] / count[s]) + EPSILON;
        }
        double[] ys = new double[size];
        ctx.device().parallelFor(size, 2, (s, e) -> {
            for (int i = s; i < e; i++) {
                ys[i] = (xs[i] - mean[slot[i]]) / denom[slot[i]];
            }
        });
        return outputs(Rows.tensor(x, ys, shape));
    }

    /** out[i] = the offset of element i under {@code strides} (0 along broadcast axes). */
    private static void forEachIndex(int[] shape, int[] strides, int[] out) {
        int[] idx = new int[shape.length];
        int off = 0;
        for (int i = 0; i < out.length; i++) {
            out[i] = off;
            for (int d = shape.length - 1; d >= 0; d--) {
                off += strides[d];
                if (++idx[d] < shape[d]) {
                    break;
                }
                off -= strides[d] * shape[d];
                idx[d] = 0;
            }
        }
    }
}
