package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.IntBuffer;
import java.nio.LongBuffer;

/**
 * Index tensors (int32 or int64) read once into ints, with negative indices counted from the end
 * of their axis and anything out of range refused with the index, its position and the bound.
 */
final class Indices {
    private Indices() {
    }

    /** Every index of {@code t} taken against an axis of length {@code dim}. */
    static int[] read(Tensor t, int dim, String name) {
        return read(t, new int[] {dim}, name);
    }

    /**
     * Element i of {@code t} taken against an axis of length {@code dims[i % dims.length]} (the
     * last dimension of GatherND's indices runs over several axes).
     */
    static int[] read(Tensor t, int[] dims, String name) {
        Args.requireIndexType(t, name);
        int n = t.size();
        int[] r = new int[n];
        if (n == 0) {
            return r;
        }
        IntBuffer ints = t.dtype() == DataType.INT32 ? t.ints() : null;
        LongBuffer longs = ints == null ? t.longs() : null;
        int m = dims.length;
        for (int i = 0, k = 0; i < n; i++, k = k + 1 == m ? 0 : k + 1) {
            long v = ints != null ? ints.get(i) : longs.get(i);
            int dim = dims[k];
            if (v < -dim || v >= dim) {
                throw new IllegalArgumentException("input '" + name + "' holds " + v + " at position " + i
                        + ", out of range for an axis of length " + dim);
            }
            r[i] = (int) (v < 0 ? v + dim : v);
        }
        return r;
    }
}
