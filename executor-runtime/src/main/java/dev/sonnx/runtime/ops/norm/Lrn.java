package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * LRN (1, 13): local response normalization across channels, y = x * d^-beta with d = bias +
 * alpha / size * (sum of x^2 over the channels c - floor((size-1)/2) .. c + ceil((size-1)/2)).
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

    /** X as N x C x S: batch, channels, spatial positions. */
    private record Layout(int n, int c, int s) {
    }

    private static Layout layout(Tensor x) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException("input X has shape " + Shapes.toString(x.shape())
                    + "; expected N x C x D1 x ... (rank >= 2)");
        }
        return new Layout(x.dim(0), x.dim(1), Shapes.product(x.shape(), 2, x.rank()));
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, TypeCheck.FLOATS, "input X");
        Layout l = layout(x);
        double[] xs = Rows.all(x);
        double[] d = denominators(xs, l, ctx.device());
        double[] ys = new double[xs.length];
        ctx.device().parallelFor(xs.length, 20, (s, e) -> {
            for (int i = s; i < e; i++) {
                ys[i] = xs[i] * Math.pow(d[i], -beta);
            }
        });
        return outputs(Rows.tensor(x, ys, x.shape()));
    }

    /** d = bias + alpha / size * (window sum of squares) at every element; one task per (n, c) plane. */
    private double[] denominators(double[] xs, Layout l, Device device) {
        double k = alpha / size;
        double[] d = new double[xs.length];
        device.parallelFor(l.n * l.c, (long) l.s * (size + 2), (s, e) -> {
            for (int p = s; p < e; p++) {
                int b = p / l.c;
                int c = p % l.c;
                int out = p * l.s;
                for (int cc = Math.max(0, c - before); cc <= Math.min(l.c - 1, c + after); cc++) {
                    int in = (b * l.c + cc) * l.s;
                    for (int j = 0; j < l.s; j++) {
                        d[out + j] += xs[in + j] * xs[in + j];
                    }
                }
                for (int j = 0; j < l.s; j++) {
                    d[out + j] = bias + k * d[out + j];
                }
            }
        });
        return d;
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /**
     * x_i reaches y_i directly and, through the squares, every y_c whose window holds it:
     * dx_i = dy_i d_i^-beta - 2 beta alpha / size * x_i * sum over those c of dy_c x_c d_c^(-beta-1).
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return new Tensor[1];
        }
        Tensor x = g.input(0);
        Layout l = layout(x);
        double[] xs = Rows.all(x);
        double[] gs = Rows.all(gy);
        Device device = g.device();
        double[] d = denominators(xs, l, device);
        double[] t = new double[xs.length];
        device.parallelFor(xs.length, 20, (s, e) -> {
            for (int i = s; i < e; i++) {
                t[i] = gs[i] * xs[i] * Math.pow(d[i], -beta - 1);
            }
        });
        double k = 2 * beta * alpha / size;
        double[] dx = new double[xs.length];
        device.parallelFor(l.n * l.c, (long) l.s * (size + 20), (s, e) -> {
            for (int p = s; p < e; p++) {
                int b = p / l.c;
                int i = p % l.c;
                int out = p * l.s;
                // channel i is in channel c's window when c - before <= i <= c + after
                for (int c = Math.max(0, i - after); c <= Math.min(l.c - 1, i + before); c++) {
                    int in = (b * l.c + c) * l.s;
                    for (int j = 0; j < l.s; j++) {
                        dx[out + j] += t[in + j];
                    }
                }
                for (int j = 0; j < l.s; j++) {
                    int q = out + j;
                    dx[q] = gs[q] * Math.pow(d[q], -beta) - k * xs[q] * dx[q];
                }
            }
        });
        return new Tensor[] {Rows.tensor(x, dx, x.shape())};
    }
}
