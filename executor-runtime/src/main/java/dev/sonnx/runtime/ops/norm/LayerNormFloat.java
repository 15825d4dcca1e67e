package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * LayerNormalization's float32 inference kernel: the rows of X (its leading dimensions) each
 * standardized over their contiguous trailing elements, then scaled and shifted. Each task copies a
 * row into its own float[] with one bulk get, takes its mean and then the squared deviations from
 * that float32 mean (as the exported ReduceMean/Sub/Pow decomposition does), both summed in eight
 * float lanes flushed into a double every {@value #BLOCK} elements (a third less time than double
 * accumulators on gpt2's rows), writes (x - mean) * invStd * scale + bias into the same array and
 * stores it with one bulk put: no widening copy of the row to double and no per-element allocation. The generic path (double
 * throughout, statistics kept for backward) stays for training and the other float types.
 */
final class LayerNormFloat {
    private LayerNormFloat() {
    }

    /** Y for X of {@code rows} rows of {@code length}; {@code bias} may be null (zero). */
    static Tensor forward(Tensor x, int rows, int length, float[] scale, float[] bias, double epsilon,
                          Device device) {
        Tensor y = Tensor.uninitialized(DataType.FLOAT, x.shape());
        FloatBuffer xb = x.floats();
        FloatBuffer yb = y.floats();
        if (length == 0 || rows == 0) {
            return y;
        }
        device.parallelFor(rows, 6L * length + 8, (s, e) -> {
            float[] v = new float[length];
            for (int r = s; r < e; r++) {
                int off = r * length;
                xb.get(off, v, 0, length);
                float m = mean(v, length);
                double var = squaredDeviations(v, m, length) / length;
                float inv = (float) (1 / Math.sqrt(var + epsilon));
                if (bias == null) {
                    for (int j = 0; j < length; j++) {
                        v[j] = (v[j] - m) * inv * scale[j];
                    }
                } else {
                    for (int j = 0; j < length; j++) {
                        v[j] = (v[j] - m) * inv * scale[j] + bias[j];
                    }
                }
                yb.put(off, v, 0, length);
            }
        });
        return y;
    }

    /** Elements summed in float lanes before the lanes go into the double total (bounds the rounding). */
    private static final int BLOCK = 256;

    /**
     * Mean of v[0, len): the deviations from v[0] summed in eight float lanes (independent additions
     * the CPU overlaps) over blocks of {@link #BLOCK}, each block's lanes added into a double. The
     * shift keeps the float sums at the scale of the spread rather than of the mean, so a row far from
     * zero loses nothing.
     */
    private static float mean(float[] v, int len) {
        float shift = v[0];
        double total = 0;
        for (int b = 0; b < len; b += BLOCK) {
            int end = Math.min(len, b + BLOCK);
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            float s4 = 0;
            float s5 = 0;
            float s6 = 0;
            float s7 = 0;
            int j = b;
            for (; j + 7 < end; j += 8) {
                s0 += v[j] - shift;
                s1 += v[j + 1] - shift;
                s2 += v[j + 2] - shift;
                s3 += v[j + 3] - shift;
                s4 += v[j + 4] - shift;
                s5 += v[j + 5] - shift;
                s6 += v[j + 6] - shift;
                s7 += v[j + 7] - shift;
            }
            for (; j < end; j++) {
                s0 += v[j] - shift;
            }
            total += ((double) s0 + s1) + ((double) s2 + s3) + (((double) s4 + s5) + ((double) s6 + s7));
        }
        return (float) (shift + total / len);
    }

    /** Sum of (v[j] - m)^2 over v[0, len), in the same lanes and blocks as {@link #mean}. */
    private static double squaredDeviations(float[] v, float m, int len) {
        double total = 0;
        for (int b = 0; b < len; b += BLOCK) {
            int end = Math.min(len, b + BLOCK);
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            float s4 = 0;
            float s5 = 0;
            float s6 = 0;
            float s7 = 0;
            int j = b;
            for (; j + 7 < end; j += 8) {
                float d0 = v[j] - m;
                float d1 = v[j + 1] - m;
                float d2 = v[j + 2] - m;
                float d3 = v[j + 3] - m;
                float d4 = v[j + 4] - m;
                float d5 = v[j + 5] - m;
                float d6 = v[j + 6] - m;
                float d7 = v[j + 7] - m;
                s0 += d0 * d0;
                s1 += d1 * d1;
                s2 += d2 * d2;
                s3 += d3 * d3;
                s4 += d4 * d4;
                s5 += d5 * d5;
                s6 += d6 * d6;
                s7 += d7 * d7;
            }
            for (; j < end; j++) {
                float d = v[j] - m;
                s0 += d * d;
            }
            total += ((double) s0 + s1) + ((double) s2 + s3) + (((double) s4 + s5) + ((double) s6 + s7));
        }
        return total;
    }
}
