package dev.sonnx.runtime.ops.conv.dnnl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Pools of small images run on the calling thread alone, large ones on the OpenMP team, one after
 * the other on one thread, and both give the window's maximum as a plain loop computes it.
 */
class DnnlPoolingTeamTest {

    /** A 2 x 2, stride-2 channels-last max pool of {@code x} ([1, c, h, w] held as h, w, c), by loops. */
    private static float[] maxPool2x2(float[] x, int c, int h, int w) {
        int oh = h / 2;
        int ow = w / 2;
        float[] y = new float[c * oh * ow];
        for (int i = 0; i < oh; i++) {
            for (int j = 0; j < ow; j++) {
                for (int k = 0; k < c; k++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int di = 0; di < 2; di++) {
                        for (int dj = 0; dj < 2; dj++) {
                            m = Math.max(m, x[((2 * i + di) * w + 2 * j + dj) * c + k]);
                        }
                    }
                    y[(i * ow + j) * c + k] = m;
                }
            }
        }
        return y;
    }

    private static void assertPool(DnnlPooling pool, int c, int h, int w, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[c * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble(-1, 1);
        }
        Tensor y = Tensor.zeros(DataType.FLOAT, 1, h / 2, w / 2, c);
        pool.forward(Tensor.of(x, 1, h, w, c), y);
        float[] expected = maxPool2x2(x, c, h, w);
        float[] got = y.toFloatArray();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], 0f, "pool of " + c + " x " + h + " x " + w + " at " + i);
        }
    }

    private static DnnlPooling pool(int c, int h, int w) {
        DnnlPooling p = DnnlPooling.create(DnnlPooling.Kind.MAX, new int[] {1, c, h, w}, new int[] {1, c, h / 2, w / 2},
                new int[] {2, 2}, new int[] {2, 2}, new int[] {1, 1}, new int[] {0, 0}, new int[] {0, 0}, true);
        assertNotNull(p, "oneDNN refused a 2 x 2 max pool");
        return p;
    }

    @Test
    void smallPoolsRunAloneLargeOnesOnTheTeamBothRight() {
        assumeTrue(Dnnl.available(), "oneDNN is not available here");
        DnnlPooling small = pool(128, 52, 52);
        DnnlPooling large = pool(32, 208, 208);
        // tinyyolov2's 52 x 52 x 128 pool is under the bound wherever the team's size can be set;
        // its 208 x 208 x 32 one streams 5.5 MB and keeps the team
        assertEquals(OpenMpTeam.serial(1), small.runsAlone());
        assertFalse(large.runsAlone());
        for (int round = 0; round < 3; round++) {
            assertPool(small, 128, 52, 52, 10 + round);
            assertPool(large, 32, 208, 208, 20 + round);
        }
    }
}
