package dev.sonnx.runtime.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.cublasSgemmStridedBatched;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;

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
        try (Scalars sc = new Scalars(d, alpha, beta)) {
            FloatPointer al = sc.alpha;
            FloatPointer be = sc.beta;
            Cuda.checkCublas(cublasSgemmStridedBatched(d.cublas(), op(transB), op(transA), n, m, k, al,
                    DevicePointer.floats(b), transB ? k : n, strideB, DevicePointer.floats(a), transA ? m : k, strideA,
                    be, DevicePointer.floats(c), n, strideC, count), "cublasSgemmStridedBatched");
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
