package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Concat: inputs of one type and rank joined along {@code axis} (required from Concat-4; Concat-1
 * defaults to 1; negative from Concat-11), every other dimension equal. Inputs may be empty along
 * the axis. The gradient of each input is its slab of the output gradient.
 */
final class Concat extends Operator {
    private final long axis;

    private Concat(Node node, long axis) {
        super(node);
        this.axis = axis;
    }

    /** Concat-1: {@code axis} defaults to 1. */
    static Concat v1(Node node) {
        return new Concat(node, node.attributes().getLong("axis", 1));
    }

    /** Concat-4 and later: {@code axis} is required. */
    static Concat v4(Node node) {
        return new Concat(node, node.attributes().requireLong("axis"));
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        if (inputs.length == 0) {
            throw new IllegalArgumentException("Concat needs at least one input");
        }
        Tensor[] parts = new Tensor[inputs.length];
        for (int k = 0; k < parts.length; k++) {
            parts[k] = required(inputs, k);
        }
        TypeCheck.same(parts);
        int[] first = parts[0].shape();
        int a = Args.axis(axis, first.length, "attribute 'axis'");
        int[] lengths = new int[parts.length];
        long sum = 0;
        for (int k = 0; k < parts.length; k++) {
            int[] s = parts[k].shape();
            if (s.length != first.length) {
                throw new IllegalArgumentException("input " + k + " has rank " + s.length + ", input 0 has rank "
                        + first.length);
            }
            for (int d = 0; d < s.length; d++) {
                if (d != a && s[d] != first[d]) {
                    throw new IllegalArgumentException("input " + k + " has shape " + Shapes.toString(s)
                            + ", input 0 has " + Shapes.toString(first) + ": they differ outside axis " + a);
                }
            }
            lengths[k] = s[a];
            sum += s[a];
        }
        if (sum > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("the output axis would have " + sum + " elements");
        }
        if (parts.length == 1) {
            return outputs(parts[0]); // nothing to join: the data is unchanged
        }
        int[] outShape = first.clone();
        outShape[a] = (int) sum;
        Tensor out = Tensor.uninitialized(parts[0].dtype(), outShape);
        new AxisBlocks(outShape, a, lengths).join(parts, out, ctx.device());
        return outputs(out);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        int n = g.inputCount();
        Tensor[] grads = new Tensor[n];
        Tensor gy = g.gradOutput(0);
        if (gy == null) {
            return grads;
        }
        int a = Args.axis(axis, gy.rank(), "attribute 'axis'");
        int[] lengths = new int[n];
        for (int k = 0; k < n; k++) {
            int[] s = g.input(k).shape();
            lengths[k] = s[a];
            if (g.needsGrad(k)) {
                grads[k] = Tensor.uninitialized(gy.dtype(), s);
            }
        }
        new AxisBlocks(gy.shape(), a, lengths).split(gy, grads, g.device());
        return grads;
    }
}
