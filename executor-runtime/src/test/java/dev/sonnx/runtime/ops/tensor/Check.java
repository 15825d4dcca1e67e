package dev.sonnx.runtime.ops.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import org.junit.jupiter.api.function.Executable;

/** Assertions shared by this family's tests: type, shape and values of a result. */
final class Check {
    private Check() {
    }

    static void doubles(Tensor t, DataType type, int[] shape, double... expected) {
        assertEquals(type, t.dtype(), "dtype");
        assertArrayEquals(shape, t.shape(), "shape");
        assertArrayEquals(expected, t.toDoubleArray(), 1e-6, "values");
    }

    static void floats(Tensor t, int[] shape, double... expected) {
        doubles(t, DataType.FLOAT, shape, expected);
    }

    static void longs(Tensor t, int[] shape, long... expected) {
        assertEquals(DataType.INT64, t.dtype(), "dtype");
        assertArrayEquals(shape, t.shape(), "shape");
        assertArrayEquals(expected, t.toLongArray(), "values");
    }

    static void strings(Tensor t, int[] shape, String... expected) {
        assertEquals(DataType.STRING, t.dtype(), "dtype");
        assertArrayEquals(shape, t.shape(), "shape");
        assertArrayEquals(expected, t.strings(), "values");
    }

    /** Asserts that running {@code run} fails with a message containing {@code fragment}. */
    static void fails(String fragment, Executable run) {
        Throwable e = assertThrows(RuntimeException.class, run);
        assertTrue(e.getMessage() != null && e.getMessage().contains(fragment),
                "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    static int[] shape(int... dims) {
        return dims;
    }

    /** A float tensor 0, 1, 2, ... of {@code shape}. */
    static Tensor iota(int... shape) {
        Tensor t = Tensor.zeros(DataType.FLOAT, shape);
        for (int i = 0; i < t.size(); i++) {
            t.setFloat(i, i);
        }
        return t;
    }

    /** A tensor of {@code type} holding 0, 1, 2, ... (strings "s0", "s1"...). */
    static Tensor iota(DataType type, int... shape) {
        Tensor t = Tensor.zeros(type, shape);
        for (int i = 0; i < t.size(); i++) {
            if (type == DataType.STRING) {
                t.setString(i, "s" + i);
            } else {
                t.setDouble(i, type == DataType.BOOL ? i % 2 : i);
            }
        }
        return t;
    }
}
