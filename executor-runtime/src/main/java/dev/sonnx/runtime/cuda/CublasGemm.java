package dev.sonnx.runtime.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_GEMM_DEFAULT;
import static org.bytedeco.cuda.global.cublas.cublasGemmStridedBatchedEx;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16F;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;

import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.cublasSgemmStridedBatched;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;

import dev.sonnx.runtime.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Row-major float32 products through column-major cuBLAS. A row-major matrix is its transpose seen
 * column-major, so C[M,N] = op(A)[M,K] op(B)[K,N] is computed as C^T = op(B)^T op(A)^T: cuBLAS gets
 * B first, the sizes as (N, M, K), and each operand's row length as its leading dimension.
 */
final class CublasGemm {
    private CublasGemm() {
    }

    /** C = alpha op(A) op(B) + beta C for dense row-major matrices at the given device addresses. */
    static void gemm(CudaDevice d, boolean transA, boolean transB, int m, int n, int k, float alpha, long a,
                     long b, float beta, long c) {
        if (d.mixedPrecision()) {
            batched(d, transA, transB, m, n, k, alpha, a, 0, b, 0, beta, c, 0, 1);
            return;
        }
        try (Scalars sc = new Scalars(d, alpha, beta)) {
            FloatPointer al = sc.alpha;
            FloatPointer be = sc.beta;
            Cuda.checkCublas(cublasSgemm_v2(d.cublas(), op(transB), op(transA), n, m, k, al, DevicePointer.floats(b),
                    transB ? k : n, DevicePointer.floats(a), transA ? m : k, be, DevicePointer.floats(c), n),
                    "cublasSgemm");
        }
    }

    /**
     * {@code count} products C_i = alpha op(A_i) op(B_i) + beta C_i, the i-th matrices {@code strideA},
     * {@code strideB}, {@code strideC} elements apart (a stride 0 reuses one matrix for every product).
     */
    static void batched(CudaDevice d, boolean transA, boolean transB, int m, int n, int k, float alpha, long a,
                        long strideA, long b, long strideB, float beta, long c, long strideC, int count) {
        if (d.mixedPrecision()) {
            batchedHalf(d, transA, transB, m, n, k, alpha, a, strideA, b, strideB, beta, c, strideC, count);
            return;
        }
        try (Scalars sc = new Scalars(d, alpha, beta)) {
            FloatPointer al = sc.alpha;
            FloatPointer be = sc.beta;
            Cuda.checkCublas(cublasSgemmStridedBatched(d.cublas(), op(transB), op(transA), n, m, k, al,
                    DevicePointer.floats(b), transB ? k : n, strideB, DevicePointer.floats(a), transA ? m : k, strideA,
                    be, DevicePointer.floats(c), n, strideC, count), "cublasSgemmStridedBatched");
        }
    }

    /**
     * Mixed precision: float16 copies of A and B (their whole strided spans, so the strides hold),
     * multiplied on tensor cores with float32 accumulation into the float32 C.
     */
    private static void batchedHalf(CudaDevice d, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                    long a, long strideA, long b, long strideB, float beta, long c, long strideC,
                                    int count) {
        long spanA = strideA * (count - 1) + (long) m * k;
        long spanB = strideB * (count - 1) + (long) k * n;
        Tensor ah = CudaHalf.toHalf(d, a, new int[] {Math.toIntExact(spanA)}, spanA);
        Tensor bh = CudaHalf.toHalf(d, b, new int[] {Math.toIntExact(spanB)}, spanB);
        try (Scalars sc = new Scalars(d, alpha, beta)) {
            Cuda.checkCublas(cublasGemmStridedBatchedEx(d.cublas(), op(transB), op(transA), n, m, k, sc.alpha,
                    new DevicePointer(CudaDevice.address(bh)), CUDA_R_16F, transB ? k : n, strideB,
                    new DevicePointer(CudaDevice.address(ah)), CUDA_R_16F, transA ? m : k, strideA, sc.beta,
                    new DevicePointer(c), CUDA_R_32F, n, strideC, count, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
                    "cublasGemmStridedBatchedEx (float16 operands)");
        }
    }

    /**
     * alpha and beta in host memory for one call: the device's constant 1 and 0 where they are
     * those (nearly every call), else a small allocation freed after the call.
     */
    private static final class Scalars implements AutoCloseable {
        final FloatPointer alpha;
        final FloatPointer beta;
        private final boolean ownAlpha;
        private final boolean ownBeta;

        Scalars(CudaDevice d, float alpha, float beta) {
            ownAlpha = alpha != 1f && alpha != 0f;
            ownBeta = beta != 1f && beta != 0f;
            this.alpha = ownAlpha ? new FloatPointer(alpha) : alpha == 1f ? d.one : d.zero;
            this.beta = ownBeta ? new FloatPointer(beta) : beta == 1f ? d.one : d.zero;
        }

        @Override
        public void close() {
            if (ownAlpha) {
                alpha.close();
            }
            if (ownBeta) {
                beta.close();
            }
        }
    }

    private static int op(boolean transpose) {
        return transpose ? CUBLAS_OP_T : CUBLAS_OP_N;
    }
}
