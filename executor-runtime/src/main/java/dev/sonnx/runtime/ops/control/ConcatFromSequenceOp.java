package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * ConcatFromSequence-11: the sequence's tensors joined along {@code axis} (Concat), or with
 * {@code new_axis = 1} stacked along a new axis inserted at {@code axis} (then {@code axis} may also
 * be rank, counting the new axis: [-rank - 1, rank]).
 */
final class ConcatFromSequenceOp extends Operator {
    private final int axis;
    private final boolean newAxis;

    ConcatFromSequenceOp(Node node) {
        super(node);
        this.axis = (int) node.attributes().requireLong("axis");
        long n = node.attributes().getLong("new_axis", 0);
        if (n != 0 && n != 1) {
            throw new IllegalArgumentException("attribute 'new_axis' = " + n + " must be 0 or 1");
        }
        this.newAxis = n == 1;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        SequenceValue s = SequenceOps.sequence(inputs[0], "input input_sequence");
        if (s.size() == 0) {
            throw new IllegalArgumentException("the input sequence is empty; there is nothing to concatenate");
        }
        List<Tensor> parts = new ArrayList<>(s.size());
        for (int i = 0; i < s.size(); i++) {
            parts.add(FlowValues.tensor(s.get(i), "sequence item " + i));
        }
        int rank = parts.get(0).rank() + (newAxis ? 1 : 0);
        if (axis < -rank || axis >= rank || rank == 0) {
            throw new IllegalArgumentException("axis " + axis + " is out of range [" + -rank + ", " + (rank - 1)
                    + "] for " + parts.get(0).describe() + (newAxis ? " with new_axis" : ""));
        }
        int a = axis < 0 ? axis + rank : axis;
        return outputs(newAxis ? AxisBlocks.stack(parts, a, ctx.device(), "sequence item")
                : AxisBlocks.concat(parts, a, ctx.device(), "sequence item"));
    }
}
