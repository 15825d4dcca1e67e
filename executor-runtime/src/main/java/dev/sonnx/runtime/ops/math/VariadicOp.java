package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.ops.kernel.SumTo;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.FloatBuffer;
import java.util.Set;

/**
 * Sum, Mean, Max and Min of one or more tensors. From opset 8 the inputs broadcast together (numpy
 * style); before, they must all have the same shape. The inputs are folded into an accumulator one
 * at a time: float32 in the output itself, other float types in doubles (rounded once at the end),
 * integers (Max, Min) in longs. Max and Min propagate NaN, as numpy's maximum and minimum do.
 */
final class VariadicOp extends Operator {

    enum Kind {
        SUM, MEAN, MAX, MIN
    }

    private final Kind kind;
    private final Set<DataType> allowed;
    private final boolean broadcasting;

    VariadicOp(Node node, Kind kind, Set<DataType> allowed, boolean broadcasting) {
        super(node);
        this.kind = kind;
        this.allowed = allowed;
        this.broadcasting = broadcasting;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        if (inputs.length == 0) {
            throw new IllegalArgumentException("needs at least one input");
        }
        Tensor[] xs = new Tensor[inputs.length];
        int[][] shapes = new int[inputs.length][];
        for (int k = 0; k < inputs.length; k++) {
            xs[k] = required(inputs, k);
            TypeCheck.require(xs[k], allowed, "input " + k);
            shapes[k] = xs[k].shape();
            if (!broadcasting && !Shapes.equal(shapes[k], shapes[0])) {
                throw new IllegalArgumentException("input " + k + " has shape " + Shapes.toString(shapes[k])
                        + ", input 0 " + Shapes.toString(shapes[0]) + ": before opset 8 all inputs must have one shape");
            }
        }
        TypeCheck.same(xs);
        if (xs.length == 1) {
            return outputs(xs[0]);
        }
        int[] shape = Shapes.broadcast(shapes);
        DataType t = xs[0].dtype();
        Device device = ctx.device();
        // the first input is copied into every element, then the others fold in
        Tensor out = Tensor.uninitialized(t, shape);
        if (t == DataType.FLOAT) {
            FloatBuffer acc = out.floats();
            copyInto(acc, xs[0], shape, device);
            for (int k = 1; k < xs.length; k++) {
                foldFloat(acc, xs[k], shape, device);
            }
            if (kind == Kind.MEAN) {
                float n = xs.length;
                device.parallelFor(out.size(), 1, (s, e) -> {
                    for (int i = s; i < e; i++) {
                        acc.put(i, acc.get(i) / n);
                    }
                });
            }
        } else if (t.isFloat()) {
            double[] acc = new double[out.size()];
            for (int k = 0; k < xs.length; k++) {
                foldDouble(acc, xs[k], k == 0, shape, device);
            }
            double n = xs.length;
            device.parallelFor(out.size(), 4, (s, e) -> {
                for (int i = s; i < e; i++) {
                    out.setDouble(i, kind == Kind.MEAN ? acc[i] / n : acc[i]);
                }
            });
        } else {
            long[] acc = new long[out.size()];
            boolean unsigned = t == DataType.UINT64;
            for (int k = 0; k < xs.length; k++) {
                foldLong(acc, xs[k], k == 0, unsigned, shape, device);
            }
            device.parallelFor(out.size(), 2, (s, e) -> {
                for (int i = s; i < e; i++) {
                    out.setLong(i, acc[i]);
                }
            });
        }
        return outputs(out);
    }

    private static void copyInto(FloatBuffer acc, Tensor x, int[] shape, Device device) {
        Broadcast bc = Broadcast.to(shape, x.shape());
        FloatBuffer in = x.floats();
        int st = bc.rowStride(0);
        Spans.forEach(bc, 1, device, 1, (oo, off, len) -> {
            for (int j = 0, i = off[0]; j < len; j++, i += st) {
                acc.put(oo + j, in.get(i));
            }
        });
    }

