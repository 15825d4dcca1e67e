package dev.sonnx.runtime.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Products large enough to be split across threads (by rows, or by columns when short and wide),
 * with every transpose and with operands that start inside their buffers, against a plain
 * triple loop in double precision.
 */
class BlasTest {

    private static FloatBuffer floats(int n, long seed) {
        FloatBuffer b = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            b.put(i, (float) r.nextDouble(-1, 1));
        }
        return b;
    }

    /** op(X)[i][p] for a row-major X with leading dimension ld. */
    private static double at(FloatBuffer x, int off, boolean trans, int ld, int i, int p) {
        return trans ? x.get(off + p * ld + i) : x.get(off + i * ld + p);
    }

    private static void check(int m, int n, int k, boolean ta, boolean tb) {
        int off = 5;   // operands start past the buffers' positions
        int lda = ta ? m : k;
        int ldb = tb ? k : n;
        FloatBuffer a = floats(off + m * k, 1);
        FloatBuffer b = floats(off + k * n, 2);
        FloatBuffer c = floats(off + m * n, 3);
        float[] c0 = new float[m * n];
        c.get(off, c0);
        Blas.sgemm(ta, tb, m, n, k, 0.5f, a.position(off), lda, b.position(off), ldb, 2f, c.position(off), n);
        assertEquals(off, c.position(), "the caller's position is left alone");
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double e = 2.0 * c0[i * n + j];
                for (int p = 0; p < k; p++) {
                    e += 0.5 * at(a, off, ta, lda, i, p) * at(b, off, tb, ldb, p, j);
                }
                double got = c.get(off + i * n + j);
                assertEquals(e, got, 1e-4 * (1 + Math.abs(e)),
                        m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb + " at " + i + "," + j);
            }
        }
    }

    @Test
    void splitProductsMatchATripleLoop() {
        CpuDevice.setDefaultThreads(2);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                check(300, 200, 100, ta, tb);   // rows
                check(3, 1500, 1000, ta, tb);   // columns
                check(7, 9, 11, ta, tb);        // small: one call
            }
        }
    }

    @Test
    void doublePrecisionSplitsToo() {
        CpuDevice.setDefaultThreads(2);
        int m = 200;
        int n = 150;
        int k = 120;
        DoubleBuffer a = ByteBuffer.allocateDirect(m * k * 8).order(ByteOrder.nativeOrder()).asDoubleBuffer();
        DoubleBuffer b = ByteBuffer.allocateDirect(k * n * 8).order(ByteOrder.nativeOrder()).asDoubleBuffer();
        DoubleBuffer c = ByteBuffer.allocateDirect(m * n * 8).order(ByteOrder.nativeOrder()).asDoubleBuffer();
        SplittableRandom r = new SplittableRandom(4);
        for (int i = 0; i < m * k; i++) {
            a.put(i, r.nextDouble(-1, 1));
        }
        for (int i = 0; i < k * n; i++) {
            b.put(i, r.nextDouble(-1, 1));
        }
        Blas.dgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n);
        for (int i = 0; i < m; i += 7) {
            for (int j = 0; j < n; j += 5) {
                double e = 0;
                for (int p = 0; p < k; p++) {
                    e += a.get(i * k + p) * b.get(j * k + p);
                }
                assertEquals(e, c.get(i * n + j), 1e-12);
            }
        }
    }
}
