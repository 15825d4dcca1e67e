package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.SumTo;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Expand: the input broadcast (numpy rules, both ways) with {@code shape}, so a 1 in {@code shape}
 * keeps the input's dimension. The gradient sums the output gradient over the broadcast axes.
 */
final class Expand extends Operator {

    Expand(Node node) {
        super(node);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        int[] shape = Args.shape(required(inputs, 1), "shape");
        int[] out = Shapes.broadcast(x.shape(), shape);
        if (Shapes.equal(out, x.shape())) {
            return outputs(x);
        }
        return outputs(new IndexMap(broadcast(x.shape(), out), false).gather(x, null, out, ctx.device()));
    }

    /** Output axes reading a tensor of shape {@code in} broadcast to {@code out}: step 0 where it repeats. */
    static List<IndexMap.Axis> broadcast(int[] in, int[] out) {
        int[] strides = Shapes.broadcastStrides(in, out);
        List<IndexMap.Axis> axes = new ArrayList<>(out.length);
        for (int d = 0; d < out.length; d++) {
            axes.add(IndexMap.Axis.affine(out[d], 0, strides[d]));
        }
        return axes;
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] grads = new Tensor[2];
        Tensor gy = g.gradOutput(0);
        if (gy != null && g.needsGrad(0)) {
            grads[0] = SumTo.sumTo(gy, g.input(0).shape(), g.device());
        }
        return grads;
    }
}
