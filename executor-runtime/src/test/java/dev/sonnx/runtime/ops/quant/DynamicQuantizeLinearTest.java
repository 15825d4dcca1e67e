package dev.sonnx.runtime.ops.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import org.junit.jupiter.api.Test;

class DynamicQuantizeLinearTest {

    /** The specification's formulas, in float32 with round-half-even. */
    private static void check(float[] x) {
        float min = 0;
        float max = 0;
        for (float v : x) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float scale = (max - min) / 255f;
        long zp = (long) Math.max(0, Math.min(255, Math.rint(-min / scale)));
        Tensor[] out = OpTester.of("DynamicQuantizeLinear", 11).inputs(1).outputs(3).run(Tensor.of(x, x.length));
        assertEquals(DataType.UINT8, out[0].dtype());
        assertEquals(0, out[1].rank());
        assertEquals(scale, out[1].getFloat(0));
        assertEquals(zp, out[2].getLong(0));
        for (int i = 0; i < x.length; i++) {
            long expected = (long) Math.max(0, Math.min(255, Math.rint(x[i] / scale) + zp));
            assertEquals(expected, out[0].getLong(i), "x=" + x[i]);
        }
    }

    @Test
    void mixedSigns() {
        check(new float[] {0, 2, -3, -2.5f, 1.34f, 0.5f});
    }

    @Test
    void allNegativeAndAllPositive() {
        check(new float[] {-1, -2.1f, -1.3f, -2.5f, -3.34f, -4});
        check(new float[] {1, 2.1f, 1.3f, 2.5f, 3.34f, 4, 1.5f, 2.6f, 3.9f, 4, 3, 2.345f});
    }

    @Test
    void allZerosTakeUnitScale() {
        Tensor[] out = OpTester.of("DynamicQuantizeLinear", 11).inputs(1).outputs(3).run(Tensor.of(new float[3], 3));
        assertEquals(1f, out[1].getFloat(0));
        assertEquals(0, out[2].getLong(0));
        assertArrayEquals(new long[] {0, 0, 0}, out[0].toLongArray());
    }
}
