package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Set;
import java.util.function.DoublePredicate;

/** A bool tensor from a test of each element of a float tensor (IsNaN, IsInf); no gradient. */
final class PredicateOp extends Operator {
    private final Set<DataType> allowed;
    private final DoublePredicate test;

    PredicateOp(Node node, Set<DataType> allowed, DoublePredicate test) {
        super(node);
        this.allowed = allowed;
        this.test = test;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, allowed, "input X");
        return outputs(Elementwise.predicate(x, test, ctx.device()));
    }
}
