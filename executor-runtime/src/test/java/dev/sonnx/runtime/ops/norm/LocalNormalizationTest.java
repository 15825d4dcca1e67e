package dev.sonnx.runtime.ops.norm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.GradCheck;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

/** LRN, LpNormalization and MeanVarianceNormalization. */
class LocalNormalizationTest {

    @Test
    void lrnWindowsOverChannels() {
        // 1 x 4 x 1 x 1, size 3: channel c sums squares of c-1..c+1
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 1, 4, 1, 1);
        Tensor y = OpTester.of("LRN", 13).inputs(1).attr("size", 3L).attr("alpha", 3f).attr("beta", 0.5f)
                .attr("bias", 1f).run(x)[0];
        double[] sq = {1 + 4, 1 + 4 + 9, 4 + 9 + 16, 9 + 16};
        double[] want = new double[4];
        for (int c = 0; c < 4; c++) {
            want[c] = x.getDouble(c) / Math.sqrt(1 + sq[c]);
        }
        assertArrayEquals(want, y.toDoubleArray(), 1e-12);
        // even size: the window reaches one channel further forward than back (floor / ceil of (size-1)/2)
        Tensor y2 = OpTester.of("LRN", 13).inputs(1).attr("size", 2L).attr("alpha", 2f).attr("beta", 1f)
                .attr("bias", 0f).run(x)[0];
        assertEquals(1.0 / (1 + 4), y2.getDouble(0), 1e-12);
        assertEquals(4.0 / 16, y2.getDouble(3), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("LRN", 13).inputs(1).build());
    }

    @Test
    void lrnGradients() {
        Tensor x = GradCheck.random(2, -2, 2, 2, 5, 3);
        GradCheck.of(OpTester.of("LRN", 13).inputs(1).attr("size", 3L).attr("alpha", 0.5f).build())
                .check(new Tensor[] {x}, 0);
        // an even window is lopsided: the gradient must mirror it
        GradCheck.of(OpTester.of("LRN", 13).inputs(1).attr("size", 4L).attr("alpha", 0.8f).attr("beta", 0.6f)
                .attr("bias", 2f).build()).check(new Tensor[] {x}, 0);
    }

    @Test
    void lpNormalization() {
        Tensor x = Tensor.of(new double[] {3, 4, 0, 0, -1, 1}, 3, 2);
        Tensor l2 = OpTester.of("LpNormalization", 1).inputs(1).run(x)[0];
        assertArrayEquals(new double[] {0.6, 0.8, 0, 0, -Math.sqrt(0.5), Math.sqrt(0.5)}, l2.toDoubleArray(), 1e-12);
        Tensor l1 = OpTester.of("LpNormalization", 1).inputs(1).attr("p", 1L).attr("axis", 0L).run(x)[0];
        // columns {3, 0, -1} (norm 4) and {4, 0, 1} (norm 5)
        assertArrayEquals(new double[] {0.75, 0.8, 0, 0, -0.25, 0.2}, l1.toDoubleArray(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> OpTester.of("LpNormalization", 1).attr("p", 3L).inputs(1)
                .build());
        Tensor f = OpTester.of("LpNormalization", 1).inputs(1).run(Tensor.of(new float[] {0, 5}, 2))[0];
        assertArrayEquals(new float[] {0, 1}, f.toFloatArray());
    }

    @Test
    void lpNormalizationGradients() {
        Tensor x = GradCheck.random(1, -2, 2, 2, 3, 2);
        GradCheck.of(OpTester.of("LpNormalization", 1).inputs(1).attr("axis", 1L).build()).check(new Tensor[] {x}, 0);
        Operator l1 = OpTester.of("LpNormalization", 1).inputs(1).attr("p", 1L).build();
        GradCheck.of(l1).check(new Tensor[] {x}, 0);
    }

    @Test
    void meanVarianceNormalization() {
        // default axes [0, 2, 3]: per channel. Channel 0 holds {1, 3, 5, 7} (mean 4, sd sqrt 5); channel 1 all 2
        Tensor x = Tensor.of(new double[] {1, 3, 2, 2, 5, 7, 2, 2}, 2, 2, 1, 2);
        Tensor y = OpTester.of("MeanVarianceNormalization", 13).inputs(1).run(x)[0];
        double s = Math.sqrt(5) + 1e-9;
        assertArrayEquals(new double[] {-3 / s, -1 / s, 0, 0, 1 / s, 3 / s, 0, 0}, y.toDoubleArray(), 1e-12);
        Tensor rows = OpTester.of("MeanVarianceNormalization", 9).inputs(1).attrInts("axes", -1)
                .run(Tensor.of(new float[] {0, 2, 10, 30}, 2, 2))[0];
        assertEquals(DataType.FLOAT, rows.dtype());
        assertArrayEquals(new float[] {-1, 1, -1, 1}, rows.toFloatArray(), 1e-6f);
        assertThrows(IllegalArgumentException.class,
                () -> OpTester.of("MeanVarianceNormalization", 13).inputs(1).run(Tensor.of(new float[] {1, 2}, 2)));
    }

    @Test
    void meanVarianceNormalizationGradients() {
        Tensor x = GradCheck.random(3, -2, 2, 2, 3, 2, 2);
        GradCheck.of(OpTester.of("MeanVarianceNormalization", 13).inputs(1).build()).check(new Tensor[] {x}, 0);
        GradCheck.of(OpTester.of("MeanVarianceNormalization", 13).inputs(1).attrInts("axes", 1, -1).build())
                .check(new Tensor[] {x}, 0);
    }
}
