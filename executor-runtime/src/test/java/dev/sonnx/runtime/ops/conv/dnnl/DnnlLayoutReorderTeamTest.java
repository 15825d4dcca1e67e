package dev.sonnx.runtime.ops.conv.dnnl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A network's few-channel input is reordered to channels-last on the calling thread alone, wider
 * images on the OpenMP team; one after the other on one thread, both write the transpose that index
 * arithmetic gives, inside the zero border.
 */
class DnnlLayoutReorderTeamTest {

    /** Plain [n, c, h, w] into channels-last [n, h + pads[0] + pads[2], w + pads[1] + pads[3], c], by loops. */
    private static float[] paddedTranspose(float[] x, int n, int c, int h, int w, int[] pads) {
        int ph = h + pads[0] + pads[2];
        int pw = w + pads[1] + pads[3];
        float[] y = new float[n * ph * pw * c];
        for (int b = 0; b < n; b++) {
            for (int k = 0; k < c; k++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        y[((b * ph + i + pads[0]) * pw + j + pads[1]) * c + k] = x[((b * c + k) * h + i) * w + j];
                    }
                }
            }
        }
        return y;
    }

    private static void assertReorder(DnnlLayoutReorder reorder, int n, int c, int h, int w, int[] pads, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * c * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble(-1, 1);
        }
        // the border is the caller's to zero: a zeroed destination stands for it here
        Tensor y = Tensor.zeros(DataType.FLOAT, n, h + pads[0] + pads[2], w + pads[1] + pads[3], c);
        reorder.run(Tensor.of(x, n, c, h, w), y);
        float[] expected = paddedTranspose(x, n, c, h, w, pads);
        float[] got = y.toFloatArray();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], got[i], 0f, c + "-channel image at " + i);
        }
    }

    @Test
    void fewChannelImagesReorderAloneWiderOnesOnTheTeamBothRight() {
        assumeTrue(Dnnl.available() && OpenMpTeam.available() && Runtime.getRuntime().availableProcessors() > 1,
                "oneDNN, omp_set_num_threads or a second core missing: no team to leave");
        int[] pads = {3, 3, 2, 1};
        DnnlLayoutReorder image = DnnlLayoutReorder.createPadded(new int[] {2, 3, 37, 29}, pads);
        DnnlLayoutReorder wide = DnnlLayoutReorder.createPadded(new int[] {2, 32, 37, 29}, pads);
        assertNotNull(image);
        assertNotNull(wide);
        assertTrue(image.runsAlone(), "a 3-channel image's reorder should run on the calling thread alone");
        assertFalse(wide.runsAlone(), "a 32-channel image's reorder should run on the team");
        for (int round = 0; round < 3; round++) {
            assertReorder(image, 2, 3, 37, 29, pads, round);
            assertReorder(wide, 2, 32, 37, 29, pads, 10 + round);
        }
    }
}
