package dev.sonnx.runtime.ops.conv.dnnl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Small oneDNN products run on the calling thread alone, large ones on the full OpenMP team, on the
 * same thread one after the other, and both stay right.
 */
class OpenMpTeamTest {

    private static Tensor random(long seed, int rows, int cols) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(DataType.FLOAT, rows, cols);
        for (int i = 0; i < rows * cols; i++) {
            t.setFloat(i, (float) r.nextDouble(-1, 1));
        }
        return t;
    }

    private static void assertProduct(int m, int k, int n) {
        Tensor a = random(m, m, k);
        Tensor b = random(n + 1, k, n);
        Tensor y = Tensor.zeros(DataType.FLOAT, m, n);
        DnnlMatMul p = DnnlMatMul.create(new int[] {m, k}, false, new int[] {k, n}, false, new int[] {m, n}, false,
                false, PostOps.NONE);
        p.forward(a, b, null, null, y);
        for (int i = 0; i < m; i += Math.max(1, m / 7)) {
            for (int j = 0; j < n; j += Math.max(1, n / 7)) {
                double s = 0;
                for (int q = 0; q < k; q++) {
                    s += (double) a.getFloat(i * k + q) * b.getFloat(q * n + j);
                }
                assertEquals(s, y.getFloat(i * n + j), 1e-4 * Math.sqrt(k),
                        m + "x" + k + "x" + n + " at " + i + "," + j);
            }
        }
    }

    @Test
    void smallProductsAloneAndLargeOnesOnTheTeamBothRight() {
        assumeTrue(Dnnl.available(), "oneDNN is not available here");
        assertTrue(OpenMpTeam.available(), "omp_set_num_threads not found beside oneDNN");
        assertTrue(!OpenMpTeam.serial(OpenMpTeam.SERIAL_WORK));
        // a one-row product over 2 MB of weights streams them faster on two threads; a transformer's
        // 32 x 128 x 384 over 0.2 MB computes faster alone
        assertTrue(!OpenMpTeam.serial(OpenMpTeam.work(512L * 1000, 4L * 512 * 1000)));
        assertTrue(OpenMpTeam.serial(OpenMpTeam.work(32L * 128 * 384, 4L * 128 * 384)));
        for (int round = 0; round < 3; round++) {
            assertProduct(8, 16, 8);
            assertProduct(256, 256, 256);
            assertProduct(32, 128, 384);
            assertProduct(1, 512, 1000);
        }
    }

    /**
     * A primitive created for one thread ({@link OpenMpTeam#createdFor}: a small layer normalisation)
     * between products on the full team, on one thread: both right, the team's products as well after
     * a creation whose supplier failed.
     */
    @Test
    void primitivesCreatedForOneThreadMixWithTheTeam() {
        assumeTrue(Dnnl.available(), "oneDNN is not available here");
        assertTrue(OpenMpTeam.serial(6L * 4 * 64), "a 4 x 64 layer normalisation is below the serial threshold");
        try {
            OpenMpTeam.createdFor(1, () -> {
                throw new IllegalStateException("creation failed");
            });
        } catch (IllegalStateException expected) {
            // the team must be whole again
        }
        DnnlLayerNorm ln = DnnlLayerNorm.create(4, 64, 1e-5f, false);
        Tensor x = random(7, 4, 64);
        Tensor scale = Tensor.zeros(DataType.FLOAT, 64);
        for (int j = 0; j < 64; j++) {
            scale.setFloat(j, 1f);
        }
        for (int round = 0; round < 3; round++) {
            assertProduct(256, 256, 256);
            Tensor y = Tensor.zeros(DataType.FLOAT, 4, 64);
            ln.forward(x, scale, null, y);
            for (int r = 0; r < 4; r++) {
                double mean = 0;
                double sq = 0;
                for (int j = 0; j < 64; j++) {
                    mean += x.getFloat(r * 64 + j);
                }
                mean /= 64;
                for (int j = 0; j < 64; j++) {
                    double d = x.getFloat(r * 64 + j) - mean;
                    sq += d * d;
                }
                double inv = 1 / Math.sqrt(sq / 64 + 1e-5);
                for (int j = 0; j < 64; j += 9) {
                    assertEquals((x.getFloat(r * 64 + j) - mean) * inv, y.getFloat(r * 64 + j), 1e-5, "row " + r);
                }
            }
        }
    }
}
