package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Gather of float32 data (embedding lookups): indices are checked on the host, where integer
 * tensors live, then copied over as int64; backward scatter-adds the gradient rows.
 */
final class CudaGather extends CudaOp {
    private final long axisAttribute;

    CudaGather(Operator cpu, CudaDevice device) {
        super(cpu, device);
        this.axisAttribute = cpu.node().attributes().getLong("axis", 0);
    }

    private record Saved(Tensor indices, long outer, long nIdx, long axisDim, long rowLen) {
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor data = tensor(inputs, 0);
        Tensor idx = tensor(inputs, 1);
        if (data == null || idx == null || data.dtype() != DataType.FLOAT || data.rank() == 0
                || idx.dtype() != DataType.INT64 && idx.dtype() != DataType.INT32
                || axisAttribute < -data.rank() || axisAttribute >= data.rank()) {
            return onHost(inputs, ctx);
        }
        int axis = (int) (axisAttribute < 0 ? axisAttribute + data.rank() : axisAttribute);
        long axisDim = data.dim(axis);
        long[] values = idx.toHost().toLongArray();
        for (long v : values) {
            if (v < -axisDim || v >= axisDim) {
                return onHost(inputs, ctx);   // the CPU operator names the bad index
            }
        }
        Tensor indices = device.on(Tensor.of(values, idx.shape()));
        Tensor x = device.on(data);
        int[] outShape = new int[data.rank() - 1 + idx.rank()];
        int o = 0;
        for (int k = 0; k < axis; k++) {
            outShape[o++] = data.dim(k);
        }
        for (int k = 0; k < idx.rank(); k++) {
            outShape[o++] = idx.dim(k);
        }
        for (int k = axis + 1; k < data.rank(); k++) {
            outShape[o++] = data.dim(k);
        }
        long outer = Shapes.product(data.shape(), 0, axis);
        long rowLen = Shapes.product(data.shape(), axis + 1, data.rank());
        Tensor y = device.uninitialized(DataType.FLOAT, outShape);
        long n = y.size();
        if (n > 0) {
            Tensor bad = device.allocate(DataType.INT32, new int[] {1});
            CudaKernels k = device.kernels();
            k.launch("gather_f32", n, k.args().ptr(address(x)).ptr(address(indices)).ptr(address(y)).i64(outer)
                    .i64(values.length).i64(axisDim).i64(rowLen).ptr(address(bad)));
        }
        if (ctx.recording()) {
            ctx.saveForBackward(new Saved(indices, outer, values.length, axisDim, rowLen));
        }
        return outputs(y);
    }

    @Override
    protected void deviceBackward(BackwardContext g, Tensor gy, Tensor[] r) {
        if (!g.needsGrad(0)) {
            return;
        }
        Saved s = (Saved) g.saved();
        Tensor dData = device.allocate(DataType.FLOAT, g.input(0).shape());
        long n = gy.size();
        if (n > 0) {
            CudaKernels k = device.kernels();
            k.launch("gather_grad_f32", n, k.args().ptr(address(gy)).ptr(address(s.indices())).ptr(address(dData))
                    .i64(s.outer()).i64(s.nIdx()).i64(s.axisDim()).i64(s.rowLen()));
        }
        r[0] = dData;
    }
}
