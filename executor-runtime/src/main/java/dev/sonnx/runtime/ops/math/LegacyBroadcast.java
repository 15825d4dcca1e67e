package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * The limited broadcasting of binary operators before opset 7 (Add-1/6, Pow-1, And-1, Equal-1...):
 * without {@code broadcast=1} both inputs must have the same shape; with it, B is either a single
 * element or matches a contiguous run of A's dimensions starting at {@code axis} (by default, A's
 * last dimensions). {@link #align} reshapes B to A's rank so numpy broadcasting then does the rest.
 */
final class LegacyBroadcast {
    private final boolean enabled;
    private final Integer axis;

    LegacyBroadcast(Node node) {
        long b = node.attributes().getLong("broadcast", 0);
        if (b != 0 && b != 1) {
            throw new IllegalArgumentException("attribute 'broadcast' must be 0 or 1, got " + b);
        }
        this.enabled = b == 1;
        this.axis = node.attributes().has("axis") ? node.attributes().getInt("axis", 0) : null;
    }

    /** B viewed with A's rank, ready for numpy broadcasting against A. */
    Tensor align(Tensor a, Tensor b) {
        int[] as = a.shape();
        int[] bs = b.shape();
        if (!enabled) {
            if (!Shapes.equal(as, bs)) {
                throw new IllegalArgumentException("input B has shape " + Shapes.toString(bs) + ", input A "
                        + Shapes.toString(as) + ": different shapes need attribute broadcast=1 before opset 7");
            }
            return b;
        }
        if (b.size() == 1) {
            return b.reshape(ones(as.length));
        }
        if (bs.length > as.length) {
            throw new IllegalArgumentException("input B has shape " + Shapes.toString(bs)
                    + ", of higher rank than input A " + Shapes.toString(as));
        }
        int start = axis == null ? as.length - bs.length : Shapes.axis(axis, as.length);
        if (start + bs.length > as.length) {
            throw new IllegalArgumentException("input B with shape " + Shapes.toString(bs) + " does not fit input A "
                    + Shapes.toString(as) + " from axis " + start);
        }
        int[] shape = ones(as.length);
        for (int i = 0; i < bs.length; i++) {
            if (bs[i] != as[start + i]) {
                throw new IllegalArgumentException("input B has shape " + Shapes.toString(bs) + ", which does not match"
                        + " input A " + Shapes.toString(as) + " from axis " + start);
            }
            shape[start + i] = bs[i];
        }
        return b.reshape(shape);
    }

    private static int[] ones(int rank) {
        int[] s = new int[rank];
        java.util.Arrays.fill(s, 1);
        return s;
    }
}
