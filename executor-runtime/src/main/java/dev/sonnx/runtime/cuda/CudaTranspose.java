package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/** Transpose of float32 tensors by a strided copy (perm default: the axes reversed). */
final class CudaTranspose extends CudaOp {
    private final int[] perm;

    CudaTranspose(Operator cpu, CudaDevice device) {
        super(cpu, device);
        this.perm = cpu.node().attributes().getInts("perm", null);
    }

    private int[] permFor(int rank) {
        if (perm != null) {
            return perm;
        }
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) {
            p[i] = rank - 1 - i;
        }
        return p;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor in = tensor(inputs, 0);
        if (!allFloat32(inputs, 1) || in == null || in.rank() > LaunchArgs.MAX_RANK || permFor(in.rank()).length != in.rank()) {
            return onHost(inputs, ctx);
        }
        Tensor x = device.on(in);
        return outputs(permute(device, x, permFor(x.rank())));
    }

    /** y[i0..] = x[...] with y's axis k being x's axis p[k]. */
    static Tensor permute(CudaDevice d, Tensor x, int[] p) {
        int rank = x.rank();
        int[] xs = Shapes.strides(x.shape());
        int[] outShape = new int[rank];
        long[] dims = new long[rank];
        long[] sx = new long[rank];
        for (int k = 0; k < rank; k++) {
            int a = p[k] < 0 ? p[k] + rank : p[k];
            outShape[k] = x.dim(a);
            dims[k] = x.dim(a);
            sx[k] = xs[a];
        }
        Tensor y = d.uninitialized(DataType.FLOAT, outShape);
        long n = y.size();
        if (n > 0) {
            long[] dd = rank == 0 ? new long[] {1} : dims;
            long[] ss = rank == 0 ? new long[] {1} : sx;
            CudaKernels k = d.kernels();
            k.launch("strided_copy_f32", n, k.args().ptr(CudaDevice.address(x)).ptr(CudaDevice.address(y)).i64(n)
                    .i32(dd.length).dims(dd).dims(ss).i64(0));
        }
        return y;
    }

    @Override
    protected void deviceBackward(BackwardContext g, Tensor gy, Tensor[] r) {
        if (!g.needsGrad(0)) {
            return;
        }
        int[] p = permFor(gy.rank());
        int[] inverse = new int[p.length];
        for (int k = 0; k < p.length; k++) {
            inverse[p[k] < 0 ? p[k] + p.length : p[k]] = k;
        }
        r[0] = permute(device, gy, inverse);
    }
}
