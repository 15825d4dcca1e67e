package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * Tensors laid side by side along one axis (Concat's inputs, Split's outputs): for every index of
 * the axes before it, each part holds one contiguous slab of the whole. Joining and splitting copy
 * those slabs, split across threads by outer index.
 */
final class AxisBlocks {
    private final int outer;
    private final int total;
    private final int[] block;
    private final int[] offset;

    /** Parts of lengths {@code lengths} along {@code axis} of a whole of shape {@code whole}. */
    AxisBlocks(int[] whole, int axis, int[] lengths) {
        int inner = Shapes.product(whole, axis + 1, whole.length);
        this.outer = Shapes.product(whole, 0, axis);
        this.total = whole[axis] * inner;
        this.block = new int[lengths.length];
        this.offset = new int[lengths.length];
        int at = 0;
        for (int k = 0; k < lengths.length; k++) {
            block[k] = lengths[k] * inner;
            offset[k] = at;
            at += block[k];
        }
    }

    /** Copies each part into its place in {@code whole}; null parts are skipped (left as they are). */
    void join(Tensor[] parts, Tensor whole, Device device) {
        Mover[] movers = new Mover[parts.length];
        for (int k = 0; k < parts.length; k++) {
            movers[k] = parts[k] == null ? null : Mover.of(parts[k], whole);
        }
        device.parallelFor(outer, total, (s, e) -> {
            for (int o = s; o < e; o++) {
                for (int k = 0; k < movers.length; k++) {
                    if (movers[k] != null) {
                        movers[k].run(o * block[k], o * total + offset[k], block[k]);
                    }
                }
            }
        });
    }

    /** Copies each part of {@code whole} out into {@code parts} (null entries are skipped). */
    void split(Tensor whole, Tensor[] parts, Device device) {
        Mover[] movers = new Mover[parts.length];
        for (int k = 0; k < parts.length; k++) {
            movers[k] = parts[k] == null ? null : Mover.of(whole, parts[k]);
        }
        device.parallelFor(outer, total, (s, e) -> {
            for (int o = s; o < e; o++) {
                for (int k = 0; k < movers.length; k++) {
                    if (movers[k] != null) {
                        movers[k].run(o * total + offset[k], o * block[k], block[k]);
                    }
                }
            }
        });
    }
}
