package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * Standardization of contiguous rows, then an affine map: the kernel of LayerNormalization,
 * InstanceNormalization and GroupNormalization. Row r of length L has its mean and 1/sqrt(var + eps)
 * (population variance); element j of it gets scale and bias number {@code (r % period) * stride +
 * j / segment}:
 * <ul>
 *   <li>LayerNormalization: one row per outer index, parameters per position (period 1, stride 0, segment 1);</li>
 *   <li>InstanceNormalization: a row per (n, c), parameter c (period C, stride 1, segment L);</li>
 *   <li>GroupNormalization-18: a row per (n, g), parameter g (period G, stride 1, segment L);</li>
 *   <li>GroupNormalization-21: a row per (n, g), the channels of g (period G, stride C/G, segment H*W).</li>
 * </ul>
 * Computes in double whatever the stored type.
 */
final class RowNorm {
    private final int rows;
    private final int length;
    private final double epsilon;
    private final int period;
    private final int stride;
    private final int segment;

    /** Per-row statistics of one forward run, which backward reuses. */
    record Stats(double[] mean, double[] invStd) {
    }

    /** Gradients; null where not asked for. dScale/dBias are per parameter. */
    record Grads(Tensor dx, double[] dScale, double[] dBias) {
    }

    RowNorm(int rows, int length, double epsilon, int period, int stride, int segment) {
        this.rows = rows;
        this.length = length;
        this.epsilon = epsilon;
        this.period = Math.max(1, period);
        this.stride = stride;
        this.segment = Math.max(1, segment);
    }

    /** How many parameters one row touches (consecutive, from {@code (row % period) * stride}). */
    private int paramsPerRow() {
        return length == 0 ? 0 : (length - 1) / segment + 1;
    }

    /** y = (x - mean) * invStd * scale + bias per row, every element assigned; bias may be null (zero). */
    Stats forward(Tensor x, Tensor y, double[] scale, double[] bias, Device device) {
        double[] mean = new double[rows];
        double[] invStd = new double[rows];
        device.parallelFor(rows, 6L * length + 1, (s, e) -> {
            double[] v = new double[length];
            for (int r = s; r < e; r++) {
                int off = r * length;
                Rows.read(x, off, v, 0, length);
                double mu = length == 0 ? 0 : Rows.sum(v, length) / length;
                double var = length == 0 ? 0 : Rows.squaredDeviations(v, length, mu) / length;
                double inv = 1 / Math.sqrt(var + epsilon);
                mean[r] = mu;
                invStd[r] = inv;
                int p = (r % period) * stride;
                if (segment == 1) {
                    // a parameter per position (LayerNormalization): one flat loop
                    for (int j = 0; j < length; j++) {
                        v[j] = (v[j] - mu) * inv * scale[p + j];
                    }
                    if (bias != null) {
                        for (int j = 0; j < length; j++) {
                            v[j] += bias[p + j];
                        }
                    }
                } else {
                    // y = x * a + b per segment, a = invStd * scale, b = bias - mean * a
                    for (int j0 = 0; j0 < length; j0 += segment, p++) {
                        double a = inv * scale[p];
                        double b = (bias == null ? 0 : bias[p]) - mu * a;
                        int end = Math.min(length, j0 + segment);
                        for (int j = j0; j < end; j++) {
                            v[j] = v[j] * a + b;
                        }
                    }
                }
                Rows.write(y, off, v, 0, length);
            }
        });
        return new Stats(mean, invStd);
    }

