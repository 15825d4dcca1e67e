package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.cpu.Blas;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * The matrix products behind Gemm, MatMul and Einsum: float32 and float64 through OpenBLAS on the
 * tensors' own buffers (row-major, transposes by flag, never copied), float16 and bfloat16 by way of
 * float32, and integers exactly in 64 bits (wrapped to the output type by the caller).
 */
final class MatrixKernels {
    /**
     * Multiply-adds per product up to which OpenBLAS runs single-threaded (its SMP threshold:
     * 65536 * GEMM_MULTITHREAD_THRESHOLD 4). Batches of products this small are split across our
     * threads; larger ones run one after another, each on all of OpenBLAS's threads.
     */
    static final long SMALL_PRODUCT = 1L << 18;

    private MatrixKernels() {
    }

    /** The type a float product is computed in: float32 for the 16-bit floats, else the type itself. */
    static DataType computeType(DataType t) {
        return t == DataType.FLOAT16 || t == DataType.BFLOAT16 ? DataType.FLOAT : t;
    }

    /** {@code t} in its compute type: itself, or a float32 copy of a 16-bit float tensor. */
    static Tensor toCompute(Tensor t) {
        return t == null || computeType(t.dtype()) == t.dtype() ? t : convert(t, DataType.FLOAT);
    }

    /** {@code t} as {@code target} (itself when it already is), floats rounded to nearest. */
    static Tensor convert(Tensor t, DataType target) {
        if (t.dtype() == target) {
            return t;
        }
        Tensor r = Tensor.uninitialized(target, t.shape());
        if (target == DataType.FLOAT) {
            FloatBuffer o = r.floats();
            for (int i = 0; i < t.size(); i++) {
                o.put(i, t.getFloat(i));
            }
        } else {
            for (int i = 0; i < t.size(); i++) {
                r.setDouble(i, t.getDouble(i));
            }
        }
        return r;
    }

    /**
     * One product {@code C = alpha op(A) op(B) + beta C} on float32 or float64 tensors, with op(A)
     * m x k, op(B) k x n and C m x n, each a dense row-major matrix starting at the given element offset.
     */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                     Tensor a, int aOff, Tensor b, int bOff, double beta, Tensor c, int cOff) {
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        if (c.dtype() == DataType.FLOAT) {
            FloatBuffer fa = a.floats().position(aOff);
            FloatBuffer fb = b.floats().position(bOff);
            FloatBuffer fc = c.floats().position(cOff);
            Blas.sgemm(transA, transB, m, n, k, (float) alpha, fa, Math.max(1, lda), fb, Math.max(1, ldb),
                    (float) beta, fc, Math.max(1, n));
        } else if (c.dtype() == DataType.DOUBLE) {
            DoubleBuffer da = a.doubles().position(aOff);
            DoubleBuffer db = b.doubles().position(bOff);
            DoubleBuffer dc = c.doubles().position(cOff);
            Blas.dgemm(transA, transB, m, n, k, alpha, da, Math.max(1, lda), db, Math.max(1, ldb),
                    beta, dc, Math.max(1, n));
        } else {
            throw new IllegalStateException("no BLAS product for " + c.dtype().onnxName());
        }
    }

    /**
     * {@code count} products {@code C[i] = alpha op(A[i]) op(B[i]) + beta C[i]}, the i-th matrices at
     * element offsets {@code aOffs[i]}, {@code bOffs[i]}, {@code cOffs[i]}. When every C[i] is its own
     * matrix ({@code distinctTargets}) and each product is small, products run in parallel; targets
     * shared between products (accumulating a broadcast operand's gradient) run in order.
     */
    static void batched(Device device, boolean transA, boolean transB, int m, int n, int k, double alpha,
                        Tensor a, int[] aOffs, Tensor b, int[] bOffs, double beta, Tensor c, int[] cOffs,
                        boolean distinctTargets, int count) {
        long work = (long) m * n * Math.max(k, 1);
        if (distinctTargets && count > 1 && work <= SMALL_PRODUCT) {
            device.parallelFor(count, work, (s, e) -> {
                for (int i = s; i < e; i++) {
                    gemm(transA, transB, m, n, k, alpha, a, aOffs[i], b, bOffs[i], beta, c, cOffs[i]);
                }
            });
        } else {
            for (int i = 0; i < count; i++) {
                gemm(transA, transB, m, n, k, alpha, a, aOffs[i], b, bOffs[i], beta, c, cOffs[i]);
            }
        }
    }

    /**
     * Integer products {@code C[i] += op(A[i]) op(B[i])} in 64-bit arithmetic, which wraps exactly
     * as narrower two's-complement types do once the result is truncated. Rows of all products are
     * split across the device's threads.
     */
    static void longBatched(Device device, boolean transA, boolean transB, int m, int n, int k,
                            long[] a, int[] aOffs, long[] b, int[] bOffs, long[] c, int[] cOffs, int count) {
        int sai = transA ? 1 : k;   // step of A's row index i
        int sap = transA ? m : 1;   // step of A's inner index p
        int sbp = transB ? 1 : n;   // step of B's inner index p
        int sbj = transB ? k : 1;   // step of B's column index j
        device.parallelFor(count * m, (long) n * k + 1, (s, e) -> {
            for (int row = s; row < e; row++) {
                int bi = row / m;
                int i = row - bi * m;
                int ao = aOffs[bi] + i * sai;
                int bo = bOffs[bi];
                int co = cOffs[bi] + i * n;
                for (int p = 0; p < k; p++) {
                    long av = a[ao + p * sap];
                    if (av == 0) {
                        continue;
                    }
                    int bp = bo + p * sbp;
                    for (int j = 0; j < n; j++) {
                        c[co + j] += av * b[bp + j * sbj];
                    }
                }
            }
        });
    }
}
