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
import java.util.Arrays;
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
                    + Arrays.toString(axisTensor.shape()));
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

    /**
     * The running sums of x along the layout's axis, from the end when {@code fromEnd}. Each output
     * is the sum before (exclusive) or through (inclusive) its own element: written as acc or
     * acc + v before acc takes v.
     */
    private Tensor cumsum(Tensor x, AxisLayout l, boolean fromEnd, Device device) {
        DataType t = x.dtype();
        if (t == DataType.FLOAT16 || t == DataType.BFLOAT16) {
            return ReduceEngine.convert(cumsum(ReduceEngine.convert(x, DataType.FLOAT), l, fromEnd, device), t);
        }
        if (t == DataType.INT32 || t == DataType.UINT32) {
            return ReduceEngine.convert(cumsum(ReduceEngine.convert(x, DataType.INT64), l, fromEnd, device), t);
        }
        Tensor out = Tensor.uninitialized(t, x.shape());
        if (x.size() == 0) {
            return out;
        }
        switch (t) {
            case FLOAT -> {
                FloatBuffer in = x.floats();
                FloatBuffer o = out.floats();
                scan(l, fromEnd, device, (first, inner, len, step, acc, unused) -> {
                    for (int k = 0, b = first; k < len; k++, b += step) {
                        for (int i = 0; i < inner; i++) {
                            double v = in.get(b + i);
                            o.put(b + i, (float) (exclusive ? acc[i] : acc[i] + v));
                            acc[i] += v;
                        }
                    }
                });
            }
            case DOUBLE -> {
                DoubleBuffer in = x.doubles();
                DoubleBuffer o = out.doubles();
                scan(l, fromEnd, device, (first, inner, len, step, acc, unused) -> {
                    for (int k = 0, b = first; k < len; k++, b += step) {
                        for (int i = 0; i < inner; i++) {
                            double v = in.get(b + i);
                            o.put(b + i, exclusive ? acc[i] : acc[i] + v);
                            acc[i] += v;
                        }
                    }
                });
            }
            default -> {
                // int64 and uint64: two's complement sums are the same bits either way
                LongBuffer in = x.longs();
                LongBuffer o = out.longs();
                scan(l, fromEnd, device, (first, inner, len, step, unused, acc) -> {
                    for (int k = 0, b = first; k < len; k++, b += step) {
                        for (int i = 0; i < inner; i++) {
                            long v = in.get(b + i);
                            o.put(b + i, exclusive ? acc[i] : acc[i] + v);
                            acc[i] += v;
                        }
                    }
                });
            }
        }
        return out;
    }

    /**
     * One outer slice: {@code len} rows of {@code inner} elements, the first at {@code start}, the
     * next {@code step} elements further (negative when running from the end), with zeroed
     * accumulators of {@code inner} elements.
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
                Arrays.fill(doubles, 0);
                Arrays.fill(longs, 0);
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
