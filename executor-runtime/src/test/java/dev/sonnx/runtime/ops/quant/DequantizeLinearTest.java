package dev.sonnx.runtime.ops.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import dev.sonnx.runtime.testing.TestContext;
import org.junit.jupiter.api.Test;

class DequantizeLinearTest {

    @Test
    void perTensor() {
        // (x - 128) * 2
        Tensor y = OpTester.of("DequantizeLinear", 10).inputs(3).run(
                Tensor.fromLongs(DataType.UINT8, new long[] {0, 3, 128, 255}, 4), Tensor.scalar(DataType.FLOAT, 2),
                Tensor.scalar(DataType.UINT8, 128))[0];
        assertEquals(DataType.FLOAT, y.dtype());
        assertArrayEquals(new float[] {-256, -250, 0, 254}, y.toFloatArray());
        Tensor s = OpTester.of("DequantizeLinear", 13).inputs(2).run(
                Tensor.fromLongs(DataType.INT8, new long[] {-128, 127}, 2), Tensor.scalar(DataType.FLOAT, 0.5))[0];
        assertArrayEquals(new float[] {-64, 63.5f}, s.toFloatArray());
    }

    @Test
    void int32Data() {
        Tensor y = OpTester.of("DequantizeLinear", 13).inputs(2).run(
                Tensor.of(new int[] {-1_000_000, 7}, 2), Tensor.scalar(DataType.FLOAT, 0.25))[0];
        assertArrayEquals(new float[] {-250_000, 1.75f}, y.toFloatArray());
    }

    @Test
    void perAxisAndBlocked() {
        Tensor x = Tensor.fromLongs(DataType.UINT8, new long[] {10, 20, 30, 40, 50, 60}, 3, 2);
        // axis 0: rows scaled by (1, 2, 3) around zero points (10, 20, 30)
        Tensor y = OpTester.of("DequantizeLinear", 13).inputs(3).attr("axis", 0).run(x,
                Tensor.of(new float[] {1, 2, 3}, 3), Tensor.fromLongs(DataType.UINT8, new long[] {10, 20, 30}, 3))[0];
        assertArrayEquals(new float[] {0, 10, 20, 40, 60, 90}, y.toFloatArray());
        // blocks of 2 rows along axis 0: scale [2, 2]
        Tensor b = OpTester.of("DequantizeLinear", 21).inputs(2).attr("axis", 0).attr("block_size", 2)
                .run(x, Tensor.of(new float[] {1, 10, 2, 20}, 2, 2))[0];
        assertArrayEquals(new float[] {10, 200, 30, 400, 100, 1200}, b.toFloatArray());
    }

    @Test
    void float16ScalesGiveFloat16OutputFromOpset19() {
        Tensor y = OpTester.of("DequantizeLinear", 19).inputs(2).run(
                Tensor.fromLongs(DataType.INT8, new long[] {3, -4}, 2), Tensor.scalar(DataType.FLOAT16, 0.5))[0];
        assertEquals(DataType.FLOAT16, y.dtype());
        assertArrayEquals(new double[] {1.5, -2}, y.toDoubleArray());
    }

    @Test
    void sixteenBitDataFromOpset21() {
        Tensor y = OpTester.of("DequantizeLinear", 21).inputs(3).run(
                Tensor.fromLongs(DataType.UINT16, new long[] {65535, 0}, 2), Tensor.scalar(DataType.FLOAT, 1),
                Tensor.scalar(DataType.UINT16, 32768))[0];
        assertArrayEquals(new float[] {32767, -32768}, y.toFloatArray());
        Operator v13 = OpTester.of("DequantizeLinear", 13).inputs(2).build();
        assertThrows(IllegalArgumentException.class, () -> v13.forward(new Tensor[] {
            Tensor.fromLongs(DataType.UINT16, new long[] {1}, 1), Tensor.scalar(DataType.FLOAT, 1)},
                new TestContext(false)));
    }

    @Test
    void zeroPointTypeMustMatchData() {
        Operator op = OpTester.of("DequantizeLinear", 13).inputs(3).build();
        assertThrows(IllegalArgumentException.class, () -> op.forward(new Tensor[] {
            Tensor.fromLongs(DataType.UINT8, new long[] {1}, 1), Tensor.scalar(DataType.FLOAT, 1),
            Tensor.scalar(DataType.INT8, 0)}, new TestContext(false)));
    }

    @Test
    void float8IsRefused() {
        Operator op = OpTester.of("DequantizeLinear", 19).inputs(2).build();
        assertThrows(UnsupportedOperationException.class, () -> op.forward(new Tensor[] {
            Tensor.zeros(DataType.FLOAT8E5M2, 2), Tensor.scalar(DataType.FLOAT, 1)}, new TestContext(false)));
    }
}
