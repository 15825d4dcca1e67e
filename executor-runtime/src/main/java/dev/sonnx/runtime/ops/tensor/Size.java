package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/** Size: the input's element count as an int64 scalar. */
final class Size extends Operator {

    Size(Node node) {
        super(node);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        return outputs(Tensor.scalar((long) required(inputs, 0).size()));
    }
}