    /**
     * Gradients from dy (and, for LayerNormalization's optional outputs, from the gradients of each
     * row's mean {@code gMean} and 1/std {@code gInvStd}; null when none). With xhat = (x - mean) *
     * invStd and g = dy * scale: dx = invStd * (g - mean(g) - xhat * mean(g * xhat)); d scale = sum
     * dy * xhat and d bias = sum dy over the elements each parameter touches.
     */
    Grads backward(Tensor x, Tensor dy, Stats st, double[] scale, int paramCount, double[] gMean, double[] gInvStd,
                   boolean wantX, boolean wantParams, Device device) {
        // every row of dx is written below
        Tensor dx = wantX ? Tensor.uninitialized(x.dtype(), x.shape()) : null;
        int per = paramsPerRow();
        // per-row partial sums of the parameter gradients, added up in row order afterwards (deterministic)
        boolean perPosition = stride == 0 && period == 1;
        double[] partScale = wantParams && !perPosition ? new double[rows * per] : null;
        double[] partBias = wantParams && !perPosition ? new double[rows * per] : null;
        device.parallelFor(rows, 10L * length + 1, (s, e) -> {
            double[] xv = new double[length];
            double[] gv = new double[length];
            for (int r = s; r < e; r++) {
                int off = r * length;
                Rows.read(x, off, xv, 0, length);
                if (dy != null) {
                    Rows.read(dy, off, gv, 0, length);
                }
                double mu = st.mean[r];
                double inv = st.invStd[r];
                int p = (r % period) * stride;
                int q = r * per;
                double sumG = 0;
                double sumGX = 0;
                for (int j0 = 0; j0 < length; j0 += segment, p++, q++) {
                    double sc = scale[p];
                    double segScale = 0;
                    double segBias = 0;
                    int end = Math.min(length, j0 + segment);
                    for (int j = j0; j < end; j++) {
                        double xh = (xv[j] - mu) * inv;
                        xv[j] = xh;
                        double gd = gv[j];
                        segScale += gd * xh;
                        segBias += gd;
                        gv[j] = gd * sc;
                    }
                    if (partScale != null) {
                        partScale[q] = segScale;
                        partBias[q] = segBias;
                    }
                    sumG += segBias * sc;
                    sumGX += segScale * sc;
                }
                if (dx == null) {
                    continue;
                }
                double mG = sumG / length;
                double mGX = sumGX / length;
                double extraMean = gMean == null ? 0 : gMean[r] / length;
                double extraInv = gInvStd == null ? 0 : gInvStd[r] * inv * inv / length;
                for (int j = 0; j < length; j++) {
                    gv[j] = inv * (gv[j] - mG - xv[j] * mGX) + extraMean - extraInv * xv[j];
                }
                Rows.write(dx, off, gv, 0, length);
            }
        });
        double[] dScale = null;
        double[] dBias = null;
        if (wantParams) {
            dScale = new double[paramCount];
            dBias = new double[paramCount];
            if (perPosition) {
                columnSums(x, dy, st, dScale, dBias, device);
            } else {
                for (int r = 0; r < rows; r++) {
                    int base = (r % period) * stride;
                    for (int q = 0; q < per; q++) {
                        dScale[base + q] += partScale[r * per + q];
                        dBias[base + q] += partBias[r * per + q];
                    }
                }
            }
        }
        return new Grads(dx, dScale, dBias);
    }

    /** Per-position parameters: sums over rows of dy * xhat and dy, split across threads by column blocks. */
    private void columnSums(Tensor x, Tensor dy, Stats st, double[] dScale, double[] dBias, Device device) {
        if (dy == null) {
            return;
        }
        int block = 256;
        int blocks = (length + block - 1) / block;
        device.parallelFor(blocks, 4L * rows * Math.min(block, length) + 1, (s, e) -> {
            double[] xv = new double[block];
            double[] gv = new double[block];
            for (int b = s; b < e; b++) {
                int j0 = b * block;
                int len = Math.min(block, length - j0);
                for (int r = 0; r < rows; r++) {
                    int off = r * length + j0;
                    Rows.read(x, off, xv, 0, len);
                    Rows.read(dy, off, gv, 0, len);
                    double mu = st.mean[r];
                    double inv = st.invStd[r];
                    for (int j = 0; j < len; j++) {
                        dScale[j0 + j] += gv[j] * (xv[j] - mu) * inv;
                        dBias[j0 + j] += gv[j];
                    }
                }
            }
        });
    }
}
