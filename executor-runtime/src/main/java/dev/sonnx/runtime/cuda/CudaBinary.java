package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/** Add, Sub, Mul, Div, Pow, Max, Min (two inputs) and PRelu on float32, with ONNX broadcasting. */
final class CudaBinary extends CudaOp {

    /** Op codes of kernels.cu's B_*. */
    enum Op {
        ADD(0), SUB(1), MUL(2), DIV(3), POW(4), MAX(5), MIN(6), PRELU(7), SECOND(8);

        final int code;

        Op(int code) {
            this.code = code;
        }
    }

    private final Op op;

    CudaBinary(Operator cpu, CudaDevice device, Op op) {
        super(cpu, device);
        this.op = op;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        if (inputs.length != 2 || !allFloat32(inputs, 2) || inputs[0] == null || inputs[1] == null) {
            return onHost(inputs, ctx);
        }
        Tensor a = requiredOnDevice(inputs, 0);
        Tensor b = requiredOnDevice(inputs, 1);
        Tensor y = apply(device, op, a, b);
        if (y == null) {
            return onHost(inputs, ctx);
        }
        return outputs(y);
    }

    /** a op b broadcast, on the device; null when the shapes need more axes than the kernel takes. */
    static Tensor apply(CudaDevice d, Op op, Tensor a, Tensor b) {
        int[] out = Shapes.broadcast(a.shape(), b.shape());
        Tensor y = d.uninitialized(DataType.FLOAT, out);
        long n = y.size();
        if (n == 0) {
            return y;
        }
        CudaKernels k = d.kernels();
        if (Shapes.equal(a.shape(), out) && (Shapes.equal(b.shape(), out) || b.size() == 1)) {
            k.launch("binary_flat_f32", n, k.args().i32(op.code).ptr(CudaDevice.address(a))
                    .ptr(CudaDevice.address(b)).ptr(CudaDevice.address(y)).i64(n).i64(b.size() == 1 && n > 1 ? 0 : 1));
            return y;
        }
        CudaBroadcast bc = CudaBroadcast.of(out, a.shape(), b.shape());
        if (bc == null) {
            return null;
        }
        k.launch("binary_f32", n, k.args().i32(op.code).ptr(CudaDevice.address(a)).ptr(CudaDevice.address(b))
                .ptr(CudaDevice.address(y)).i64(n).i32(bc.rank()).dims(bc.dims).dims(bc.strides[0])
                .dims(bc.strides[1]));
        return y;
    }

    @Override
    protected void deviceBackward(BackwardContext g, Tensor gy, Tensor[] r) {
        Tensor a = input(g, 0);
        Tensor b = input(g, 1);
        for (int wrt = 0; wrt < 2; wrt++) {
            if (!g.needsGrad(wrt)) {
                continue;
            }
            Tensor target = wrt == 0 ? a : b;
            Tensor full;
            if (op == Op.ADD || op == Op.SUB && wrt == 0) {
                full = gy;
            } else {
                full = partial(wrt, a, b, gy);
            }
            r[wrt] = CudaReduce.sumTo(device, full, target.shape());
        }
    }

    /** gy * d(a op b)/d(input wrt), in the broadcast shape. */
    private Tensor partial(int wrt, Tensor a, Tensor b, Tensor gy) {
        int[] out = gy.shape();
        Tensor full = device.uninitialized(DataType.FLOAT, out);
        long n = full.size();
        if (n == 0) {
            return full;
        }
        CudaBroadcast bc = CudaBroadcast.of(out, a.shape(), b.shape());
        if (bc == null) {
            throw new IllegalArgumentException("broadcast of " + a.describe() + " and " + b.describe()
                    + " has more than " + LaunchArgs.MAX_RANK + " non-unit axes");
        }
        CudaKernels k = device.kernels();
        k.launch("binary_grad_f32", n, k.args().i32(op.code).i32(wrt).ptr(address(a)).ptr(address(b))
                .ptr(address(gy)).ptr(address(full)).i64(n).i32(bc.rank()).dims(bc.dims).dims(bc.strides[0])
                .dims(bc.strides[1]));
        return full;
    }
}
