package dev.sonnx.runtime.ops.kernel;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Element access chosen once per tensor: float32 and float64 read and write their buffers directly,
 * other numeric types go through the converting accessors of {@link Tensor}.
 */
public final class ElementAccess {
    private ElementAccess() {
    }

    /** Reads element i as a double. */
    @FunctionalInterface
    public interface Reader {
        double get(int i);
    }

    /** Writes element i from a double (rounded or converted to the tensor's type). */
    @FunctionalInterface
    public interface Writer {
        void set(int i, double v);
    }

    public static Reader reader(Tensor t) {
        if (t.dtype() == DataType.FLOAT) {
            FloatBuffer b = t.floats();
            return b::get;
        }
        if (t.dtype() == DataType.DOUBLE) {
            DoubleBuffer b = t.doubles();
            return b::get;
        }
        return t::getDouble;
    }

    public static Writer writer(Tensor t) {
        if (t.dtype() == DataType.FLOAT) {
            FloatBuffer b = t.floats();
            return (i, v) -> b.put(i, (float) v);
        }
        if (t.dtype() == DataType.DOUBLE) {
            DoubleBuffer b = t.doubles();
            return b::put;
        }
        return t::setDouble;
    }
}
