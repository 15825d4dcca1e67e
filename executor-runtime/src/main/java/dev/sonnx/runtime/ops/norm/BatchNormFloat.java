package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.ops.kernel.VectorMath;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * BatchNormalization's float32 kernels over X seen as N x C x S planes. The generic path widens every
 * element to double through a copy; here each task copies a plane into its own float[] with one bulk
 * get, works on the array (plain loops the JIT vectorises; sums in four double accumulators, so a
 * plane of any length stays exact to double rounding) and writes back with one bulk put. Mobilenet-
 * sized training steps spent most of their BatchNormalization time in those conversions.
 */
final class BatchNormFloat {
    private BatchNormFloat() {
    }

    /** Batch mean and population variance of every channel (two passes: mean, then squared deviations). */
    static void statistics(Tensor x, int n, int c, int s, double[] mean, double[] var, Device device) {
        FloatBuffer xb = x.floats();
        long perChannel = (long) n * s;
        device.parallelFor(c, 3L * perChannel + 1, (from, to) -> {
            float[] v = new float[s];
            for (int ch = from; ch < to; ch++) {
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    xb.get((i * c + ch) * s, v, 0, s);
                    sum += VectorMath.sum(v, 0, s);
                }
                double mu = perChannel == 0 ? 0 : sum / perChannel;
                double sq = 0;
                for (int i = 0; i < n; i++) {
                    xb.get((i * c + ch) * s, v, 0, s);
                    sq += centredDot(v, mu, v, mu, s);
                }
                mean[ch] = mu;
                var[ch] = perChannel == 0 ? 0 : sq / perChannel;
            }
        });
    }

    /** y = x * a[c] + b[c], split by (n, c) planes. */
    static void apply(Tensor x, Tensor y, int n, int c, int s, double[] a, double[] b, Device device) {
        FloatBuffer xb = x.floats();
        FloatBuffer yb = y.floats();
        device.parallelFor(n * c, 2L * s + 1, (from, to) -> {
            float[] v = new float[s];
            for (int p = from; p < to; p++) {
                int ch = p % c;
                float ka = (float) a[ch];
                float kb = (float) b[ch];
                xb.get(p * s, v, 0, s);
                for (int j = 0; j < s; j++) {
                    v[j] = v[j] * ka + kb;
                }
                yb.put(p * s, v, 0, s);
            }
        });
    }

    /**
     * Per channel, sum dy and sum dy * xhat (xhat = (x - mean) * invStd) into {@code sumDy} and
     * {@code sumDyXhat}; with {@code dx}, also dx = scale * invStd * (dy - mean(dy) - xhat * mean(dy *
     * xhat)) for batch statistics, or dy * scale * invStd for running ones.
     */
    static void backward(Tensor x, Tensor gy, Tensor dx, int n, int c, int s, double[] mean, double[] invStd,
                         double[] scale, boolean batch, double[] sumDy, double[] sumDyXhat, Device device) {
        FloatBuffer xb = x.floats();
        FloatBuffer gb = gy.floats();
        FloatBuffer db = dx == null ? null : dx.floats();
        double m = (double) n * s;
        device.parallelFor(c, 8L * n * s + 1, (from, to) -> {
            float[] xv = new float[s];
            float[] gv = new float[s];
            for (int ch = from; ch < to; ch++) {
                float mu = (float) mean[ch];
                double sg = 0;
                double sgx = 0;
                for (int i = 0; i < n; i++) {
                    int off = (i * c + ch) * s;
                    xb.get(off, xv, 0, s);
                    gb.get(off, gv, 0, s);
                    sg += VectorMath.sum(gv, 0, s);
                    sgx += centredDot(gv, 0, xv, mean[ch], s);
                }
                sgx *= invStd[ch];
                sumDy[ch] = sg;
                sumDyXhat[ch] = sgx;
                if (db == null) {
                    continue;
                }
                float k = (float) (scale[ch] * invStd[ch]);
                float mg = batch ? (float) (sg / m) : 0f;
                // xhat * mean(dy * xhat) = (x - mean) * invStd * mgx
                float slope = batch ? (float) (sgx / m * invStd[ch]) : 0f;
                for (int i = 0; i < n; i++) {
                    int off = (i * c + ch) * s;
                    xb.get(off, xv, 0, s);
                    gb.get(off, gv, 0, s);
                    for (int j = 0; j < s; j++) {
                        gv[j] = k * (gv[j] - mg - (xv[j] - mu) * slope);
                    }
                    db.put(off, gv, 0, s);
                }
            }
        });
    }

    /** Sum of (a - meanA) * (b - meanB): squared deviations (a = b), or dy * (x - mean) (meanA = 0). */
    private static double centredDot(float[] a, double meanA, float[] b, double meanB, int len) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 3 < len; j += 4) {
            s0 += (a[j] - meanA) * (b[j] - meanB);
            s1 += (a[j + 1] - meanA) * (b[j + 1] - meanB);
            s2 += (a[j + 2] - meanA) * (b[j + 2] - meanB);
            s3 += (a[j + 3] - meanA) * (b[j + 3] - meanB);
        }
        for (; j < len; j++) {
            s0 += (a[j] - meanA) * (b[j] - meanB);
        }
        return (s0 + s1) + (s2 + s3);
    }
}
