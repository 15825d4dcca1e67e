package dev.sonnx.runtime.cpu;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Row-major matrix products through OpenBLAS, on native buffers (no copies). Buffers are passed at
 * their current position, so callers slice with {@link FloatBuffer#position(int)} or
 * {@link FloatBuffer#slice(int, int)}.
 */
public final class Blas {
    private static volatile boolean loaded;

    private Blas() {
    }

    static void load() {
        if (!loaded) {
            synchronized (Blas.class) {
                if (!loaded) {
                    Loader.load(openblas_nolapack.class);
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