    private void foldFloat(FloatBuffer acc, Tensor x, int[] shape, Device device) {
        Broadcast bc = Broadcast.to(shape, x.shape());
        FloatBuffer in = x.floats();
        int st = bc.rowStride(0);
        Spans.forEach(bc, 1, device, 1, (oo, off, len) -> {
            int i = off[0];
            switch (kind) {
                case SUM, MEAN -> {
                    for (int j = 0; j < len; j++, i += st) {
                        acc.put(oo + j, acc.get(oo + j) + in.get(i));
                    }
                }
                case MAX -> {
                    for (int j = 0; j < len; j++, i += st) {
                        acc.put(oo + j, Math.max(acc.get(oo + j), in.get(i)));
                    }
                }
                case MIN -> {
                    for (int j = 0; j < len; j++, i += st) {
                        acc.put(oo + j, Math.min(acc.get(oo + j), in.get(i)));
                    }
                }
            }
        });
    }

    private void foldDouble(double[] acc, Tensor x, boolean first, int[] shape, Device device) {
        Broadcast bc = Broadcast.to(shape, x.shape());
        int st = bc.rowStride(0);
        Spans.forEach(bc, 1, device, 4, (oo, off, len) -> {
            for (int j = 0, i = off[0]; j < len; j++, i += st) {
                double v = x.getDouble(i);
                double a = acc[oo + j];
                acc[oo + j] = first ? v : switch (kind) {
                    case SUM, MEAN -> a + v;
                    case MAX -> Math.max(a, v);
                    case MIN -> Math.min(a, v);
                };
            }
        });
    }

    private void foldLong(long[] acc, Tensor x, boolean first, boolean unsigned, int[] shape, Device device) {
        if (kind == Kind.SUM || kind == Kind.MEAN) {
            throw new IllegalStateException(kind + " has no integer form");
        }
        boolean max = kind == Kind.MAX;
        Broadcast bc = Broadcast.to(shape, x.shape());
        int st = bc.rowStride(0);
        Spans.forEach(bc, 1, device, 4, (oo, off, len) -> {
            for (int j = 0, i = off[0]; j < len; j++, i += st) {
                long v = x.getLong(i);
                long a = acc[oo + j];
                int c = unsigned ? Long.compareUnsigned(v, a) : Long.compare(v, a);
                if (first || (max ? c > 0 : c < 0)) {
                    acc[oo + j] = v;
                }
            }
        });
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /**
     * Sum: every input gets gy (summed over its broadcast dimensions); Mean: gy / n. Max and Min route
     * gy to the input that was selected at each element: the first one equal to the output.
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        int n = g.inputCount();
        Tensor[] r = new Tensor[n];
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.input(0).dtype().isFloat()) {
            return r;
        }
        Device device = g.device();
        if (kind == Kind.SUM || kind == Kind.MEAN) {
            Tensor scaled = kind == Kind.MEAN && n > 1 ? Elementwise.scale(gy, 1.0 / n, device) : gy;
            for (int k = 0; k < n; k++) {
                if (g.needsGrad(k)) {
                    Tensor gk = SumTo.sumTo(scaled, g.input(k).shape(), device);
                    r[k] = gk == scaled && k > 0 && aliased(r, k, gk) ? gk.copy() : gk;
                }
            }
            return r;
        }
        Tensor y = g.output(0);
        int[] owner = new int[y.size()];
        java.util.Arrays.fill(owner, -1);
        for (int k = 0; k < n; k++) {
            Tensor x = g.input(k);
            Broadcast bc = Broadcast.to(y.shape(), x.shape());
            int st = bc.rowStride(0);
            int id = k;
            Spans.forEach(bc, 1, device, 4, (oo, off, len) -> {
                for (int j = 0, i = off[0]; j < len; j++, i += st) {
                    if (owner[oo + j] < 0) {
                        double v = x.getDouble(i);
                        double w = y.getDouble(oo + j);
                        if (v == w || (v != v && w != w)) {
                            owner[oo + j] = id;
                        }
                    }
                }
            });
        }
        for (int k = 0; k < n; k++) {
            if (!g.needsGrad(k)) {
                continue;
            }
            Tensor gk = Tensor.uninitialized(gy.dtype(), y.shape());
            int id = k;
            device.parallelFor(y.size(), 2, (s, e) -> {
                for (int i = s; i < e; i++) {
                    gk.setDouble(i, owner[i] == id ? gy.getDouble(i) : 0);
                }
            });
            r[k] = SumTo.sumTo(gk, g.input(k).shape(), device);
        }
        return r;
    }

    private static boolean aliased(Tensor[] r, int k, Tensor t) {
        for (int i = 0; i < k; i++) {
            if (r[i] == t) {
                return true;
            }
        }
        return false;
    }
}
