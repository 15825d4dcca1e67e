package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
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
}
