package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tile: the input repeated {@code repeats[d]} times along each axis d (Tile-6; Tile-1 repeats one
 * {@code axis} by {@code tiles}, both inputs). An output axis of length r*n reads coordinate c as
 * input coordinate c mod n, which is exactly two axes (r, step 0) and (n, the input's stride): the
 * tile is an {@link IndexMap} over twice the rank. The gradient sums the copies back.
 */
final class Tile extends Operator {
    private final boolean axisInput;

    private Tile(Node node, boolean axisInput) {
        super(node);
        this.axisInput = axisInput;
    }

    /** Tile-1: inputs {@code input}, {@code tiles}, {@code axis}. */
    static Tile v1(Node node) {
        return new Tile(node, true);
    }

    /** Tile-6: inputs {@code input}, {@code repeats}. */
    static Tile v6(Node node) {
        return new Tile(node, false);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        int[] repeats = repeats(x.rank(), inputs);
        int[] out = x.shape().clone();
        for (int d = 0; d < out.length; d++) {
            long n = (long) out[d] * repeats[d];
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("repeating axis " + d + " of length " + out[d] + " "
                        + repeats[d] + " times gives more than 2^31-1 elements");
            }
            out[d] = (int) n;
        }
        return outputs(map(x.shape(), repeats).forward(x, null, out, ctx));
    }

    private int[] repeats(int rank, Value[] inputs) {
        int[] r = new int[rank];
        if (axisInput) {
            Arrays.fill(r, 1);
            long tiles = Args.scalar(required(inputs, 1), "tiles");
            int axis = Args.axis(Args.scalar(required(inputs, 2), "axis"), rank, "input 'axis'");
            if (tiles < 0 || tiles > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("input 'tiles' = " + tiles + " is invalid");
            }
            r[axis] = (int) tiles;
            return r;
        }
        long[] rep = Args.longs(required(inputs, 1), "repeats");
        if (rep.length != rank) {
            throw new IllegalArgumentException("input 'repeats' has " + rep.length + " entries for an input of rank "
                    + rank);
        }
        for (int d = 0; d < rank; d++) {
            if (rep[d] < 0 || rep[d] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("input 'repeats' " + Arrays.toString(rep) + " has an invalid entry "
                        + rep[d]);
            }
            r[d] = (int) rep[d];
        }
        return r;
    }

    private static IndexMap map(int[] in, int[] repeats) {
        int[] strides = Shapes.strides(in);
        List<IndexMap.Axis> axes = new ArrayList<>(2 * in.length);
        for (int d = 0; d < in.length; d++) {
            axes.add(IndexMap.Axis.affine(repeats[d], 0, 0));
            axes.add(IndexMap.Axis.affine(in[d], 0, strides[d]));
        }
        return new IndexMap(axes, false);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        return IndexMap.backward(g);
    }
}
