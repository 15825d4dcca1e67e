package dev.sonnx.runtime.ops.image;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Element access to numeric tensors chosen once per tensor: float32 and float64 read their buffers
 * directly, other types go through the converting accessors.
 */
final class Access {
    private Access() {
    }

    @FunctionalInterface
    interface Reader {
        double get(int i);
    }

    @FunctionalInterface
    interface Writer {
        void set(int i, double v);
    }

    static Reader reader(Tensor t) {
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

    static Writer writer(Tensor t) {
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
