package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.Arrays;

/**
 * ScatterND: each row of {@code indices} (last dimension k) addresses a slice of data by its first
 * k coordinates; the matching slice of {@code updates} (shape: indices' shape without its last
 * dimension, then the slice's shape) is written there. Reductions: add and mul from ScatterND-16,
 * max and min from 18.
 */
final class ScatterND extends ScatterOp {

    ScatterND(Node node, Reduction... allowed) {
        super(node, allowed);
    }

    @Override
    int[] targets(Tensor data, Tensor indices, Tensor updates) {
        GatherND.Slices p = GatherND.Slices.of(data.shape(), indices, 0);
        int[] q = indices.shape();
        int[] expected = new int[q.length - 1 + data.rank() - p.depth()];
        System.arraycopy(q, 0, expected, 0, q.length - 1);
        System.arraycopy(data.shape(), p.depth(), expected, q.length - 1, data.rank() - p.depth());
        if (!Arrays.equals(expected, updates.shape())) {
            throw new IllegalArgumentException("input 'updates' has shape " + Shapes.toString(updates.shape())
                    + ", expected " + Shapes.toString(expected));
        }
        int len = p.sliceSize();
        int[] targets = new int[updates.size()];
        for (int i = 0; i < p.starts().length; i++) {
            for (int j = 0; j < len; j++) {
                targets[i * len + j] = p.starts()[i] + j;
            }
        }
        return targets;
    }
}
