package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * An operator whose output holds its first input's elements in the same order, only in another
 * shape (Reshape, Flatten, Squeeze, Unsqueeze): the output is a view sharing the input's storage,
 * and the gradient is the output's gradient viewed in the input's shape.
 */
abstract class ViewOp extends Operator {

    ViewOp(Node node) {
        super(node);
    }

    /** The output shape for {@code data}, given all inputs (shape arguments come after data). */
    abstract int[] outputShape(Tensor data, Value[] inputs);

    @Override
    public final Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor data = required(inputs, 0);
        return outputs(data.reshape(outputShape(data, inputs)));
    }

    @Override
    public final boolean differentiable() {
        return true;
    }

    @Override
    public final Tensor[] backward(BackwardContext g) {
        Tensor[] r = new Tensor[g.inputCount()];
        Tensor gy = g.gradOutput(0);
        if (gy != null && g.needsGrad(0)) {
            r[0] = gy.reshape(g.input(0).shape());
        }
        return r;
    }
}
