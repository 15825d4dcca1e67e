package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Identity: the input value itself, whatever it is (a tensor, a sequence from Identity-14, an
 * optional from 16). Operators never write into their inputs, so passing it on is safe.
 */
final class Identity extends Operator {

    Identity(Node node) {
        super(node);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        if (inputs.length < 1 || inputs[0] == null) {
            throw new IllegalArgumentException("input 0 is required");
        }
        return outputs(inputs[0]);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        return new Tensor[] {g.needsGrad(0) ? g.gradOutput(0) : null};
    }
}
