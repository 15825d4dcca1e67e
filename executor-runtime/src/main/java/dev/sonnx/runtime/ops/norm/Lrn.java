package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;

/**
 * LRN (1, 13): local response normalization across channels, y = x / (bias + alpha / size * sum of
 * x^2 over the channels c - floor((size-1)/2) .. c + ceil((size-1)/2))^beta.
 */
final class Lrn extends Operator {
    private final double alpha;
    private final double beta;
    private final double bias;
    private final int size;
    private final int before;
    private final int after;

    Lrn(Node node) {
        super(node);
        var at = node.attributes();
        this.alpha = at.getFloat("alpha", 1e-4f);
        this.beta = at.getFloat("beta", 0.75f);
        this.bias = at.getFloat("bias", 1f);
        long s = at.requireLong("size");
        if (s <= 0 || s > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("attribute 'size' must be positive, got " + s);
        }
        this.size = (int) s;
        this.before = (size - 1) / 2;
        this.after = size - 1 - before;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, TypeCheck.FLOATS, "input X");
        if (x.rank() < 2) {
            throw new IllegalArgumentException("input X has shape " + Shapes.toString(x.shape())
                    + "; expected N x C x D1 x ... (rank >= 2)");
        }
        int n = x.dim(0);
        int channels = x.dim(1);
        int plane = Shapes.product(x.shape(), 2, x.rank());
        Tensor y = Tensor.zeros(x.dtype(), x.shape());
        double k = alpha / size;
        // one task per (n, c) plane: sum the squares of the window's planes, then scale
        ctx.device().parallelFor(n * channels, (long) plane * (size + 4), (s, e) -> {
            double[] v = new double[plane];
            double[] sq = new double[plane];
            for (int p = s; p < e; p++) {
                int b = p / channels;
                int c = p % channels;
                Arrays.fill(sq, 0);
                for (int cc = Math.max(0, c - before); cc <= Math.min(channels - 1, c + after); cc++) {
                    Rows.read(x, (b * channels + cc) * plane, v, 0, plane);
                    for (int j = 0; j < plane; j++) {
                        sq[j] += v[j] * v[j];
                    }
                }
                Rows.read(x, p * plane, v, 0, plane);
                for (int j = 0; j < plane; j++) {
                    v[j] /= Math.pow(bias + k * sq[j], beta);
                }
                Rows.write(y, p * plane, v, 0, plane);
            }
        });
        return outputs(y);
    }
}
