package dev.sonnx.runtime.ops.reduce;

import dev.sonnx.runtime.tensor.Shapes;
import java.util.Arrays;

/**
 * How one input shape reduces over a set of axes, as {@code outer x reduced x inner}. Neighbouring
 * axes of the same kind (reduced or kept) merge into groups and size-1 axes drop out; when the
 * reduced axes still form more than one group (e.g. axes 0 and 2 of [A, B, C, D]), the input is
 * first copied into the order (kept groups, reduced groups, trailing kept group), which never moves
 * the last group, so the copy goes by contiguous runs. Kept elements keep their relative order,
 * so the output index of element (o, r, i) is {@code o * inner + i}.
 */
public final class ReducePlan {
    private final int[] inShape;
    private final int[] outShape;
    private final int[] keepShape;
    private final int outer;
    private final int reduced;
    private final int inner;
    /** Grouped input shape and the group order to copy it into; null when no copy is needed. */
    private final int[] groupShape;
    private final int[] groupOrder;

    private ReducePlan(int[] inShape, int[] outShape, int[] keepShape, int outer, int reduced, int inner,
                       int[] groupShape, int[] groupOrder) {
        this.inShape = inShape;
        this.outShape = outShape;
        this.keepShape = keepShape;
        this.outer = outer;
        this.reduced = reduced;
        this.inner = inner;
        this.groupShape = groupShape;
        this.groupOrder = groupOrder;
    }

    /**
     * Plans reducing {@code shape} over the axes flagged in {@code reduce} (one flag per axis; none
     * flagged reduces each element alone, which is the noop of empty axes).
     */
    public static ReducePlan of(int[] shape, boolean[] reduce, boolean keepdims) {
        int rank = shape.length;
        int[] keep = shape.clone();
        int outRank = 0;
        for (int d = 0; d < rank; d++) {
            if (reduce[d]) {
                keep[d] = 1;
            } else {
                outRank++;
            }
        }
        int[] out = keepdims ? keep : new int[outRank];
        if (!keepdims) {
            for (int d = 0, k = 0; d < rank; d++) {
                if (!reduce[d]) {
                    out[k++] = shape[d];
                }
            }
        }
        // Merge runs of same-kind axes; size-1 axes are neither, they change no offset.
        int[] gSize = new int[rank];
        boolean[] gReduced = new boolean[rank];
        int groups = 0;
        for (int d = 0; d < rank; d++) {
            if (shape[d] == 1) {
                continue;
            }
            if (groups > 0 && gReduced[groups - 1] == reduce[d]) {
                gSize[groups - 1] *= shape[d];
            } else {
                gSize[groups] = shape[d];
                gReduced[groups] = reduce[d];
                groups++;
            }
        }
        int reducedGroups = 0;
        for (int g = 0; g < groups; g++) {
            if (gReduced[g]) {
                reducedGroups++;
            }
        }
        boolean trailingKept = groups > 0 && !gReduced[groups - 1];
        int inner = trailingKept ? gSize[groups - 1] : 1;
        int outer = 1;
        int red = 1;
        for (int g = 0; g < groups - (trailingKept ? 1 : 0); g++) {
            if (gReduced[g]) {
                red *= gSize[g];
            } else {
                outer *= gSize[g];
            }
        }
        if (reducedGroups <= 1) {
            // Kept groups before the reduced one are the outer; after it, the inner.
            outer = 1;
            inner = 1;
            boolean seen = false;
            for (int g = 0; g < groups; g++) {
                if (gReduced[g]) {
                    seen = true;
                } else if (seen) {
                    inner *= gSize[g];
                } else {
                    outer *= gSize[g];
                }
            }
            return new ReducePlan(shape.clone(), out, keep, outer, red, inner, null, null);
        }
        int[] order = new int[groups];
        int k = 0;
        for (int g = 0; g < groups; g++) {
            if (!gReduced[g] && !(trailingKept && g == groups - 1)) {
                order[k++] = g;
            }
        }
        for (int g = 0; g < groups; g++) {
            if (gReduced[g]) {
                order[k++] = g;
            }
        }
        if (trailingKept) {
            order[k] = groups - 1;
        }
        return new ReducePlan(shape.clone(), out, keep, outer, red, inner, Arrays.copyOf(gSize, groups), order);
    }

    /** The shape of the input this plan was made for. */
    public int[] inShape() {
        return inShape;
    }

    /** The output shape (with or without the reduced axes, as keepdims said). */
    public int[] outShape() {
        return outShape;
    }

    /** The output shape with reduced axes kept as 1: how the output broadcasts back onto the input. */
    public int[] keepShape() {
        return keepShape;
    }

    public int outer() {
        return outer;
    }

    /** How many input elements fold into each output element. */
    public int reduced() {
        return reduced;
    }

    public int inner() {
        return inner;
    }

    /** Whether the input must be copied into (kept, reduced, trailing kept) order first. */
    boolean needsCopy() {
        return groupShape != null;
    }

    int[] groupShape() {
        return groupShape;
    }

    int[] groupOrder() {
        return groupOrder;
    }

    @Override
    public String toString() {
        return Shapes.toString(inShape) + " -> " + Shapes.toString(outShape) + " as " + outer + " x " + reduced
                + " x " + inner + (needsCopy() ? " after regrouping" : "");
    }
}
