package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.ops.Attributes;
import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * ReduceSum, ReduceMean (with gradients), ReduceMax and ReduceMin (forward; a recorded run of these
 * goes to the host) on float32. Axes come from the attribute, or from the second input from
 * ReduceSum-13 and the others' opset 18, with keepdims and noop_with_empty_axes as ONNX defines them.
 */
final class CudaReduceOp extends CudaOp {
    private final CudaReduce.Op op;
    private final boolean mean;
    private final boolean keepdims;
    private final boolean axesInput;
    private final boolean noopWithEmptyAxes;
    private final int[] axesAttribute;

    private CudaReduceOp(Operator cpu, CudaDevice device, CudaReduce.Op op, boolean mean, int axesInputSince) {
        super(cpu, device);
        this.op = op;
        this.mean = mean;
        Attributes a = cpu.node().attributes();
        this.keepdims = a.getInt("keepdims", 1) != 0;
        this.axesInput = cpu.node().opsetVersion() >= axesInputSince;
        this.noopWithEmptyAxes = a.getInt("noop_with_empty_axes", 0) != 0;
        int[] axes = a.getInts("axes", null);
        this.axesAttribute = axes == null || axes.length == 0 ? null : axes;
    }

    static CudaReduceOp sum(Operator cpu, CudaDevice d) {
        return new CudaReduceOp(cpu, d, CudaReduce.Op.SUM, false, 13);
    }

    static CudaReduceOp mean(Operator cpu, CudaDevice d) {
        return new CudaReduceOp(cpu, d, CudaReduce.Op.SUM, true, 18);
    }

    static CudaReduceOp max(Operator cpu, CudaDevice d) {
        return new CudaReduceOp(cpu, d, CudaReduce.Op.MAX, false, 18);
    }

    static CudaReduceOp min(Operator cpu, CudaDevice d) {
        return new CudaReduceOp(cpu, d, CudaReduce.Op.MIN, false, 18);
    }

    /** One flag per axis, or null when the axes are invalid (the CPU operator then words the error). */
    private boolean[] reduced(int rank, Value[] inputs) {
        int[] axes = axesAttribute;
        boolean[] r = new boolean[rank];
        if (axesInput) {
            Tensor t = tensor(inputs, 1);
            axes = null;
            if (t != null) {
                if (t.dtype() != DataType.INT64 || t.rank() > 1) {
                    return null;
                }
                axes = t.size() == 0 ? null : t.toHost().toIntArray();
            }
            if (axes == null && noopWithEmptyAxes) {
                return r;
            }
        }
        if (axes == null) {
            java.util.Arrays.fill(r, true);
            return r;
        }
        for (int axis : axes) {
            if (axis < -rank || axis >= rank) {
                return null;
            }
            int d = axis < 0 ? axis + rank : axis;
            if (r[d]) {
                return null;
            }
            r[d] = true;
        }
        return r;
    }

    private record Saved(int[] keptShape, float scale) {
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor in = tensor(inputs, 0);
        boolean[] flags = in == null || in.dtype() != DataType.FLOAT || in.rank() == 0 ? null : reduced(in.rank(), inputs);
        if (flags == null || ctx.recording() && op != CudaReduce.Op.SUM) {
            return onHost(inputs, ctx);
        }
        Tensor x = device.on(in);
        int rank = x.rank();
        int kept = 0;
        long count = 1;
        for (int k = 0; k < rank; k++) {
            if (flags[k]) {
                count *= x.dim(k);
            } else {
                kept++;
            }
        }
        if ((op == CudaReduce.Op.MAX || op == CudaReduce.Op.MIN) && count == 0) {
            return onHost(inputs, ctx);
        }
        int[] keepShape = new int[rank];
        int[] outShape = new int[keepdims ? rank : kept];
        int o = 0;
        for (int k = 0; k < rank; k++) {
            keepShape[k] = flags[k] ? 1 : x.dim(k);
            if (keepdims) {
                outShape[o++] = keepShape[k];
            } else if (!flags[k]) {
                outShape[o++] = x.dim(k);
            }
        }
        float scale = mean ? (count == 0 ? Float.NaN : 1f / count) : 1f;
        Tensor y = CudaReduce.reduce(device, op, x, flags, scale, outShape);
        if (y == null) {
            return onHost(inputs, ctx);
        }
        if (ctx.recording()) {
            ctx.saveForBackward(new Saved(keepShape, scale));
        }
        return outputs(y);
    }

    @Override
    protected void deviceBackward(BackwardContext g, Tensor gy, Tensor[] r) {
        if (!g.needsGrad(0)) {
            return;
        }
        Saved s = (Saved) g.saved();
        Tensor x = g.input(0);
        // the gradient of every input element is its output's gradient (times 1/count for a mean)
        Tensor zeros = device.allocate(DataType.FLOAT, x.shape());
        Tensor dx = CudaBinary.apply(device, CudaBinary.Op.SECOND, zeros, gy.reshape(s.keptShape()));
        if (dx == null) {
            throw new IllegalArgumentException(node.label() + ": input of rank " + x.rank() + " is above the kernels' rank");
        }
        if (s.scale() != 1f) {
            device.scale(dx, s.scale());
        }
        r[0] = dx;
    }
}
