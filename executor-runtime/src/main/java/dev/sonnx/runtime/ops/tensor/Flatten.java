package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Flatten: the input viewed as a matrix, the dimensions before {@code axis} (default 1; negative
 * counts from the end, from Flatten-11) forming the rows and the rest the columns.
 */
final class Flatten extends ViewOp {
    private final long axis;

    Flatten(Node node) {
        super(node);
        this.axis = node.attributes().getLong("axis", 1);
    }

    @Override
    int[] outputShape(Tensor data, Value[] inputs) {
        int rank = data.rank();
        if (axis < -rank || axis > rank) {
            throw new IllegalArgumentException("attribute 'axis' = " + axis + " is out of range for rank " + rank
                    + " (expected " + -rank + " to " + rank + ")");
        }
        int a = (int) (axis < 0 ? axis + rank : axis);
        int[] s = data.shape();
        return new int[] {Shapes.product(s, 0, a), Shapes.product(s, a, rank)};
    }
}
