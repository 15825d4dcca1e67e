package dev.sonnx.runtime.ops.math;

import static dev.sonnx.runtime.ops.math.MathTesting.assertDoubles;
import static dev.sonnx.runtime.ops.math.MathTesting.assertLongs;
import static dev.sonnx.runtime.ops.math.MathTesting.assertShape;
import static dev.sonnx.runtime.ops.math.MathTesting.run;
import static dev.sonnx.runtime.ops.math.MathTesting.typed;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Sum, Mean, Max and Min over several inputs. */
class VariadicTest {

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE", "FLOAT16", "BFLOAT16"})
    void broadcastAcrossThreeInputs(DataType t) {
        Tensor a = typed(t, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = typed(t, new double[] {10, 20, 30}, 3);
        Tensor c = typed(t, new double[] {-4, 8}, 2, 1);
        Tensor s = run("Sum", 13, a, b, c);
        assertShape(s, t, 2, 3);
        assertDoubles(s, t, 0, 7, 18, 29, 22, 33, 44);
        assertDoubles(run("Mean", 13, a, b, c), t, 1e-2, 7 / 3.0, 6, 29 / 3.0, 22 / 3.0, 11, 44 / 3.0);
        assertDoubles(run("Max", 13, a, b, c), t, 0, 10, 20, 30, 10, 20, 30);
        assertDoubles(run("Min", 13, a, b, c), t, 0, -4, -4, -4, 4, 5, 6);
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"})
    void maxAndMinOfIntegers(DataType t) {
        Tensor a = typed(t, new long[] {1, 100, 7}, 3);
        Tensor b = typed(t, new long[] {50}, 1);
        assertLongs(run("Max", 13, a, b), t, 50, 100, 50);
        assertLongs(run("Min", 13, a, b), t, 1, 50, 7);
    }

    @Test
    void signednessDecidesIntegerOrder() {
        assertLongs(run("Max", 13, typed(DataType.INT8, new long[] {-1}, 1), typed(DataType.INT8, new long[] {1}, 1)),
                DataType.INT8, 1);
        assertLongs(run("Max", 13, typed(DataType.UINT64, new long[] {-1L}, 1), typed(DataType.UINT64, new long[] {1}, 1)),
                DataType.UINT64, -1L);
        assertLongs(run("Min", 13, typed(DataType.UINT32, new long[] {0xffffffffL}, 1), typed(DataType.UINT32, new long[] {1}, 1)),
                DataType.UINT32, 1);
    }

    @Test
    void nanPropagates() {
        Tensor a = Tensor.of(new float[] {Float.NaN, 1}, 2);
        Tensor b = Tensor.of(new float[] {2, Float.NaN}, 2);
        assertDoubles(run("Max", 13, a, b), DataType.FLOAT, 0, Double.NaN, Double.NaN);
        assertDoubles(run("Min", 13, b, a), DataType.FLOAT, 0, Double.NaN, Double.NaN);
    }

    @Test
    void oneInputIsReturnedAsIs() {
        Tensor a = Tensor.of(new float[] {1, 2}, 2);
        assertSame(a, run("Sum", 13, a));
        assertSame(a, run("Mean", 13, a));
    }

    @Test
    void beforeOpset8InputsMustShareTheirShape() {
        Tensor a = Tensor.of(new float[] {1, 2}, 2);
        Tensor b = Tensor.of(new float[] {3}, 1);
        var e = assertThrows(IllegalArgumentException.class, () -> run("Sum", 6, a, b));
        assertTrue(e.getMessage().contains("one shape"), e.getMessage());
        assertDoubles(run("Max", 6, a, Tensor.of(new float[] {0, 5}, 2)), DataType.FLOAT, 0, 1, 5);
        assertDoubles(run("Sum", 8, a, b), DataType.FLOAT, 0, 4, 5);
    }

    @Test
    void scalarsAndEmptyTensors() {
        Tensor s = run("Mean", 13, Tensor.scalar(1f), Tensor.scalar(2f));
        assertShape(s, DataType.FLOAT);
        assertDoubles(s, DataType.FLOAT, 0, 1.5);
        assertShape(run("Min", 13, Tensor.zeros(DataType.INT32, 0, 2), Tensor.zeros(DataType.INT32, 2)),
                DataType.INT32, 0, 2);
    }

    @Test
    void typesAreChecked() {
        assertThrows(IllegalArgumentException.class,
                () -> run("Sum", 13, Tensor.of(new int[] {1}, 1), Tensor.of(new int[] {1}, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> run("Max", 13, Tensor.of(new float[] {1}, 1), Tensor.of(new double[] {1}, 1)));
    }
}
