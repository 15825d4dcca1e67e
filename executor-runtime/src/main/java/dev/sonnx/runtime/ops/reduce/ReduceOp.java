package dev.sonnx.runtime.ops.reduce;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;
import java.util.Set;

/**
 * ReduceSum, ReduceMean, ReduceMax... at every version. Until ReduceSum-13 and the others' version
 * 18 the axes are an attribute (absent or empty: all axes); from then on an optional int64 input,
 * and {@code noop_with_empty_axes} says what no axes mean: all axes (0), or none (1), in which case
 * each element is reduced alone (the elementwise part applies: |x| for L1, x^2 for SumSquare...).
 */
final class ReduceOp extends Operator {
    private final ReduceKind kind;
    private final Set<DataType> allowed;
    private final boolean keepdims;
    private final boolean axesInput;
    private final boolean noopWithEmptyAxes;
    /** The axes attribute; null when absent, empty, or given as an input. */
    private final int[] axesAttribute;

    ReduceOp(Node node, ReduceKind kind, Set<DataType> allowed, boolean axesInput) {
        super(node);
        this.kind = kind;
        this.allowed = allowed;
        this.axesInput = axesInput;
        var a = node.attributes();
        this.keepdims = a.getInt("keepdims", 1) != 0;
        if (axesInput) {
            if (a.has("axes")) {
                throw new IllegalArgumentException("attribute 'axes' is not allowed at opset " + node.opsetVersion()
                        + ": " + kind.opType() + " takes axes as its second input");
            }
            this.noopWithEmptyAxes = a.getInt("noop_with_empty_axes", 0) != 0;
            this.axesAttribute = null;
        } else {
            this.noopWithEmptyAxes = false;
            int[] axes = a.getInts("axes", null);
            this.axesAttribute = axes == null || axes.length == 0 ? null : axes;
        }
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, allowed, "input 'data'");
        boolean[] axes = reducedAxes(x.rank(), inputs);
        ReducePlan plan = ReducePlan.of(x.shape(), axes, keepdims);
        if (ctx.recording()) {
            ctx.saveForBackward(plan);
        }
        if (plan.reduced() == 1 && kind.identityOnOneElement()) {
            // nothing folds together (no axes, or only size-1 ones) and each element maps to itself
            return outputs(x.reshape(plan.outShape()));
        }
        return outputs(ReduceEngine.reduce(x, plan, kind, ctx.device()));
    }

    /** One flag per input axis: whether it is reduced. */
    private boolean[] reducedAxes(int rank, Value[] inputs) {
        int[] axes = axesAttribute;
        if (axesInput) {
            Tensor t = tensor(inputs, 1);
            if (t != null) {
                if (t.dtype() != DataType.INT64) {
                    throw new IllegalArgumentException("input 'axes' has type " + t.dtype().onnxName()
                            + ", expected int64");
                }
                if (t.rank() > 1) {
                    throw new IllegalArgumentException("input 'axes' has shape " + Arrays.toString(t.shape())
                            + ", expected a 1-D tensor");
                }
                axes = t.size() == 0 ? null : t.toIntArray();
            }
            if (axes == null && noopWithEmptyAxes) {
                return new boolean[rank];
            }
        }
        boolean[] reduce = new boolean[rank];
        if (axes == null) {
            Arrays.fill(reduce, true);
            return reduce;
        }
        for (int axis : axes) {
            // numpy accepts axis 0 or -1 of a scalar; there is nothing to flag.
            if (rank == 0 && (axis == 0 || axis == -1)) {
                continue;
            }
            if (axis < -rank || axis >= rank) {
                throw new IllegalArgumentException("axis " + axis + " is out of range for input 'data' of rank "
                        + rank);
            }
            int d = axis < 0 ? axis + rank : axis;
            if (reduce[d]) {
                throw new IllegalArgumentException("axis " + axis + " is given twice in axes "
                        + Arrays.toString(axes));
            }
            reduce[d] = true;
        }
        return reduce;
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] grads = new Tensor[node.inputCount()];
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return grads;
        }
        ReducePlan plan = (ReducePlan) g.saved();
        if (plan == null) {
            throw new IllegalStateException(node.label() + ": forward did not record for backward");
        }
        grads[0] = ReduceGrad.of(kind, g.input(0), g.output(0), gy, plan, g.device());
        return grads;
    }
}
