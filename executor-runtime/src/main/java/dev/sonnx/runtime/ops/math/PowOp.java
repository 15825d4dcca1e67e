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
import java.nio.FloatBuffer;
import java.util.EnumSet;
import java.util.Set;

/**
 * Pow: z = x^y elementwise with broadcasting. From opset 12 the exponent may have another type than
 * the base (T: float types, int32, int64; T1: any numeric type); z has the base's type. Integer
 * bases with integer exponents are computed exactly (wrapping on overflow); any other pair in double
 * precision, truncated toward zero for an integer base.
 */
final class PowOp extends Operator {
    static final Set<DataType> BASE_TYPES = EnumSet.of(DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16,
            DataType.BFLOAT16, DataType.INT32, DataType.INT64);

    private final LegacyBroadcast legacy;

    /** {@code legacyBroadcast}: Pow-1, with the broadcast and axis attributes. */
    PowOp(Node node, boolean legacyBroadcast) {
        super(node);
        this.legacy = legacyBroadcast ? new LegacyBroadcast(node) : null;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor y = required(inputs, 1);
        TypeCheck.require(x, BASE_TYPES, "input X (base)");
        TypeCheck.require(y, TypeCheck.NUMERIC, "input Y (exponent)");
        Tensor e = legacy != null ? legacy.align(x, y) : y;
        Broadcast bc = Broadcast.of(x.shape(), e.shape());
        Tensor z = Tensor.uninitialized(x.dtype(), bc.outShape());
        int sx = bc.rowStride(0);
        int se = bc.rowStride(1);
        DataType xt = x.dtype();
        DataType et = e.dtype();
        if (xt == DataType.FLOAT && e.size() == 1 && e.getDouble(0) == 2) {
            // x^2 (variance in exported LayerNorms): the float product is exactly pow's rounded result
            FloatBuffer xb = x.floats();
            FloatBuffer zb = z.floats();
            Spans.forEach(bc, 2, ctx.device(), 1, (oo, off, len) -> {
                for (int j = 0, ix = off[0]; j < len; j++, ix += sx) {
                    float v = xb.get(ix);
                    zb.put(oo + j, v * v);
                }
            });
        } else if (xt == DataType.FLOAT && et == DataType.FLOAT) {
            FloatBuffer xb = x.floats();
            FloatBuffer eb = e.floats();
            FloatBuffer zb = z.floats();
            Spans.forEach(bc, 2, ctx.device(), 20, (oo, off, len) -> {
                int ix = off[0];
                int ie = off[1];
                for (int j = 0; j < len; j++, ix += sx, ie += se) {
                    zb.put(oo + j, (float) Math.pow(xb.get(ix), eb.get(ie)));
                }
            });
        } else if (xt.isFloat() || et.isFloat()) {
            Spans.forEach(bc, 2, ctx.device(), 20, (oo, off, len) -> {
                int ix = off[0];
                int ie = off[1];
                for (int j = 0; j < len; j++, ix += sx, ie += se) {
                    z.setDouble(oo + j, Math.pow(x.getDouble(ix), e.getDouble(ie)));
                }
            });
        } else {
            boolean unsignedExponent = et == DataType.UINT64;
            Spans.forEach(bc, 2, ctx.device(), 20, (oo, off, len) -> {
                int ix = off[0];
                int ie = off[1];
                for (int j = 0; j < len; j++, ix += sx, ie += se) {
                    z.setLong(oo + j, ScalarMath.integerPow(x.getLong(ix), e.getLong(ie), unsignedExponent));
                }
            });
        }
        return outputs(z);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** Exporters write fixed exponents (x^2 of decomposed norms) as initializers: not trained. */
    @Override
    public boolean differentiableInput(int index) {
        return index == 0;
    }

    /**
     * dz/dx = y x^(y-1) (0 where y = 0, so that x = 0 does not give 0 * inf); dz/dy = z ln x
     * (0 where x = 0 and y >= 0, the limit; NaN for x < 0, where z is not differentiable in y).
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gz = g.gradOutput(0);
        Tensor[] r = new Tensor[2];
        Tensor x = g.input(0);
        Tensor y = g.input(1);
        if (gz == null || !x.dtype().isFloat()) {
            return r;
        }
        Tensor e = legacy != null ? legacy.align(x, y) : y;
        Tensor z = g.output(0);
        Broadcast bc = Broadcast.to(z.shape(), x.shape(), e.shape());
        int sx = bc.rowStride(0);
        int se = bc.rowStride(1);
        Tensor gx = g.needsGrad(0) ? Tensor.uninitialized(x.dtype(), z.shape()) : null;
        Tensor ge = g.needsGrad(1) && e.dtype().isFloat() ? Tensor.uninitialized(e.dtype(), z.shape()) : null;
        Spans.forEach(bc, 2, g.device(), 30, (oo, off, len) -> {
            int ix = off[0];
            int ie = off[1];
            for (int j = 0; j < len; j++, ix += sx, ie += se) {
                double xv = x.getDouble(ix);
                double ev = e.getDouble(ie);
                double gv = gz.getDouble(oo + j);
                if (gx != null) {
                    gx.setDouble(oo + j, ev == 0 ? 0 : gv * ev * Math.pow(xv, ev - 1));
                }
                if (ge != null) {
                    double zv = z.getDouble(oo + j);
                    ge.setDouble(oo + j, xv == 0 && ev >= 0 ? 0 : gv * zv * Math.log(xv));
                }
            }
        });
        if (gx != null) {
            r[0] = SumTo.sumTo(gx, x.shape(), g.device());
        }
        if (ge != null) {
            r[1] = SumTo.sumTo(ge, e.shape(), g.device()).reshape(y.shape());
        }
        return r;
    }
}
