package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * GroupNormalization: the C channels of X (N x C x D1 ...) fall into {@code num_groups} groups of
 * consecutive channels; each (n, group) is standardized over its channels and spatial elements.
 * Version 18 scales and shifts per group (scale and bias of shape [num_groups]); version 21 per
 * channel (shape [C]) and adds {@code stash_type}, the precision of the statistics (always at least
 * double here).
 */
final class GroupNormalization extends Operator {
    private final double epsilon;
    private final int groups;
    private final boolean perChannel;

    GroupNormalization(Node node, boolean perChannel) {
        super(node);
        var at = node.attributes();
        this.epsilon = at.getFloat("epsilon", 1e-5f);
        this.groups = (int) at.requireLong("num_groups");
        this.perChannel = perChannel;
        if (groups <= 0) {
            throw new IllegalArgumentException("attribute 'num_groups' must be positive, got " + groups);
        }
        if (perChannel) {
            long stash = at.getLong("stash_type", 1);
            if (stash <= 0 || stash > DataType.BFLOAT16.code() || !DataType.fromCode((int) stash).isFloat()) {
                throw new IllegalArgumentException("attribute 'stash_type' is " + stash + "; expected a float type");
            }
        }
    }

    private record Saved(RowNorm kernel, RowNorm.Stats stats) {
    }

    private RowNorm kernel(Tensor x) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException("input X has shape " + Shapes.toString(x.shape())
                    + "; expected N x C x D1 x ... (rank >= 2)");
        }
        int c = x.dim(1);
        if (c % groups != 0) {
            throw new IllegalArgumentException("input X has " + c + " channels, not a multiple of num_groups = "
                    + groups);
        }
        int perGroup = c / groups;
        int plane = Shapes.product(x.shape(), 2, x.rank());
        int length = perGroup * plane;
        return perChannel
                ? new RowNorm(x.dim(0) * groups, length, epsilon, groups, perGroup, plane)
                : new RowNorm(x.dim(0) * groups, length, epsilon, groups, 1, Math.max(1, length));
    }

    private int paramCount(Tensor x) {
        return perChannel ? x.dim(1) : groups;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, TypeCheck.FLOATS, "input X");
        RowNorm kernel = kernel(x);
        String count = perChannel ? "one per channel" : "one per group";
        double[] scale = Rows.vector(required(inputs, 1), paramCount(x), "input scale (" + count + ")");
        double[] bias = Rows.vector(required(inputs, 2), paramCount(x), "input bias (" + count + ")");
        Tensor y = Tensor.zeros(x.dtype(), x.shape());
        RowNorm.Stats st = kernel.forward(x, y, scale, bias, ctx.device());
        if (ctx.recording()) {
            ctx.saveForBackward(new Saved(kernel, st));
        }
        return outputs(y);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] r = new Tensor[3];
        Tensor gy = g.gradOutput(0);
        if (gy == null) {
            return r;
        }
        Tensor x = g.input(0);
        Tensor scaleT = g.input(1);
        double[] scale = Rows.all(scaleT);
        Saved saved = (Saved) g.saved();
        RowNorm kernel = saved != null ? saved.kernel : kernel(x);
        RowNorm.Stats st = saved != null ? saved.stats
                : kernel.forward(x, Tensor.zeros(x.dtype(), x.shape()), scale, null, g.device());
        boolean wantParams = g.needsGrad(1) || g.needsGrad(2);
        RowNorm.Grads gr = kernel.backward(x, gy, st, scale, paramCount(x), null, null, g.needsGrad(0), wantParams,
                g.device());
        r[0] = gr.dx();
        if (g.needsGrad(1)) {
            r[1] = Rows.tensor(scaleT, gr.dScale(), scaleT.shape());
        }
        if (g.needsGrad(2)) {
            Tensor b = g.input(2);
            r[2] = Rows.tensor(b, gr.dBias(), b.shape());
        }
        return r;
    }
}
