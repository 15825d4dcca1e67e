package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.ops.kernel.SumTo;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Set;

/**
 * An elementwise function of two tensors with numpy broadcasting: arithmetic (output of the inputs'
 * type) or comparison and logic (output bool). Its partial derivatives, where it has them, sit
 * beside it; backward sums them back over broadcast dimensions.
 */
final class BinaryOp extends Operator {

    /** dy/da and dy/db at one element, given a, b and y. */
    interface Partials {
        double da(double a, double b, double y);

        double db(double a, double b, double y);
    }

    private final Set<DataType> allowed;
    private final BinaryFn fn;
    private final boolean boolOutput;
    private final Partials partials;

    BinaryOp(Node node, Set<DataType> allowed, BinaryFn fn, boolean boolOutput, Partials partials) {
        super(node);
        this.allowed = allowed;
        this.fn = fn;
        this.boolOutput = boolOutput;
        this.partials = partials;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor a = required(inputs, 0);
        Tensor b = required(inputs, 1);
        DataType t = TypeCheck.same(a, b);
        TypeCheck.require(a, allowed, "input A");
        return outputs(Elementwise.binary(a, b, boolOutput ? DataType.BOOL : t, fn, ctx.device()));
    }

    @Override
    public boolean differentiable() {
        return partials != null;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        Tensor[] r = new Tensor[2];
        if (gy == null) {
            return r;
        }
        Tensor a = g.input(0);
        Tensor b = g.input(1);
        Tensor y = g.output(0);
        Broadcast bc = Broadcast.to(y.shape(), a.shape(), b.shape());
        int sa = bc.rowStride(0);
        int sb = bc.rowStride(1);
        Tensor ga = g.needsGrad(0) ? Tensor.zeros(y.dtype(), y.shape()) : null;
        Tensor gb = g.needsGrad(1) ? Tensor.zeros(y.dtype(), y.shape()) : null;
        bc.forEachRow(g.device(), 8, (oo, off, len) -> {
            int ia = off[0];
            int ib = off[1];
            for (int j = 0; j < len; j++, ia += sa, ib += sb) {
                double av = a.getDouble(ia);
                double bv = b.getDouble(ib);
                double yv = y.getDouble(oo + j);
                double gv = gy.getDouble(oo + j);
                if (ga != null) {
                    ga.setDouble(oo + j, gv * partials.da(av, bv, yv));
                }
                if (gb != null) {
                    gb.setDouble(oo + j, gv * partials.db(av, bv, yv));
                }
            }
        });
        if (ga != null) {
            r[0] = SumTo.sumTo(ga, a.shape(), g.device());
        }
        if (gb != null) {
            r[1] = SumTo.sumTo(gb, b.shape(), g.device());
        }
        return r;
    }
}
