package dev.sonnx.runtime.ops.reduce;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Set;

/**
 * CumSum (11, 14) along the axis given by its second input: running sums, {@code exclusive}
 * (each output leaves out its own element) and/or {@code reverse} (from the end). Floats sum in
 * double; integers in int64, wrapping as the type does. Its gradient is the cumulative sum of the
 * output gradient in the other direction.
 */
final class CumSum extends Operator {
    private final Set<DataType> allowed;
    private final boolean exclusive;
    private final boolean reverse;

    CumSum(Node node, Set<DataType> allowed) {
        super(node);
        this.allowed = allowed;
        this.exclusive = node.attributes().getInt("exclusive", 0) != 0;
        this.reverse = node.attributes().getInt("reverse", 0) != 0;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, allowed, "input 'x'");
        AxisLayout layout = layout(x, required(inputs, 1));
        if (ctx.recording()) {
            ctx.saveForBackward(layout);
        }
        return outputs(cumsum(x, layout, reverse, ctx.device()));
    }

    private AxisLayout layout(Tensor x, Tensor axisTensor) {
        if (axisTensor.dtype() != DataType.INT32 && axisTensor.dtype() != DataType.INT64) {
            throw new IllegalArgumentException("input 'axis' has type " + axisTensor.dtype().onnxName()
                    + ", expected int32 or int64");
        }
        if (axisTensor.size() != 1 || axisTensor.rank() > 1) {
            throw new IllegalArgumentException("input 'axis' must be a scalar, got shape "
                    + java.util.Arrays.toString(axisTensor.shape()));
        }
        long axis = axisTensor.getLong(0);
        int rank = x.rank();
        if (rank == 0) {
            throw new IllegalArgumentException("input 'x' is a scalar; CumSum needs rank >= 1");
        }
        if (axis < -rank || axis >= rank) {
            throw new IllegalArgumentException("input 'axis' = " + axis + " is out of range for input 'x' of rank "
                    + rank);
        }
        return AxisLayout.around(x.shape(), (int) (axis < 0 ? axis + rank : axis));
    }

    /** The running sums of x along the layout's axis, from the end when {@code fromEnd}. */
    private Tensor cumsum(Tensor x, AxisLayout l, boolean fromEnd, Device device) {
        DataType t = x.dtype();
        Tensor out = Tensor.zeros(t, x.shape());
        if (x.size() == 0) {
            return out;
        }
        switch (t) {
            case FLOAT -> {
                FloatBuffer in = x.floats();
                FloatBuffer o = out.floats();
                scan(l, fromEnd, device, (src, inner, len, step, acc, unusedLongs) -> {
                    java.util.Arrays.fill(acc, 0);
                    for (int k = 0; k < len; k++) {
                        int b = src + k * step;
                        for (int i = 0; i < inner; i++) {
                            double v = in.get(b + i);
                            if (exclusive) {
                                o.put(b + i, (float) acc[i]);
                                acc[i] += v;
                            } else {
                                acc[i] += v;
                                o.put(b + i, (float) acc[i]);
                            }
                        }
                    }
                });
            }
            case DOUBLE -> {
                DoubleBuffer in = x.doubles();
                DoubleBuffer o = out.doubles();
                scan(l, fromEnd, device, (src, inner, len, step, acc, unusedLongs) -> {
                    java.util.Arrays.fill(acc, 0);
                    for (int k = 0; k < len; k++) {
                        int b = src + k * step;
                        for (int i = 0; i < inner; i++) {
                            double v = in.get(b + i);
                            if (exclusive) {
                                o.put(b + i, acc[i]);
                                acc[i] += v;
                            } else {
                                acc[i] += v;
                                o.put(b + i, acc[i]);
                            }
                        }
                    }
                });
            }
            case FLOAT16, BFLOAT16 -> {
                Tensor wide = cumsum(ReduceEngine.convert(x, DataType.FLOAT), l, fromEnd, device);
                return ReduceEngine.convert(wide, t);
            }
            default -> {
                Tensor wide = t == DataType.INT64 || t == DataType.UINT64 ? x : ReduceEngine.convert(x, DataType.INT64);
                Tensor res = t == DataType.INT64 || t == DataType.UINT64 ? out : Tensor.zeros(DataType.INT64, x.shape());
                LongBuffer in = wide.longs();
                LongBuffer o = res.longs();
                scan(l, fromEnd, device, (src, inner, len, step, unusedDoubles, acc) -> {
                    java.util.Arrays.fill(acc, 0);
                    for (int k = 0; k < len; k++) {
                        int b = src + k * step;
                        for (int i = 0; i < inner; i++) {
                            long v = in.get(b + i);
                            if (exclusive) {
                                o.put(b + i, acc[i]);
                                acc[i] += v;
                            } else {
                                acc[i] += v;
                                o.put(b + i, acc[i]);
                            }
                        }
                    }
                });
                return res == out ? out : ReduceEngine.convert(res, t);
            }
        }
        return out;
    }

    /**
     * One outer slice: {@code len} rows of {@code inner} elements, the first at {@code start}, the
     * next {@code step} elements further (negative when running from the end), with accumulators of
     * {@code inner} elements (one array per thread, to be cleared by the body).
     */
    @FunctionalInterface
    private interface Slice {
        void run(int start, int inner, int len, int step, double[] doubles, long[] longs);
    }

    private static void scan(AxisLayout l, boolean fromEnd, Device device, Slice body) {
        int inner = l.inner();
        int len = l.length();
        int step = fromEnd ? -inner : inner;
        device.parallelFor(l.outer(), (long) len * inner, (s, e) -> {
            double[] doubles = new double[inner];
            long[] longs = new long[inner];
            for (int o = s; o < e; o++) {
                int first = l.base(o, 0) + (fromEnd ? (len - 1) * inner : 0);
                body.run(first, inner, len, step, doubles, longs);
            }
        });
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] grads = new Tensor[2];
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0) || !g.input(0).dtype().isFloat()) {
            return grads;
        }
        // y_k = sum of x_j over j before k (or at k), so dL/dx_j sums gy_k over k after j: the same
        // scan (inclusive or exclusive) run in the other direction.
        grads[0] = cumsum(gy, (AxisLayout) g.saved(), !reverse, g.device());
        return grads;
    }
}
