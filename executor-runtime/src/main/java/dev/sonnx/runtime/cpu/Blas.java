package dev.sonnx.runtime.cpu;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Row-major matrix products through OpenBLAS, on native buffers (no copies). Buffers are passed at
 * their current position, so callers slice with {@link FloatBuffer#position(int)} or
 * {@link FloatBuffer#slice(int, int)}.
 *
 * <p>OpenBLAS runs single-threaded: its own threads wait for work in ways that cost milliseconds per
 * call on a busy machine (a 32 x 128 x 384 product took 0.5 to 1.6 ms on two threads against 50 us
 * on one). Products of at least {@link #SPLIT_WORK} multiply-adds are cut into blocks of rows (or
 * of columns, for short wide products) that {@link CpuDevice#parallelFor} spreads over the default
 * device's threads, the calling thread included.
 */
public final class Blas {
    /** Multiply-adds from which a product is split across threads (about 0.1 ms of work on one core). */
    static final long SPLIT_WORK = 1L << 22;

    private static volatile boolean loaded;

    private Blas() {
    }

    static void load() {
        if (!loaded) {
            synchronized (Blas.class) {
                if (!loaded) {
                    Loader.load(openblas_nolapack.class);
                    openblas_nolapack.blas_set_num_threads(1);
                    loaded = true;
                }
            }
        }
    }

    /**
     * C = alpha * op(A) * op(B) + beta * C with op(A) M x K, op(B) K x N, C M x N, all row-major with
     * leading dimensions lda, ldb, ldc.
     */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             FloatBuffer a, int lda, FloatBuffer b, int ldb, float beta, FloatBuffer c, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            scaleMatrix(c, m, n, ldc, beta);
            return;
        }
        load();
        CpuDevice device = CpuDevice.get();
        long work = (long) m * n * k;
        if (device.threads() == 1 || work < SPLIT_WORK) {
            sgemmBlock(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else if (m >= n || m >= 64) {
            // rows of C with the matching rows of op(A)
            device.parallelFor(m, (long) n * k, (r0, r1) -> sgemmBlock(transA, transB, r1 - r0, n, k, alpha,
                    at(a, transA ? r0 : (long) r0 * lda), lda, b, ldb, beta, at(c, (long) r0 * ldc), ldc));
        } else {
            // columns of C with the matching columns of op(B)
            device.parallelFor(n, (long) m * k, (c0, c1) -> sgemmBlock(transA, transB, m, c1 - c0, k, alpha, a, lda,
                    at(b, transB ? (long) c0 * ldb : c0), ldb, beta, at(c, c0), ldc));
        }
    }

    /** {@code buffer} seen from {@code offset} elements past its position. */
    private static FloatBuffer at(FloatBuffer buffer, long offset) {
        return buffer.duplicate().position(buffer.position() + (int) offset);
    }

    private static void sgemmBlock(boolean transA, boolean transB, int m, int n, int k, float alpha, FloatBuffer a,
                                   int lda, FloatBuffer b, int ldb, float beta, FloatBuffer c, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** Double-precision twin of {@link #sgemm}. */
    public static void dgemm(boolean transA, boolean transB, int m, int n, int k, double alpha,
                             DoubleBuffer a, int lda, DoubleBuffer b, int ldb, double beta, DoubleBuffer c, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    int at = c.position() + i * ldc + j;
                    c.put(at, beta == 0 ? 0 : beta * c.get(at));
                }
            }
            return;
        }
        load();
        CpuDevice device = CpuDevice.get();
        long work = (long) m * n * k;
        if (device.threads() == 1 || work < SPLIT_WORK / 2) {
            dgemmBlock(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } else if (m >= n || m >= 64) {
            device.parallelFor(m, (long) n * k, (r0, r1) -> dgemmBlock(transA, transB, r1 - r0, n, k, alpha,
                    at(a, transA ? r0 : (long) r0 * lda), lda, b, ldb, beta, at(c, (long) r0 * ldc), ldc));
        } else {
            device.parallelFor(n, (long) m * k, (c0, c1) -> dgemmBlock(transA, transB, m, c1 - c0, k, alpha, a, lda,
                    at(b, transB ? (long) c0 * ldb : c0), ldb, beta, at(c, c0), ldc));
        }
    }

    private static DoubleBuffer at(DoubleBuffer buffer, long offset) {
        return buffer.duplicate().position(buffer.position() + (int) offset);
    }

    private static void dgemmBlock(boolean transA, boolean transB, int m, int n, int k, double alpha, DoubleBuffer a,
                                   int lda, DoubleBuffer b, int ldb, double beta, DoubleBuffer c, int ldc) {
        openblas_nolapack.cblas_dgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** An empty inner dimension leaves beta * C (BLAS refuses lda = 0, so it is done here). */
    private static void scaleMatrix(FloatBuffer c, int m, int n, int ldc, float beta) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                int at = c.position() + i * ldc + j;
                c.put(at, beta == 0 ? 0f : beta * c.get(at));
            }
        }
    }
}
