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
 * InstanceNormalization (1, 6): every (n, c) plane of X (N x C x D1 x ... x Dk) standardized over its
 * spatial elements, then y = xhat * scale[c] + B[c].
 */
final class InstanceNormalization extends Operator {
    private final double epsilon;

    InstanceNormalization(Node node) {
        super(node);
        this.epsilon = node.attributes().getFloat("epsilon", 1e-5f);
    }

    private record Saved(RowNorm kernel, RowNorm.Stats stats) {
    }

    private RowNorm kernel(Tensor x) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException("input has shape " + Shapes.toString(x.shape())
                    + "; expected N x C x D1 x ... (rank >= 2)");
        }
        int c = x.dim(1);
        int plane = Shapes.product(x.shape(), 2, x.rank());
        return new RowNorm(x.dim(0) * c, plane, epsilon, c, 1, plane);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, TypeCheck.FLOATS, "input");
        RowNorm kernel = kernel(x);
        int c = x.dim(1);
        double[] scale = Rows.vector(required(inputs, 1), c, "input scale");
        double[] bias = Rows.vector(required(inputs, 2), c, "input B");
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
        int c = x.dim(1);
        double[] scale = Rows.all(scaleT);
        Saved saved = (Saved) g.saved();
        RowNorm kernel = saved != null ? saved.kernel : kernel(x);
        RowNorm.Stats st = saved != null ? saved.stats
                : kernel.forward(x, Tensor.zeros(x.dtype(), x.shape()), scale, null, g.device());
        boolean wantParams = g.needsGrad(1) || g.needsGrad(2);
        RowNorm.Grads gr = kernel.backward(x, gy, st, scale, c, null, null, g.needsGrad(0), wantParams, g.device());
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
