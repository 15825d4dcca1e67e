package dev.sonnx.runtime.ops.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

class DetTest {

    private static Tensor det(Tensor x) {
        return OpTester.of("Det", 11).inputs(1).run(x)[0];
    }

    @Test
    void twoByTwoAndBatches() {
        Tensor y = det(Tensor.of(new float[] {1, 2, 3, 4, 1, 2, 2, 1, 1, 3, 3, 1}, 3, 2, 2));
        assertArrayEquals(new int[] {3}, y.shape());
        // ad - bc
        assertArrayEquals(new float[] {-2, -3, -8}, y.toFloatArray(), 1e-6f);
    }

    @Test
    void threeByThreeNeedingAPivot() {
        // first pivot is zero; by cofactors along the first row: 0*(..) - 2*(1*9 - 6*7) + 3*(1*8 - 5*7) = 66 - 81
        Tensor y = det(Tensor.of(new double[] {0, 2, 3, 1, 5, 6, 7, 8, 9}, 3, 3));
        assertArrayEquals(new int[0], y.shape());
        assertEquals(-15, y.getDouble(0), 1e-12);
    }

    @Test
    void singularEmptyAndHalf() {
        assertEquals(0, det(Tensor.of(new double[] {1, 2, 2, 4}, 2, 2)).getDouble(0), 0);
        // the empty product: det of a 0 x 0 matrix is 1
        assertEquals(1, det(Tensor.zeros(DataType.DOUBLE, 0, 0)).getDouble(0), 0);
        assertArrayEquals(new int[] {0}, det(Tensor.zeros(DataType.FLOAT, 0, 2, 2)).shape());
        Tensor h = det(Tensor.fromDoubles(DataType.FLOAT16, new double[] {2, 0, 0, 3}, 2, 2));
        assertEquals(DataType.FLOAT16, h.dtype());
        assertEquals(6, h.getDouble(0), 0);
        assertThrows(IllegalArgumentException.class, () -> det(Tensor.zeros(DataType.FLOAT, 2, 3)));
    }
}
