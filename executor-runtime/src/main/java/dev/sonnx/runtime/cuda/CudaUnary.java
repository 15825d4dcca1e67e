package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * The elementwise one-input operators on float32 (Relu, Sigmoid, Tanh, Exp, ..., Clip, Gelu), with
 * their parameters (alpha, beta) read from the node at prepare; Clip's bounds may come as inputs.
 */
final class CudaUnary extends CudaOp {

    /** Op codes of kernels.cu's U_*. */
    enum Op {
        RELU(0), LEAKY_RELU(1), SIGMOID(2), TANH(3), EXP(4), LOG(5), SQRT(6), NEG(7), ABS(8), ERF(9),
        RECIPROCAL(10), CLIP(11), AFFINE(12), GELU(13), ELU(14), SOFTPLUS(15), FLOOR(16), CEIL(17), SIN(18),
        COS(19), HARD_SIGMOID(20), SIGN(21), ROUND(22), SELU(23), IDENTITY(24), GELU_TANH(25), SQUARE(26), HARD_SWISH(27);

        final int code;

        Op(int code) {
            this.code = code;
        }
    }

    private final Op op;
    private final float alpha;
    private final float beta;

    CudaUnary(Operator cpu, CudaDevice device, Op op, float alpha, float beta) {
        super(cpu, device);
        this.op = op;
        this.alpha = alpha;
        this.beta = beta;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        if (inputs.length == 0 || !allFloat32(inputs, inputs.length) || inputs[0] == null) {
            return onHost(inputs, ctx);
        }
        float a = alpha;
        float b = beta;
        if (op == Op.CLIP && node.opsetVersion() >= 11) {
            a = bound(inputs, 1, Float.NEGATIVE_INFINITY);
            b = bound(inputs, 2, Float.POSITIVE_INFINITY);
        }
        Tensor x = requiredOnDevice(inputs, 0);
        Tensor y = device.uninitialized(DataType.FLOAT, x.shape());
        long n = x.size();
        if (n > 0) {
            CudaKernels k = device.kernels();
            k.launch("unary_f32", n, k.args().i32(op.code).ptr(address(x)).ptr(address(y)).i64(n).f32(a).f32(b));
        }
        if (ctx.recording()) {
            ctx.saveForBackward(new float[] {a, b});
        }
        return outputs(y);
    }

    /** op(x) into a new tensor: for other operators' epilogues. */
    static Tensor apply(CudaDevice d, Op op, Tensor x, float alpha, float beta) {
        Tensor y = d.uninitialized(DataType.FLOAT, x.shape());
        long n = x.size();
        if (n > 0) {
            CudaKernels k = d.kernels();
            k.launch("unary_f32", n, k.args().i32(op.code).ptr(CudaDevice.address(x)).ptr(CudaDevice.address(y)).i64(n)
                    .f32(alpha).f32(beta));
        }
        return y;
    }

    /** Clip's optional bound input {@code i} (a scalar, read on the host). */
    private static float bound(Value[] inputs, int i, float absent) {
        Tensor t = tensor(inputs, i);
        return t == null ? absent : (float) t.toHost().getDouble(0);
    }

    @Override
    protected void deviceBackward(BackwardContext g, Tensor gy, Tensor[] r) {
        if (!g.needsGrad(0)) {
            return;
        }
        float[] params = (float[]) g.saved();
        Tensor x = input(g, 0);
        Tensor y = device.on(g.output(0));
        Tensor dx = device.uninitialized(DataType.FLOAT, x.shape());
        long n = x.size();
        if (n > 0) {
            CudaKernels k = device.kernels();
            k.launch("unary_grad_f32", n, k.args().i32(op.code).ptr(address(x)).ptr(address(y)).ptr(address(gy))
                    .ptr(address(dx)).i64(n).f32(params[0]).f32(params[1]));
        }
        r[0] = dx;
    }
}
