package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Compress: the slices along {@code axis} (or, without it, the elements of the flattened input)
 * whose entry in the bool {@code condition} is true. A condition shorter than the axis drops the
 * rest; a longer one may only be false past the end. The gradient scatters back into zeros.
 */
final class Compress extends Operator {
    private final Long axis;

    Compress(Node node) {
        super(node);
        this.axis = node.attributes().has("axis") ? node.attributes().getLong("axis", 0) : null;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor condition = required(inputs, 1);
        int[] shape = axis == null ? new int[] {x.size()} : x.shape();
        int a = axis == null ? 0 : Args.axis(axis, x.rank(), "attribute 'axis'");
        int[] picks = picks(condition, shape[a]);
        int[] out = shape.clone();
        out[a] = picks.length;
        return outputs(Gather.alongAxis(shape, a, picks, true).forward(x, null, out, ctx));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        return IndexMap.backward(g);
    }

    /** Coordinates along an axis of length {@code dim} where the condition holds. */
    private static int[] picks(Tensor condition, int dim) {
        if (condition.dtype() != DataType.BOOL || condition.rank() != 1) {
            throw new IllegalArgumentException("input 'condition' must be a 1-D bool tensor, got "
                    + condition.describe());
        }
        int n = condition.size();
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (condition.getBool(i)) {
                if (i >= dim) {
                    throw new IllegalArgumentException("input 'condition' is true at position " + i
                            + ", past the axis length " + dim);
                }
                count++;
            }
        }
        int[] picks = new int[count];
        for (int i = 0, k = 0; i < n; i++) {
            if (condition.getBool(i)) {
                picks[k++] = i;
            }
        }
        return picks;
    }
}
