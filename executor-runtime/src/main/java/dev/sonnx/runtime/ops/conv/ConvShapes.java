package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.tensor.Tensor;
import java.util.Arrays;

/** Shape checks and small shape helpers shared by the convolution operators. */
public final class ConvShapes {
    private ConvShapes() {
    }

    /** The spatial dimensions of an {@code [N, C, spatial...]} shape. */
    public static int[] spatial(int[] shape) {
        return Arrays.copyOfRange(shape, 2, shape.length);
    }

    /** {@code [n, c, spatial...]}. */
    public static int[] withBatchAndChannels(int n, int c, int[] spatial) {
        int[] r = new int[spatial.length + 2];
        r[0] = n;
        r[1] = c;
        System.arraycopy(spatial, 0, r, 2, spatial.length);
        return r;
    }

    /** Fails unless {@code x} is {@code [N, C, D1, ...]} with at least one spatial dimension. */
    public static void requireImage(Tensor x, String name) {
        if (x.rank() < 3) {
            throw new IllegalArgumentException("input " + name + " has shape " + Arrays.toString(x.shape())
                    + ", expected [N, C, D1, ...] with at least one spatial dimension");
        }
    }

    /**
     * Checks the weights of a convolution ({@code [M, C/group, k...]}) or transposed convolution
     * ({@code [C, M/group, k...]}) against input X and the group count.
     */
    public static void requireWeights(Tensor x, Tensor w, int group, boolean transposed) {
        if (w.rank() != x.rank()) {
            throw new IllegalArgumentException("input W has shape " + Arrays.toString(w.shape()) + ", expected rank "
                    + x.rank() + " like input X " + Arrays.toString(x.shape()));
        }
        int c = x.shape()[1];
        if (transposed) {
            if (w.shape()[0] != c) {
                throw new IllegalArgumentException("input W has shape " + Arrays.toString(w.shape())
                        + ", expected " + c + " (the channels of X) in dimension 0");
            }
            if (c % group != 0) {
                throw new IllegalArgumentException("input X has " + c + " channels, not divisible by group " + group);
            }
        } else {
            if ((long) w.shape()[1] * group != c) {
                throw new IllegalArgumentException("input X has " + c + " channels but W " + Arrays.toString(w.shape())
                        + " with group " + group + " expects " + (long) w.shape()[1] * group);
            }
            if (w.shape()[0] % group != 0) {
                throw new IllegalArgumentException("input W has " + w.shape()[0]
                        + " output channels, not divisible by group " + group);
            }
        }
    }

    /** Fails unless the optional bias is a vector of {@code m} elements. */
    public static void requireBias(Tensor b, int m) {
        if (b != null && (b.rank() != 1 || b.shape()[0] != m)) {
            throw new IllegalArgumentException("input B has shape " + Arrays.toString(b.shape()) + ", expected [" + m
                    + "]");
        }
    }
}
