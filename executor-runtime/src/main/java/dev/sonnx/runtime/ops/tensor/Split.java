package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;

/**
 * Split: the input cut along {@code axis} (default 0) into one part per output. The part lengths
 * come from the {@code split} attribute (Split-2/11; Split-1 also takes it as an input), the
 * {@code split} input (Split-13), or, from Split-18, {@code num_outputs} equal parts of
 * ceil(dim / n) with a shorter last one; without either, the parts are equal and must divide the
 * axis exactly. The input's gradient is the outputs' gradients joined back (zero where none).
 */
final class Split extends Operator {
    private final long axis;
    private final long[] splitAttribute;
    private final boolean splitInput;
    private final int numOutputs;

    private Split(Node node, long[] splitAttribute, boolean splitInput, int numOutputs) {
        super(node);
        this.axis = node.attributes().getLong("axis", 0);
        this.splitAttribute = splitAttribute;
        this.splitInput = splitInput;
        this.numOutputs = numOutputs;
        if (node.outputCount() < 1) {
            throw new IllegalArgumentException("Split needs at least one output");
        }
        if (splitAttribute != null && splitAttribute.length != node.outputCount()) {
            throw new IllegalArgumentException("attribute 'split' " + Arrays.toString(splitAttribute) + " has "
                    + splitAttribute.length + " entries for " + node.outputCount() + " outputs");
        }
        if (numOutputs > 0 && numOutputs != node.outputCount()) {
            throw new IllegalArgumentException("attribute 'num_outputs' = " + numOutputs + " but the node has "
                    + node.outputCount() + " outputs");
        }
    }

    /** Split-1: {@code split} as an optional input or attribute. */
    static Split v1(Node node) {
        return new Split(node, node.attributes().getLongs("split", null), node.hasInput(1), 0);
    }

    /** Split-2 and -11: {@code split} attribute. */
    static Split v2(Node node) {
        return new Split(node, node.attributes().getLongs("split", null), false, 0);
    }

    /** Split-13: {@code split} input. */
    static Split v13(Node node) {
        return new Split(node, null, node.hasInput(1), 0);
    }

    /** Split-18: {@code split} input or {@code num_outputs} attribute, not both. */
    static Split v18(Node node) {
        int n = node.attributes().getInt("num_outputs", 0);
        if (node.attributes().has("num_outputs") && n < 1) {
            throw new IllegalArgumentException("attribute 'num_outputs' must be positive, got " + n);
        }
        if (n > 0 && node.hasInput(1)) {
            throw new IllegalArgumentException("input 'split' and attribute 'num_outputs' cannot both be given");
        }
        return new Split(node, null, node.hasInput(1), n);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        int a = Args.axis(axis, x.rank(), "attribute 'axis'");
        int[] lengths = lengths(inputs, x.shape()[a]);
        Tensor[] parts = new Tensor[lengths.length];
        for (int k = 0; k < parts.length; k++) {
            int[] s = x.shape().clone();
            s[a] = lengths[k];
            parts[k] = Tensor.uninitialized(x.dtype(), s);
        }
        new AxisBlocks(x.shape(), a, lengths).split(x, parts, ctx.device());
        return parts;
    }

    private int[] lengths(Value[] inputs, int dim) {
        int n = node.outputCount();
        long[] split = splitInput && tensor(inputs, 1) != null ? Args.longs(tensor(inputs, 1), "split")
                : splitAttribute;
        int[] r = new int[n];
        if (split != null) {
            if (split.length != n) {
                throw new IllegalArgumentException("'split' " + Arrays.toString(split) + " has " + split.length
                        + " entries for " + n + " outputs");
            }
            long sum = 0;
            for (int k = 0; k < n; k++) {
                if (split[k] < 0) {
                    throw new IllegalArgumentException("'split' " + Arrays.toString(split) + " has a negative entry");
                }
                sum += split[k];
                r[k] = (int) Math.min(split[k], Integer.MAX_VALUE);
            }
            if (sum != dim) {
                throw new IllegalArgumentException("'split' " + Arrays.toString(split) + " sums to " + sum
                        + ", the axis has length " + dim);
            }
            return r;
        }
        if (numOutputs > 0) {
            int chunk = (dim + n - 1) / n;
            int last = dim - chunk * (n - 1);
            if (last < 0) {
                throw new IllegalArgumentException("an axis of length " + dim + " cannot be split into " + n
                        + " parts of " + chunk);
            }
            Arrays.fill(r, chunk);
            r[n - 1] = last;
            return r;
        }
        if (dim % n != 0) {
            throw new IllegalArgumentException("an axis of length " + dim + " cannot be split into " + n
                    + " equal parts");
        }
        Arrays.fill(r, dim / n);
        return r;
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] grads = new Tensor[g.inputCount()];
        if (!g.needsGrad(0)) {
            return grads;
        }
        Tensor x = g.input(0);
        int a = Args.axis(axis, x.rank(), "attribute 'axis'");
        int n = node.outputCount();
        Tensor[] parts = new Tensor[n];
        int[] lengths = new int[n];
        Tensor any = null; // a gradient that reached some output: it gives the type
        for (int k = 0; k < n; k++) {
            parts[k] = g.gradOutput(k);
            lengths[k] = g.output(k).shape()[a];
            any = any == null ? parts[k] : any;
        }
        if (any == null) {
            return grads;
        }
        // outputs no gradient reached leave their part of gx zero
        Tensor gx = Arrays.asList(parts).contains(null) ? Tensor.zeros(any.dtype(), x.shape())
                : Tensor.uninitialized(any.dtype(), x.shape());
        new AxisBlocks(x.shape(), a, lengths).join(parts, gx, g.device());
        grads[0] = gx;
        return grads;
    }
}
