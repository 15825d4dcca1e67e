package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.FloatBuffer;
import java.util.Set;

/**
 * Clip: y = min(max(x, min), max). Before opset 11 the bounds are float attributes; from 11 they
 * are optional scalar inputs of x's type (integer types from 12). A missing bound does not clip
 * (the spec's numeric_limits lowest/max of the type). When min > max every element becomes max.
 * NaN stays NaN.
 */
final class ClipOp extends Operator {
    private final Set<DataType> allowed;
    /** Opset < 11: the attribute bounds (infinite when absent); null from 11, where bounds are inputs. */
    private final double[] attributeBounds;

    ClipOp(Node node, Set<DataType> allowed, boolean boundsAsAttributes) {
        super(node);
        this.allowed = allowed;
        if (boundsAsAttributes) {
            float lo = node.attributes().getFloat("min", Float.NEGATIVE_INFINITY);
            float hi = node.attributes().getFloat("max", Float.POSITIVE_INFINITY);
            this.attributeBounds = new double[] {lo, hi};
        } else {
            this.attributeBounds = null;
        }
    }

    /** The bounds of one run, as doubles for float input and as longs for integers (opset 12+). */
    private record Bounds(boolean hasMin, boolean hasMax, double lo, double hi, long loL, long hiL) {
    }

    private Bounds bounds(Value[] inputs, Tensor x) {
        if (attributeBounds != null) {
            return new Bounds(true, true, attributeBounds[0], attributeBounds[1], 0, 0);
        }
        Tensor min = bound(inputs, 1, "min", x);
        Tensor max = bound(inputs, 2, "max", x);
        return new Bounds(min != null, max != null,
                min != null ? min.getDouble(0) : Double.NEGATIVE_INFINITY,
                max != null ? max.getDouble(0) : Double.POSITIVE_INFINITY,
                min != null && !x.dtype().isFloat() ? min.getLong(0) : 0,
                max != null && !x.dtype().isFloat() ? max.getLong(0) : 0);
    }

    private static Tensor bound(Value[] inputs, int i, String name, Tensor x) {
        Tensor t = tensor(inputs, i);
        if (t == null) {
            return null;
        }
        if (t.dtype() != x.dtype()) {
            throw new IllegalArgumentException("input " + name + " has type " + t.dtype().onnxName() + ", input "
                    + "has " + x.dtype().onnxName());
        }
        // the spec asks for a scalar; exporters also write one-element tensors, which mean the same
        if (t.size() != 1) {
            throw new IllegalArgumentException("input " + name + " must be a scalar, got shape "
                    + dev.sonnx.runtime.tensor.Shapes.toString(t.shape()));
        }
        return t;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, allowed, "input");
        Bounds b = bounds(inputs, x);
        DataType t = x.dtype();
        if (t == DataType.FLOAT) {
            return outputs(FloatLoops.clip(x, (float) b.lo(), (float) b.hi(), ctx.device()));
        }
        Tensor y = Tensor.uninitialized(t, x.shape());
        if (t.isFloat()) {
            double lo = b.lo();
            double hi = b.hi();
            ctx.device().parallelFor(x.size(), 4, (s, e) -> {
                for (int i = s; i < e; i++) {
                    y.setDouble(i, Math.min(Math.max(x.getDouble(i), lo), hi));
                }
            });
        } else {
            boolean unsigned = t == DataType.UINT64;
            ctx.device().parallelFor(x.size(), 4, (s, e) -> {
                for (int i = s; i < e; i++) {
                    long v = x.getLong(i);
                    if (b.hasMin() && compare(v, b.loL(), unsigned) < 0) {
                        v = b.loL();
                    }
                    if (b.hasMax() && compare(v, b.hiL(), unsigned) > 0) {
                        v = b.hiL();
                    }
                    y.setLong(i, v);
                }
            });
        }
        return outputs(y);
    }

    private static int compare(long a, long b, boolean unsigned) {
        return unsigned ? Long.compareUnsigned(a, b) : Long.compare(a, b);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** The bounds are settings (ReLU6 exports them as initializers), not weights to train. */
    @Override
    public boolean differentiableInput(int index) {
        return index == 0;
    }

    /**
     * gx = gy where min <= x <= max (the element passed through); the gradient of an element clamped
     * to a bound goes to that bound's input (opset 11+), summed, since the bound is a scalar.
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        Tensor x = g.input(0);
        Tensor[] r = new Tensor[attributeBounds != null ? 1 : Math.max(1, g.inputCount())];
        if (gy == null || !x.dtype().isFloat()) {
            return r;
        }
        double lo;
        double hi;
        if (attributeBounds != null) {
            lo = attributeBounds[0];
            hi = attributeBounds[1];
        } else {
            lo = g.input(1) != null ? g.input(1).getDouble(0) : Double.NEGATIVE_INFINITY;
            hi = g.input(2) != null ? g.input(2).getDouble(0) : Double.POSITIVE_INFINITY;
        }
        Tensor[] grads = r;
        boolean wantMin = attributeBounds == null && g.needsGrad(1) && g.input(1) != null;
        boolean wantMax = attributeBounds == null && g.needsGrad(2) && g.input(2) != null;
        if (g.needsGrad(0)) {
            // min > max (every element became max) passes nothing: the generic loop says so
            boolean float32 = x.dtype() == DataType.FLOAT && gy.dtype() == DataType.FLOAT && lo <= hi;
            Tensor gx;
            if (float32) {
                // over dy itself where nothing reads it after this (each element is read, then written;
                // the bounds' gradients below read dy again)
                Tensor into = g.mayOverwriteGradOutput(0) && !wantMin && !wantMax && Shapes.equal(gy.shape(), x.shape())
                        ? gy : Tensor.uninitialized(x.dtype(), x.shape());
                gx = FloatLoops.clipBackward(x, gy, (float) lo, (float) hi, into, g.device());
            } else {
                gx = Tensor.uninitialized(x.dtype(), x.shape());
                g.device().parallelFor(x.size(), 4, (s, e) -> {
                    for (int i = s; i < e; i++) {
                        double v = x.getDouble(i);
                        gx.setDouble(i, v >= lo && v <= hi || v != v ? gy.getDouble(i) : 0);
                    }
                });
            }
            grads[0] = gx;
        }
        if (wantMin || wantMax) {
            double toMin = 0;
            double toMax = 0;
            for (int i = 0; i < x.size(); i++) {
                double v = x.getDouble(i);
                if (Math.max(v, lo) > hi) {
                    toMax += gy.getDouble(i);
                } else if (v < lo) {
                    toMin += gy.getDouble(i);
                }
            }
            if (wantMin) {
                grads[1] = filled(g.input(1), toMin);
            }
            if (wantMax) {
                grads[2] = filled(g.input(2), toMax);
            }
        }
        return grads;
    }

    private static Tensor filled(Tensor like, double v) {
        Tensor t = Tensor.zeros(like.dtype(), like.shape());
        t.setDouble(0, v);
        return t;
    }
}
