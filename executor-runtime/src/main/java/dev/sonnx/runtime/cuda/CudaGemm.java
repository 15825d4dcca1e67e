package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Gemm on float32 through cuBLAS: Y = alpha op(A) op(B) + beta C, with Y first holding C broadcast to
 * M x N (the broadcast kernel) and one cublasSgemm doing the rest. Other types, shapes the CPU
 * operator would reject (it reports them) and empty products run on the host.
 */
final class CudaGemm extends CudaOp {
    private final boolean transA;
    private final boolean transB;
    private final float alpha;
    private final float beta;
    /** Opset < 7 without the broadcast attribute: C must already be M x N. */
    private final boolean exactC;

    private CudaGemm(Operator cpu, CudaDevice device) {
        super(cpu, device);
        var at = cpu.node().attributes();
        this.transA = at.getLong("transA", 0) == 1;
        this.transB = at.getLong("transB", 0) == 1;
        this.alpha = at.getFloat("alpha", 1f);
        this.beta = at.getFloat("beta", 1f);
        this.exactC = cpu.node().opsetVersion() < 7 && at.getLong("broadcast", 0) == 0;
    }

    static Operator create(Operator cpu, CudaDevice device) {
        return new CudaGemm(cpu, device);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        if (inputs.length < 2 || inputs[0] == null || inputs[1] == null || !allFloat32(inputs, 3)) {
            return onHost(inputs, ctx);
        }
        Tensor aIn = required(inputs, 0);
        Tensor bIn = required(inputs, 1);
        Tensor cIn = tensor(inputs, 2);
        int[] mnk = dims(aIn, bIn, cIn);
        if (mnk == null) {
            return onHost(inputs, ctx);
        }
        int m = mnk[0];
        int n = mnk[1];
        int k = mnk[2];
        Tensor a = device.on(aIn);
        Tensor b = device.on(bIn);
        boolean withC = cIn != null && beta != 0;
        Tensor y = device.uninitialized(DataType.FLOAT, new int[] {m, n});
        if (withC) {
            // Y = C broadcast to M x N (SECOND ignores the uninitialized left operand); the product adds to it
            y = CudaBinary.apply(device, CudaBinary.Op.SECOND, y, device.on(cIn));
        }
        CublasGemm.gemm(device, transA, transB, m, n, k, alpha, address(a), address(b), withC ? beta : 0f,
                address(y));
        return outputs(y);
    }

    /** {M, N, K} after the CPU operator's shape rules, or null where they fail or the product is empty. */
    private int[] dims(Tensor a, Tensor b, Tensor c) {
        if (a.rank() != 2 || b.rank() != 2) {
            return null;
        }
        int m = transA ? a.dim(1) : a.dim(0);
        int k = transA ? a.dim(0) : a.dim(1);
        int kb = transB ? b.dim(1) : b.dim(0);
        int n = transB ? b.dim(0) : b.dim(1);
        if (k != kb || m == 0 || n == 0 || k == 0) {
            return null;
        }
        if (c != null) {
            int[] cs = c.shape();
            if (exactC) {
                if (cs.length != 2 || cs[0] != m || cs[1] != n) {
                    return null;
                }
            } else {
                int c0 = cs.length == 2 ? cs[0] : 1;
                int c1 = cs.length >= 1 ? cs[cs.length - 1] : 1;
                if (cs.length > 2 || c0 != 1 && c0 != m || c1 != 1 && c1 != n) {
                    return null;
                }
            }
        }
        return new int[] {m, n, k};
    }

    /**
     * d op(A) = alpha dY op(B)^T and d op(B) = alpha op(A)^T dY, each stored transposed back when its
     * operand was; dC = beta dY summed down to C's shape.
     */
    @Override
    protected void deviceBackward(BackwardContext g, Tensor gy, Tensor[] r) {
        Tensor a = input(g, 0);
        Tensor b = input(g, 1);
        int m = gy.dim(0);
        int n = gy.dim(1);
        int k = transA ? a.dim(0) : a.dim(1);
        if (g.needsGrad(0)) {
            Tensor ga = device.uninitialized(DataType.FLOAT, a.shape());
            if (!transA) {
                CublasGemm.gemm(device, false, !transB, m, k, n, alpha, address(gy), address(b), 0f, address(ga));
            } else {
                CublasGemm.gemm(device, transB, true, k, m, n, alpha, address(b), address(gy), 0f, address(ga));
            }
            r[0] = ga;
        }
        if (g.needsGrad(1)) {
            Tensor gb = device.uninitialized(DataType.FLOAT, b.shape());
            if (!transB) {
                CublasGemm.gemm(device, !transA, false, k, n, m, alpha, address(a), address(gy), 0f, address(gb));
            } else {
                CublasGemm.gemm(device, true, transA, n, k, m, alpha, address(gy), address(a), 0f, address(gb));
            }
            r[1] = gb;
        }
        Tensor c = g.input(2);
        if (c != null && g.needsGrad(2)) {
            Tensor summed = CudaReduce.sumTo(device, gy, c.shape());
            if (summed == gy) {
                // sumTo hands back dY itself when the shapes agree: scale a copy, not the tape's gradient
                summed = device.uninitialized(DataType.FLOAT, gy.shape());
                device.copy(gy, summed);
            }
            if (beta != 1f) {
                device.scale(summed, beta);
            }
            r[2] = summed;
        }
    }
}
