package dev.sonnx.runtime.ops.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import org.junit.jupiter.api.Test;

class QuantizeLinearTest {

    private static Tensor scalar(DataType type, double v) {
        return Tensor.scalar(type, v);
    }

    private static Tensor run(int opset, Tensor... inputs) {
        return OpTester.of("QuantizeLinear", opset).inputs(inputs.length).run(inputs)[0];
    }

    @Test
    void roundsHalfToEvenAndSaturates() {
        Tensor x = Tensor.of(new float[] {0.5f, 1.5f, 2.5f, -0.5f, 1000, -1000, 3.2f}, 7);
        Tensor y = run(13, x, scalar(DataType.FLOAT, 1), scalar(DataType.UINT8, 0));
        assertEquals(DataType.UINT8, y.dtype());
        assertArrayEquals(new long[] {0, 2, 2, 0, 255, 0, 3}, y.toLongArray());
        Tensor s = run(13, x, scalar(DataType.FLOAT, 1), scalar(DataType.INT8, -3));
        assertEquals(DataType.INT8, s.dtype());
        assertArrayEquals(new long[] {-3, -1, -1, -3, 127, -128, 0}, s.toLongArray());
    }

    @Test
    void scaleAndZeroPoint() {
        // the ONNX example: x / 2 + 128, saturated to uint8
        Tensor y = run(10, Tensor.of(new float[] {0, 2, 3, 1000, -254, -1000}, 6), scalar(DataType.FLOAT, 2),
                scalar(DataType.UINT8, 128));
        assertArrayEquals(new long[] {128, 129, 130, 255, 1, 0}, y.toLongArray());
    }

    @Test
    void withoutZeroPointTheOutputIsUint8() {
        Tensor y = run(13, Tensor.of(new float[] {-1, 4}, 2), scalar(DataType.FLOAT, 0.5));
        assertEquals(DataType.UINT8, y.dtype());
        assertArrayEquals(new long[] {0, 8}, y.toLongArray());
    }

    @Test
    void perAxisScales() {
        // x [2, 3]; axis 1 scales (1, 2, 4), zero points (0, 10, 20)
        Tensor x = Tensor.of(new float[] {4, 4, 4, 8, 8, 8}, 2, 3);
        Tensor scale = Tensor.of(new float[] {1, 2, 4}, 3);
        Tensor zp = Tensor.fromLongs(DataType.UINT8, new long[] {0, 10, 20}, 3);
        assertArrayEquals(new long[] {4, 12, 21, 8, 14, 22}, run(13, x, scale, zp).toLongArray());
        // axis 0 (given as -2): rows scaled by (1, 2)
        Tensor y = OpTester.of("QuantizeLinear", 13).inputs(3).attr("axis", -2)
                .run(x, Tensor.of(new float[] {1, 2}, 2), Tensor.fromLongs(DataType.UINT8, new long[] {1, 2}, 2))[0];
        assertArrayEquals(new long[] {5, 5, 5, 6, 6, 6}, y.toLongArray());
    }

    @Test
    void perAxisNeedsOpset13() {
        Operator op = OpTester.of("QuantizeLinear", 10).inputs(2).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> op.forward(new Tensor[] {
            Tensor.of(new float[] {1, 2}, 1, 2), Tensor.of(new float[] {1, 2}, 2)}, new TestContext(false)));
        assertTrue(e.getMessage().contains("y_scale"), e.getMessage());
    }

    @Test
    void blockedScalesFromOpset21() {
        // x [2, 4], blocks of 2 along axis 1: scale [2, 2]
        Tensor x = Tensor.of(new float[] {2, 4, 6, 8, 3, 6, 9, 12}, 2, 4);
        Tensor scale = Tensor.of(new float[] {1, 2, 3, 3}, 2, 2);
        Tensor y = OpTester.of("QuantizeLinear", 21).inputs(2).attr("axis", 1).attr("block_size", 2).run(x, scale)[0];
        assertArrayEquals(new long[] {2, 4, 3, 4, 1, 2, 3, 4}, y.toLongArray());
        Operator bad = OpTester.of("QuantizeLinear", 21).inputs(2).attr("axis", 1).attr("block_size", 1).build();
        assertThrows(IllegalArgumentException.class,
                () -> bad.forward(new Tensor[] {x, scale}, new TestContext(false)));
    }

    @Test
    void sixteenBitOutputsFromOpset21() {
        Tensor x = Tensor.of(new float[] {-40000, 1234.5f, 40000}, 3);
        Tensor y = run(21, x, scalar(DataType.FLOAT, 1), scalar(DataType.INT16, 0));
        assertEquals(DataType.INT16, y.dtype());
        assertArrayEquals(new long[] {-32768, 1234, 32767}, y.toLongArray());
        Tensor u = OpTester.of("QuantizeLinear", 21).inputs(2).attr("output_dtype", DataType.UINT16.code())
                .run(x, scalar(DataType.FLOAT, 1))[0];
        assertEquals(DataType.UINT16, u.dtype());
        assertArrayEquals(new long[] {0, 1234, 40000}, u.toLongArray());
        Operator v19 = OpTester.of("QuantizeLinear", 19).inputs(3).build();
        assertThrows(IllegalArgumentException.class, () -> v19.forward(new Tensor[] {x, scalar(DataType.FLOAT, 1),
            scalar(DataType.INT16, 0)}, new TestContext(false)));
    }

    @Test
    void int32AndFloat16Inputs() {
        Tensor i = run(13, Tensor.of(new int[] {-7, 5, 1000}, 3), scalar(DataType.FLOAT, 2), scalar(DataType.INT8, 0));
        assertArrayEquals(new long[] {-4, 2, 127}, i.toLongArray());
        Tensor h = run(19, Tensor.fromDoubles(DataType.FLOAT16, new double[] {1.5, -2.5}, 2),
                scalar(DataType.FLOAT16, 0.5), scalar(DataType.INT8, 1));
        assertArrayEquals(new long[] {4, -4}, h.toLongArray());
    }

    @Test
    void float8IsRefusedClearly() {
        Operator op = OpTester.of("QuantizeLinear", 19).inputs(3).build();
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> op.forward(
                new Tensor[] {Tensor.of(new float[] {1}, 1), scalar(DataType.FLOAT, 1),
                    Tensor.zeros(DataType.FLOAT8E4M3FN)}, new TestContext(false)));
        assertTrue(e.getMessage().contains("float8"), e.getMessage());
    }

    @Test
    void scalarAndOneElementParametersMix() {
        Tensor y = run(13, Tensor.of(new float[] {3, -3}, 2), Tensor.of(new float[] {2}, 1), scalar(DataType.INT8, 1));
        assertArrayEquals(new long[] {3, -1}, y.toLongArray());
    }

    @Test
    void zeroPointMustMatchScaleShape() {
        Operator op = OpTester.of("QuantizeLinear", 13).inputs(3).build();
        assertThrows(IllegalArgumentException.class, () -> op.forward(new Tensor[] {Tensor.of(new float[] {1, 2}, 1, 2),
            Tensor.of(new float[] {1, 2}, 2), scalar(DataType.UINT8, 0)}, new TestContext(false)));
    }

    @Test
    void largeTensorsSplitIntoRows() {
        int n = 100_000;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i % 300) - 100;
        }
        Tensor y = run(13, Tensor.of(v, n), scalar(DataType.FLOAT, 1), scalar(DataType.INT8, 0));
        for (int i = 0; i < n; i++) {
            assertEquals(Math.max(-128, Math.min(127, (i % 300) - 100)), y.getLong(i));
        }
    }
}
