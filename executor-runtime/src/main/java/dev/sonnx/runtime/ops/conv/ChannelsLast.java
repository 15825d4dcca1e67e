package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * Images stored channels-last: the tensor's shape is {@code [N, spatial..., C]} and its bytes are
 * those of oneDNN's nhwc layout, while the operator computes on the logical {@code [N, C, spatial...]}
 * image. Inference plans keep chains of convolutions and pools channels-last (oneDNN's kernels work
 * on that layout natively; on [N, C, H, W] they reorder the data at every call). Kernels without a
 * channels-last form convert with {@link #toFirst} and {@link #toLast}.
 */
final class ChannelsLast {
    private ChannelsLast() {
    }

    /** {@code [N, spatial..., C]} to {@code [N, C, spatial...]}. */
    static int[] logical(int[] physical) {
        int r = physical.length;
        if (r < 3) {
            throw new IllegalArgumentException("a channels-last image has rank >= 3, got shape "
                    + java.util.Arrays.toString(physical));
        }
        int[] s = new int[r];
        s[0] = physical[0];
        s[1] = physical[r - 1];
        System.arraycopy(physical, 1, s, 2, r - 2);
        return s;
    }

    /** {@code [N, C, spatial...]} to {@code [N, spatial..., C]}. */
    static int[] physical(int[] logical) {
        int r = logical.length;
        int[] s = new int[r];
        s[0] = logical[0];
        System.arraycopy(logical, 2, s, 1, r - 2);
        s[r - 1] = logical[1];
        return s;
    }

    /** A channels-last tensor as a plain [N, C, spatial...] copy. */
    static Tensor toFirst(Tensor t, Device device) {
        return t == null ? null : permute(t, logical(t.shape()), false, device);
    }

    /** A plain [N, C, spatial...] tensor as a channels-last copy. */
    static Tensor toLast(Tensor t, Device device) {
        return permute(t, physical(t.shape()), true, device);
    }

    /**
     * Copies between the layouts: {@code toLast} reads [N, C, S] and writes [N, S, C], else the reverse
     * (S the spatial positions flattened).
     */
    private static Tensor permute(Tensor t, int[] outShape, boolean toLast, Device device) {
        int[] l = toLast ? t.shape() : logical(t.shape());
        int n = l[0];
        int c = l[1];
        int s = t.size() / Math.max(1, n * c);
        Tensor out = Tensor.uninitialized(t.dtype(), outShape);
        if (t.size() == 0) {
            return out;
        }
        boolean f32 = t.dtype() == DataType.FLOAT;
        FloatBuffer in = f32 ? t.floats() : null;
        FloatBuffer o = f32 ? out.floats() : null;
        device.parallelFor(n * c, s, (from, to) -> {
            for (int nc = from; nc < to; nc++) {
                int img = nc / c;
                int ch = nc - img * c;
                int first = nc * s;
                int last = img * s * c + ch;
                for (int p = 0; p < s; p++) {
                    int src = toLast ? first + p : last + p * c;
                    int dst = toLast ? last + p * c : first + p;
                    if (f32) {
                        o.put(dst, in.get(src));
                    } else {
                        out.setDouble(dst, t.getDouble(src));
                    }
                }
            }
        });
        return out;
    }
}
