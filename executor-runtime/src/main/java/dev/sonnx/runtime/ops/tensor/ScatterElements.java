package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * ScatterElements (and its deprecated alias Scatter-9/11): update {@code updates[i0..ir]} goes to
 * data's element at the same coordinates except along {@code axis}, where it takes
 * {@code indices[i0..ir]} (negative counts from the end). Indices and updates share a shape.
 * Reductions: add and mul from ScatterElements-16, max and min from 18.
 */
final class ScatterElements extends ScatterOp {
    private final long axis;

    ScatterElements(Node node, Reduction... allowed) {
        super(node, allowed);
        this.axis = node.attributes().getLong("axis", 0);
    }

    @Override
    int[] targets(Tensor data, Tensor indices, Tensor updates) {
        if (!Shapes.equal(indices.shape(), updates.shape())) {
            throw new IllegalArgumentException("input 'updates' has shape " + Shapes.toString(updates.shape())
                    + ", indices " + Shapes.toString(indices.shape()) + ": they must match");
        }
        int a = Args.axis(axis, data.rank(), "attribute 'axis'");
        return GatherElements.offsets(data.shape(), a, indices, "indices");
    }

    /** The fewest elements of a slab worth checking for: below, per-element targets cost little. */
    private static final int MIN_SLAB = 64;

    /**
     * Whole slabs: indices, updates and data share every dimension but {@code axis}, and each slab
     * of indices (all the elements after the axis, at one position along it) holds one value, so
     * the update's slab lands whole at that position. torchvision's Faster R-CNN merges its pooled
     * regions this way (an index per region, expanded over 256 x 7 x 7): 12.5 million targets a
     * call otherwise. Checked element by element; anything else takes the general path.
     */
    @Override
    Tensor slabs(Tensor data, Tensor indices, Tensor updates) {
        int[] d = data.shape();
        int[] q = indices.shape();
        if (q.length != d.length || !Shapes.equal(q, updates.shape()) || indices.size() == 0
                || indices.dtype() != DataType.INT64 && indices.dtype() != DataType.INT32) {
            return null;
        }
        int a = Args.axis(axis, d.length, "attribute 'axis'");
        for (int j = 0; j < d.length; j++) {
            if (j != a && q[j] != d[j]) {
                return null;
            }
        }
        int slab = Shapes.product(d, a + 1, d.length);
        if (slab < MIN_SLAB) {
            return null;
        }
        int count = indices.size() / slab;
        int[] position = new int[count];
        java.nio.LongBuffer longs = indices.dtype() == DataType.INT64 ? indices.longs() : null;
        java.nio.IntBuffer ints = longs == null ? indices.ints() : null;
        for (int s = 0, i = 0; s < count; s++) {
            long v = longs != null ? longs.get(i) : ints.get(i);
            for (int end = i + slab; i < end; i++) {
                if ((longs != null ? longs.get(i) : ints.get(i)) != v) {
                    return null;
                }
            }
            if (v < -d[a] || v >= d[a]) {
                return null; // the general path names the index and its position
            }
            position[s] = (int) (v < 0 ? v + d[a] : v);
        }
        Tensor out = Mover.copyOf(data);
        Mover move = Mover.of(updates, out);
        for (int s = 0; s < count; s++) {
            int outer = s / q[a];
            move.run(s * slab, (outer * d[a] + position[s]) * slab, slab);
        }
        return out;
    }
}
