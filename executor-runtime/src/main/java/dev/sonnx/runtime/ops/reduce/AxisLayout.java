package dev.sonnx.runtime.ops.reduce;

import dev.sonnx.runtime.tensor.Shapes;

/**
 * A row-major tensor seen as {@code outer x length x inner}: the layout every operator that works
 * along one axis (ArgMax, CumSum, TopK, Softmax...) iterates. Element (o, k, i) sits at
 * {@code (o * length + k) * inner + i}.
 */
public record AxisLayout(int outer, int length, int inner) {

    /** The layout around {@code axis} (already made non-negative). */
    public static AxisLayout around(int[] shape, int axis) {
        return new AxisLayout(Shapes.product(shape, 0, axis), shape.length == 0 ? 1 : shape[axis],
                Shapes.product(shape, axis + 1, shape.length));
    }

    /**
     * The opset 1-12 Softmax view: the tensor coerced to 2-D at {@code axis}, rows of
     * {@code shape[axis] * ... * shape[rank-1]} elements.
     */
    public static AxisLayout coerced2d(int[] shape, int axis) {
        return new AxisLayout(Shapes.product(shape, 0, axis), Shapes.product(shape, axis, shape.length), 1);
    }

    /** Offset of element (o, 0, i). */
    public int base(int o, int i) {
        return o * length * inner + i;
    }

    /** Number of (outer, inner) lines along the axis. */
    public int lines() {
        return outer * inner;
    }

    /** Offset of the first element of line {@code l} (lines are numbered o * inner + i). */
    public int lineStart(int l) {
        return base(l / inner, l % inner);
    }
}
