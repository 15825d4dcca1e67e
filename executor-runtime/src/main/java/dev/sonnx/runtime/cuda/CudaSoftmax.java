package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Softmax and LogSoftmax on float32, one block per line. Before opset 13 the input is read as a
 * matrix [prod(dims before axis), prod(dims from axis)] (default axis 1); from 13 on the function
 * runs along the one axis (default -1).
 */
final class CudaSoftmax extends CudaOp {
    private final boolean log;
    private final boolean coerced;
    private final int axis;

    CudaSoftmax(Operator cpu, CudaDevice device, boolean log) {
        super(cpu, device);
        this.log = log;
        this.coerced = cpu.node().opsetVersion() < 13;
        this.axis = cpu.node().attributes().getInt("axis", coerced ? 1 : -1);
    }

    /** [lines, len, inner] of x's view. */
    private long[] geometry(int[] shape) {
        int rank = shape.length;
        int a = Shapes.axis(axis, Math.max(rank, 1));
        if (rank == 0) {
            return new long[] {1, 1, 1};
        }
        long outer = Shapes.product(shape, 0, a);
        if (coerced) {
            return new long[] {outer, Shapes.product(shape, a, rank), 1};
        }
        long inner = Shapes.product(shape, a + 1, rank);
        return new long[] {outer * inner, shape[a], inner};
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        if (!allFloat32(inputs, 1)) {
            return onHost(inputs, ctx);
        }
        Tensor x = requiredOnDevice(inputs, 0);
        Tensor y = device.uninitialized(DataType.FLOAT, x.shape());
        long[] g = geometry(x.shape());
        if (x.size() > 0) {
            CudaKernels k = device.kernels();
            k.launchPerBlock("softmax_f32", g[0], k.args().i32(log ? 1 : 0).ptr(address(x)).ptr(address(y))
                    .i64(g[0]).i64(g[1]).i64(g[2]));
        }
        return outputs(y);
    }

    @Override
    protected void deviceBackward(BackwardContext g, Tensor gy, Tensor[] r) {
        if (!g.needsGrad(0)) {
            return;
        }
        Tensor y = device.on(g.output(0));
        Tensor dx = device.uninitialized(DataType.FLOAT, y.shape());
        long[] geo = geometry(y.shape());
        if (y.size() > 0) {
            CudaKernels k = device.kernels();
            k.launchPerBlock("softmax_grad_f32", geo[0], k.args().i32(log ? 1 : 0).ptr(address(y)).ptr(address(gy))
                    .ptr(address(dx)).i64(geo[0]).i64(geo[1]).i64(geo[2]));
        }
        r[0] = dx;
    }
}
