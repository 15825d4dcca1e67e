package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;

/**
 * MatMul (numpy.matmul) on float32 through cuBLAS. A vector operand is a one-row (A) or one-column
 * (B) matrix. Batches: B a single matrix (A's batch folds into M: one product), or operands whose
 * batch dimensions are equal or hold one matrix (cublasSgemmStridedBatched, stride 0 for the shared
 * one). Other broadcasts (e.g. [2, 1, M, K] x [1, 3, K, N]), other types and empty products run on
 * the host.
 */
final class CudaMatMul extends CudaOp {

    private CudaMatMul(Operator cpu, CudaDevice device) {
        super(cpu, device);
    }

    static Operator create(Operator cpu, CudaDevice device) {
        return new CudaMatMul(cpu, device);
    }

    /**
     * The product's geometry: {@code batch} products of [M, K] x [K, N]; {@code aBatched} /
     * {@code bBatched}: whether the operand holds one matrix per product (else one shared matrix).
     */
    record Geometry(int m, int n, int k, int batch, boolean aBatched, boolean bBatched, int[] outShape) {
        /** B one matrix: A's batch and rows are one tall matrix. */
        boolean folds() {
            return !bBatched;
        }
    }

    /** The geometry of a @ b, or null where the kernel does not cover it (the host checks and reports). */
    static Geometry geometry(int[] a, int[] b) {
        if (a.length == 0 || b.length == 0) {
            return null;
        }
        boolean aVector = a.length == 1;
        boolean bVector = b.length == 1;
        int m = aVector ? 1 : a[a.length - 2];
        int k = a[a.length - 1];
        int kb = bVector ? b[0] : b[b.length - 2];
        int n = bVector ? 1 : b[b.length - 1];
        if (k != kb || m == 0 || n == 0 || k == 0) {
            return null;
        }
        int[] aBatch = aVector ? new int[0] : Arrays.copyOf(a, a.length - 2);
        int[] bBatch = bVector ? new int[0] : Arrays.copyOf(b, b.length - 2);
        int[] outBatch = broadcast(aBatch, bBatch);
        if (outBatch == null) {
            return null;
        }
        int batch = Shapes.size(outBatch);
        int aCount = Shapes.size(aBatch);
        int bCount = Shapes.size(bBatch);
        // each operand must hold one matrix per product (in the output's order) or a single one
        if (batch == 0 || aCount != batch && aCount != 1 || bCount != batch && bCount != 1) {
            return null;
        }
        int[] out = Arrays.copyOf(outBatch, outBatch.length + (aVector ? 0 : 1) + (bVector ? 0 : 1));
        int i = outBatch.length;
        if (!aVector) {
            out[i++] = m;
        }
        if (!bVector) {
            out[i] = n;
        }
        return new Geometry(m, n, k, batch, aCount == batch && batch > 1, bCount == batch && batch > 1, out);
    }

    /** numpy broadcast of two batch shapes; null where they disagree. */
    private static int[] broadcast(int[] x, int[] y) {
        int r = Math.max(x.length, y.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int dx = i < r - x.length ? 1 : x[i - (r - x.length)];
            int dy = i < r - y.length ? 1 : y[i - (r - y.length)];
            if (dx != dy && dx != 1 && dy != 1) {
                return null;
            }
            out[i] = dx == 1 ? dy : dx;
        }
        return out;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        if (inputs.length != 2 || inputs[0] == null || inputs[1] == null || !allFloat32(inputs, 2)) {
            return onHost(inputs, ctx);
        }
        Geometry s = geometry(tensor(inputs, 0).shape(), tensor(inputs, 1).shape());
        if (s == null) {
            return onHost(inputs, ctx);
        }
        Tensor a = requiredOnDevice(inputs, 0);
        Tensor b = requiredOnDevice(inputs, 1);
        Tensor y = device.uninitialized(DataType.FLOAT, s.outShape);
        if (s.folds()) {
            // a shared B: every row of every A is one row of a single tall product
            CublasGemm.gemm(device, false, false, s.batch * s.m, s.n, s.k, 1f, address(a), address(b), 0f,
                    address(y));
        } else {
            CublasGemm.batched(device, false, false, s.m, s.n, s.k, 1f, address(a), s.aBatched ? (long) s.m * s.k : 0,
                    address(b), (long) s.k * s.n, 0f, address(y), (long) s.m * s.n, s.batch);
        }
        return outputs(y);
    }

    /**
     * dA = dY B^T and dB = A^T dY per product; an operand shared by the whole batch gets the sum over
     * the batch (one tall product where A's rows fold, else per-product results summed by a reduction).
     */
    @Override
    protected void deviceBackward(BackwardContext g, Tensor gy, Tensor[] r) {
        Tensor a = input(g, 0);
        Tensor b = input(g, 1);
        Geometry s = geometry(a.shape(), b.shape());
        int m = s.m;
        int n = s.n;
        int k = s.k;
        if (g.needsGrad(0)) {
            Tensor ga;
            if (s.folds()) {
                ga = device.uninitialized(DataType.FLOAT, a.shape());
                CublasGemm.gemm(device, false, true, s.batch * m, k, n, 1f, address(gy), address(b), 0f, address(ga));
            } else if (s.aBatched) {
                ga = device.uninitialized(DataType.FLOAT, a.shape());
                CublasGemm.batched(device, false, true, m, k, n, 1f, address(gy), (long) m * n, address(b),
                        (long) k * n, 0f, address(ga), (long) m * k, s.batch);
            } else {
                Tensor each = device.uninitialized(DataType.FLOAT, new int[] {s.batch, m, k});
                CublasGemm.batched(device, false, true, m, k, n, 1f, address(gy), (long) m * n, address(b),
                        (long) k * n, 0f, address(each), (long) m * k, s.batch);
                ga = sumBatch(each, a.shape());
            }
            r[0] = ga;
        }
        if (g.needsGrad(1)) {
            Tensor gb;
            if (s.folds()) {
                gb = device.uninitialized(DataType.FLOAT, b.shape());
                CublasGemm.gemm(device, true, false, k, n, s.batch * m, 1f, address(a), address(gy), 0f, address(gb));
            } else {
                // B is batched here (else the product folds); A may be shared (stride 0)
                gb = device.uninitialized(DataType.FLOAT, b.shape());
                CublasGemm.batched(device, true, false, k, n, m, 1f, address(a), s.aBatched ? (long) m * k : 0,
                        address(gy), (long) m * n, 0f, address(gb), (long) k * n, s.batch);
            }
            r[1] = gb;
        }
    }

    /** {@code each} [batch, rows, cols] summed over the batch, viewed as {@code shape}. */
    private Tensor sumBatch(Tensor each, int[] shape) {
        return CudaReduce.reduce(device, CudaReduce.Op.SUM, each, new boolean[] {true, false, false}, 1f, shape);
    }
}
