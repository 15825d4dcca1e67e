package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Standardization of X (N x C x D1 x ...) over groups of consecutive channels, each (n, group) over
 * its channels and spatial elements, then a scale and shift per channel or per group: the forward and
 * backward shared by InstanceNormalization (a group per channel) and GroupNormalization.
 */
abstract class ChannelGroupNormalization extends Operator {
    private final double epsilon;
    /** The inputs' names in the spec, for errors: data, scale, bias. */
    private final String[] names;

    ChannelGroupNormalization(Node node, String... names) {
        super(node);
        this.epsilon = node.attributes().getFloat("epsilon", 1e-5f);
        this.names = names;
    }

    /** How many groups the C channels of {@code x} (C = x.dim(1)) form; must divide C. */
    abstract int groups(Tensor x);

    /** Whether scale and bias have a value per channel (else per group). */
    abstract boolean perChannel();

    private record Saved(RowNorm kernel, RowNorm.Stats stats) {
    }

    private RowNorm kernel(Tensor x) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException("input " + names[0] + " has shape " + Shapes.toString(x.shape())
                    + "; expected N x C x D1 x ... (rank >= 2)");
        }
        int c = x.dim(1);
        int groups = groups(x);
        int perGroup = c / groups;
        int plane = Shapes.product(x.shape(), 2, x.rank());
        int length = perGroup * plane;
        return perChannel()
                ? new RowNorm(x.dim(0) * groups, length, epsilon, groups, perGroup, plane)
                : new RowNorm(x.dim(0) * groups, length, epsilon, groups, 1, length);
    }

    private int paramCount(Tensor x) {
        return perChannel() ? x.dim(1) : groups(x);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, TypeCheck.FLOATS, "input " + names[0]);
        RowNorm kernel = kernel(x);
        String per = perChannel() ? " (one value per channel)" : " (one value per group)";
        double[] scale = Rows.vector(required(inputs, 1), paramCount(x), "input " + names[1] + per);
        double[] bias = Rows.vector(required(inputs, 2), paramCount(x), "input " + names[2] + per);
        Tensor y = Tensor.uninitialized(x.dtype(), x.shape());
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
                : kernel.forward(x, Tensor.uninitialized(x.dtype(), x.shape()), scale, null, g.device());
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
