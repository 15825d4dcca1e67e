package dev.sonnx.driver.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sonnx.runtime.tensor.Tensor;
import org.junit.jupiter.api.Test;

class OutputCellsTest {

    @Test
    void topKSoftmaxRanksAndNormalizes() {
        float[] logits = {1f, 3f, 0f, 2f};
        OutputCells.TopK top = OutputCells.topKSoftmax(logits, 2);
        assertArrayEquals(new int[] {1, 3}, top.labels());
        double sum = Math.exp(1) + Math.exp(3) + Math.exp(0) + Math.exp(2);
        assertArrayEquals(new float[] {(float) (Math.exp(3) / sum), (float) (Math.exp(2) / sum)}, top.scores(), 1e-6f);
        assertEquals(4, OutputCells.topKSoftmax(logits, 9).labels().length, "k is capped at the class count");
        assertEquals(1, OutputCells.argMax(logits));
    }

    @Test
    void slicesKeepTheOutputType() {
        Tensor longs = Tensor.of(new long[] {1, 2, 3, 4, 5, 6}, 2, 3);
        assertArrayEquals(new long[] {4, 5, 6}, (long[]) OutputCells.slice(longs, 3, 3));
        Tensor floats = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        assertArrayEquals(new float[] {3, 4}, (float[]) OutputCells.slice(floats, 2, 2));
    }
}
