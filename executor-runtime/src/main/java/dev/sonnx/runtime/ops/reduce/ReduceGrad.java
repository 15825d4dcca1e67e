package dev.sonnx.runtime.ops.reduce;

import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * Gradients of the reductions: each input element gets its output's gradient times the partial
 * derivative of that output with respect to it, the output broadcast back over the reduced axes:
 * Sum 1, Mean 1/n, SumSquare 2x, L1 sign(x), L2 x/y, LogSum 1/exp(y), LogSumExp exp(x - y),
 * Max/Min 1/count at the elements equal to the result (ties share), Prod the product of the others
 * (computed without dividing by zero).
 */
final class ReduceGrad {
    private ReduceGrad() {
    }

    /** dL/dx from dL/dy; null for integer inputs, which take no gradient. */
    static Tensor of(ReduceKind kind, Tensor x, Tensor y, Tensor gy, ReducePlan plan, Device device) {
        if (!x.dtype().isFloat()) {
            return null;
        }
        int[] keep = plan.keepShape();
        double[] xs = DoubleArrays.of(x);
        double[] ys = DoubleArrays.of(y);
        double[] gs = DoubleArrays.of(gy);
        Broadcast bc = Broadcast.to(x.shape(), keep);
        int step = bc.rowStride(0);
        // Max/Min: how many elements reached the result; Prod: zeros and product of the nonzeros.
        double[] count = null;
        double[] nonzeroProd = null;
        if (kind == ReduceKind.MAX || kind == ReduceKind.MIN) {
            double[] hit = new double[xs.length];
            bc.forEachRow(device, 1, (xo, off, len) -> {
                for (int j = 0, k = off[0]; j < len; j++, k += step) {
                    hit[xo + j] = xs[xo + j] == ys[k] ? 1 : 0;
                }
            });
            count = reduceDoubles(hit, x.shape(), plan, ReduceKind.SUM, device);
        } else if (kind == ReduceKind.PROD) {
            double[] zero = new double[xs.length];
            double[] nonzero = new double[xs.length];
            for (int i = 0; i < xs.length; i++) {
                zero[i] = xs[i] == 0 ? 1 : 0;
                nonzero[i] = xs[i] == 0 ? 1 : xs[i];
            }
            count = reduceDoubles(zero, x.shape(), plan, ReduceKind.SUM, device);
            nonzeroProd = reduceDoubles(nonzero, x.shape(), plan, ReduceKind.PROD, device);
        }
        double n = plan.reduced();
        double[] cnt = count;
        double[] nzp = nonzeroProd;
        double[] gx = new double[xs.length];
        bc.forEachRow(device, 4, (xo, off, len) -> {
            int k = off[0];
            for (int j = 0; j < len; j++, k += step) {
                int i = xo + j;
                double v = xs[i];
                double yk = ys[k];
                double d = switch (kind) {
                    case SUM -> 1;
                    case MEAN -> 1 / n;
                    case SUM_SQUARE -> 2 * v;
                    case L1 -> Math.signum(v);
                    case L2 -> yk == 0 ? 0 : v / yk;
                    case LOG_SUM -> 1 / Math.exp(yk);
                    case LOG_SUM_EXP -> Math.exp(v - yk);
                    case MAX, MIN -> v == yk ? 1 / cnt[k] : 0;
                    case PROD -> cnt[k] == 0 ? nzp[k] / v : cnt[k] == 1 && v == 0 ? nzp[k] : 0;
                };
                gx[i] = gs[k] * d;
            }
        });
        return DoubleArrays.toTensor(gx, x.dtype(), x.shape());
    }

    private static double[] reduceDoubles(double[] values, int[] shape, ReducePlan plan, ReduceKind kind,
                                          Device device) {
        Tensor t = DoubleArrays.toTensor(values, DataType.DOUBLE, shape);
        return DoubleArrays.of(ReduceEngine.reduce(t, plan, kind, device));
    }
}
