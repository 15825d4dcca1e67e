package dev.sonnx.runtime.ops.math;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OpTester;
import java.util.SplittableRandom;

/** Small helpers shared by the math family's tests. */
final class MathTesting {
    private MathTesting() {
    }

    /** Runs {@code op} at {@code opset} with {@code inputs.length} inputs and returns its first output. */
    static Tensor run(String op, int opset, Tensor... inputs) {
        return OpTester.of(op, opset).inputs(inputs.length).run(inputs)[0];
    }

    static Tensor floats(float[] v, int... shape) {
        return Tensor.of(v, shape);
    }

    static Tensor typed(DataType t, long[] v, int... shape) {
        return Tensor.fromLongs(t, v, shape);
    }

    static Tensor typed(DataType t, double[] v, int... shape) {
        return Tensor.fromDoubles(t, v, shape);
    }

    /** A float32 tensor of uniform values in [lo, hi). */
    static Tensor randomFloats(long seed, float lo, float hi, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        Tensor t = Tensor.zeros(DataType.FLOAT, shape);
        for (int i = 0; i < t.size(); i++) {
            t.setFloat(i, lo + (hi - lo) * (float) r.nextDouble());
        }
        return t;
    }

    static void assertShape(Tensor t, DataType type, int... shape) {
        assertEquals(type, t.dtype(), "dtype");
        assertArrayEquals(shape, t.shape(), "shape");
    }

    static void assertLongs(Tensor t, DataType type, long... expected) {
        assertEquals(type, t.dtype(), "dtype");
        assertArrayEquals(expected, t.toLongArray());
    }

    static void assertDoubles(Tensor t, DataType type, double tol, double... expected) {
        assertEquals(type, t.dtype(), "dtype");
        double[] a = t.toDoubleArray();
        assertEquals(expected.length, a.length, "element count");
        for (int i = 0; i < a.length; i++) {
            if (Double.isNaN(expected[i]) || Double.isInfinite(expected[i])) {
                assertEquals(expected[i], a[i], "element " + i);
            } else {
                assertEquals(expected[i], a[i], tol * Math.max(1, Math.abs(expected[i])), "element " + i);
            }
        }
    }

    static void assertBools(Tensor t, boolean... expected) {
        assertEquals(DataType.BOOL, t.dtype(), "dtype");
        assertEquals(expected.length, t.size(), "element count");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], t.getBool(i), "element " + i);
        }
    }
}
