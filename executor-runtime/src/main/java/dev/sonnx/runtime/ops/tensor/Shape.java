package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;

/**
 * Shape: the input's dimensions as a 1-D int64 tensor; from Shape-15, only those in
 * [{@code start}, {@code end}) (negative counts from the end, both clamped to [0, rank]).
 */
final class Shape extends Operator {
    private final long start;
    private final Long end;

    /** {@code window}: whether the version has {@code start} and {@code end} (Shape-15). */
    Shape(Node node, boolean window) {
        super(node);
        this.start = window ? node.attributes().getLong("start", 0) : 0;
        this.end = window && node.attributes().has("end") ? node.attributes().getLong("end", 0) : null;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        int[] shape = required(inputs, 0).shape();
        int rank = shape.length;
        int s = bound(start, rank);
        int e = end == null ? rank : bound(end, rank);
        int[] dims = s < e ? Arrays.copyOfRange(shape, s, e) : new int[0];
        return outputs(Tensor.of(Args.toLongs(dims), dims.length));
    }

    private static int bound(long v, int rank) {
        return (int) Args.clamp(v < 0 ? v + rank : v, 0, rank);
    }
}
