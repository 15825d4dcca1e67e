package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;

/**
 * The scatters (ScatterElements, Scatter, ScatterND): a copy of {@code data} where each element of
 * {@code updates} is written to (or, with a reduction, combined into) the element that
 * {@code indices} sends it to. Subclasses say where each update lands; updates run in order, so with
 * duplicate indices and no reduction the last one wins.
 *
 * <p>Without a reduction the gradient of data is the output gradient where no update landed, and
 * that of updates is the output gradient at each update's target, for the update that won there.
 */
abstract class ScatterOp extends Operator {
    private final Reduction reduction;

    ScatterOp(Node node, Reduction... allowed) {
        super(node);
        this.reduction = Reduction.parse(node.attributes().getString("reduction", "none"), allowed);
    }

    /** Offset in data of the target of each element of {@code updates}, in order. */
    abstract int[] targets(Tensor data, Tensor indices, Tensor updates);

    /**
     * The result, for a scatter without reduction whose updates move as whole contiguous slabs
     * (so one copy each, rather than a target per element); null where that does not apply.
     */
    Tensor slabs(Tensor data, Tensor indices, Tensor updates) {
        return null;
    }

    @Override
    public final Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor data = required(inputs, 0);
        Tensor indices = required(inputs, 1);
        Tensor updates = required(inputs, 2);
        TypeCheck.same(data, updates);
        if (reduction == Reduction.NONE && !ctx.recording()) {
            Tensor bySlabs = slabs(data, indices, updates);
            if (bySlabs != null) {
                return outputs(bySlabs);
            }
        }
        int[] targets = targets(data, indices, updates);
        if (ctx.recording()) {
            ctx.saveForBackward(targets);
        }
        Tensor out = Mover.copyOf(data);
        if (reduction == Reduction.NONE) {
            Mover.of(updates, out).scatter(0, targets, 0, targets.length);
        } else {
            Reduction.Combine c = reduction.combiner(out, updates);
            for (int i = 0; i < targets.length; i++) {
                c.at(targets[i], i);
            }
        }
        return outputs(out);
    }

    @Override
    public final boolean differentiable() {
        return reduction == Reduction.NONE;
    }

    @Override
    public final Tensor[] backward(BackwardContext g) {
        Tensor[] grads = new Tensor[3];
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0) && !g.needsGrad(2)) {
            return grads;
        }
        Tensor updates = g.input(2);
        int[] targets = (int[]) g.saved();
        // which update wrote each element last (-1: none)
        int[] winner = new int[gy.size()];
        Arrays.fill(winner, -1);
        for (int i = 0; i < targets.length; i++) {
            winner[targets[i]] = i;
        }
        if (g.needsGrad(0)) {
            Tensor gd = Mover.copyOf(gy);
            for (int t : targets) {
                gd.setDouble(t, 0);
            }
            grads[0] = gd;
        }
        if (g.needsGrad(2)) {
            Tensor gu = Tensor.zeros(gy.dtype(), updates.shape());
            Mover.of(gy, gu).gather(targets, 0, 0, targets.length);
            for (int i = 0; i < targets.length; i++) {
                if (winner[targets[i]] != i) {
                    gu.setDouble(i, 0);
                }
            }
            grads[2] = gu;
        }
        return grads;
    }
}
