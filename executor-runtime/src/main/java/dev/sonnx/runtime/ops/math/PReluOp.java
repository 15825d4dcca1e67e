package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.ops.kernel.SumTo;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.FloatBuffer;
import java.util.EnumSet;
import java.util.Set;

/**
 * PRelu: y = x for x >= 0, slope * x for x < 0. From opset 7 the slope broadcasts to X
 * unidirectionally (numpy rules, the output keeps X's shape). Before, the slope is one value
 * shared by every element, one value per channel (a 1-D slope as long as X's dimension 1), or a
 * tensor of X's shape.
 */
final class PReluOp extends Operator {
    static final Set<DataType> TYPES = EnumSet.of(DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16,
            DataType.BFLOAT16, DataType.INT32, DataType.INT64, DataType.UINT32, DataType.UINT64);

    private final boolean legacy;

    PReluOp(Node node, boolean legacySlope) {
        super(node);
        this.legacy = legacySlope;
    }

    /** The slope viewed so that it broadcasts to X's shape. */
    private Tensor alignSlope(Tensor x, Tensor slope) {
        int[] xs = x.shape();
        int[] ss = slope.shape();
        if (legacy) {
            if (slope.size() == 1) {
                return slope.reshape();
            }
            if (ss.length == 1 && xs.length >= 2 && ss[0] == xs[1]) {
                int[] perChannel = new int[xs.length - 1];
                java.util.Arrays.fill(perChannel, 1);
                perChannel[0] = ss[0];
                return slope.reshape(perChannel);
            }
            if (Shapes.equal(xs, ss)) {
                return slope;
            }
            throw new IllegalArgumentException("input slope has shape " + Shapes.toString(ss) + ", expected one value, "
                    + "one per channel of X " + Shapes.toString(xs) + ", or X's shape");
        }
        int[] common;
        try {
            common = Shapes.broadcast(xs, ss);
        } catch (IllegalArgumentException e) {
            common = null;
        }
        if (common == null || !Shapes.equal(common, xs)) {
            throw new IllegalArgumentException("input slope has shape " + Shapes.toString(ss)
                    + ", which does not broadcast to X's shape " + Shapes.toString(xs));
        }
        return slope;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor slope = required(inputs, 1);
        TypeCheck.require(x, TYPES, "input X");
        if (slope.dtype() != x.dtype()) {
            throw new IllegalArgumentException("input slope has type " + slope.dtype().onnxName() + ", X has "
                    + x.dtype().onnxName());
        }
        Tensor s = alignSlope(x, slope);
        Broadcast bc = Broadcast.to(x.shape(), x.shape(), s.shape());
        Tensor y = Tensor.uninitialized(x.dtype(), x.shape());
        int ss = bc.rowStride(1);
        DataType t = x.dtype();
        if (t == DataType.FLOAT) {
            FloatBuffer xb = x.floats();
            FloatBuffer sb = s.floats();
            FloatBuffer yb = y.floats();
            Spans.forEach(bc, 2, ctx.device(), 1, (oo, off, len) -> {
                for (int j = 0, is = off[1]; j < len; j++, is += ss) {
                    float v = xb.get(oo + j);
                    yb.put(oo + j, v < 0 ? v * sb.get(is) : v);
                }
            });
        } else if (t.isFloat()) {
            Spans.forEach(bc, 2, ctx.device(), 4, (oo, off, len) -> {
                for (int j = 0, is = off[1]; j < len; j++, is += ss) {
                    double v = x.getDouble(oo + j);
                    y.setDouble(oo + j, v < 0 ? v * s.getDouble(is) : v);
                }
            });
        } else {
            // unsigned values are never negative: y = x
            boolean signed = t.isSignedInteger();
            Spans.forEach(bc, 2, ctx.device(), 4, (oo, off, len) -> {
                for (int j = 0, is = off[1]; j < len; j++, is += ss) {
                    long v = x.getLong(oo + j);
                    y.setLong(oo + j, signed && v < 0 ? v * s.getLong(is) : v);
                }
            });
        }
        return outputs(y);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** gx = gy (x >= 0) or gy * slope (x < 0); gslope = gy * x where x < 0, summed to the slope's shape. */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        Tensor[] r = new Tensor[2];
        Tensor x = g.input(0);
        if (gy == null || !x.dtype().isFloat()) {
            return r;
        }
        Tensor slope = g.input(1);
        Tensor s = alignSlope(x, slope);
        Broadcast bc = Broadcast.to(x.shape(), x.shape(), s.shape());
        int ss = bc.rowStride(1);
        Tensor gx = g.needsGrad(0) ? Tensor.uninitialized(x.dtype(), x.shape()) : null;
        Tensor gs = g.needsGrad(1) ? Tensor.uninitialized(x.dtype(), x.shape()) : null;
        Spans.forEach(bc, 2, g.device(), 4, (oo, off, len) -> {
            for (int j = 0, is = off[1]; j < len; j++, is += ss) {
                double v = x.getDouble(oo + j);
                double gv = gy.getDouble(oo + j);
                if (gx != null) {
                    gx.setDouble(oo + j, v < 0 ? gv * s.getDouble(is) : gv);
                }
                if (gs != null) {
                    gs.setDouble(oo + j, v < 0 ? gv * v : 0);
                }
            }
        });
        r[0] = gx;
        if (gs != null) {
            r[1] = SumTo.sumTo(gs, s.shape(), g.device()).reshape(slope.shape());
        }
        return r;
    }
}
