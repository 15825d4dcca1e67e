package dev.sonnx.runtime.ops.signal;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

/**
 * Element access to float tensors chosen once per tensor: float32 and float64 read their buffers
 * directly; float16 and bfloat16 go through the converting accessors.
 */
final class Samples {
    private Samples() {
    }

    /** A scalar (or one-element) integer input as a long; {@code name} for messages. */
    static long scalarLong(Tensor t, String name) {
        if (t.dtype() != DataType.INT32 && t.dtype() != DataType.INT64) {
            throw new IllegalArgumentException("input " + name + " has type " + t.dtype().onnxName()
                    + ", expected int32 or int64");
        }
        if (t.size() != 1 || t.rank() > 1) {
            throw new IllegalArgumentException("input " + name + " must be a scalar, got shape "
                    + java.util.Arrays.toString(t.shape()));
        }
        return t.getLong(0);
    }

    /** A scalar (or one-element) float input as a double. */
    static double scalarDouble(Tensor t, String name) {
        if (!t.dtype().isFloat()) {
            throw new IllegalArgumentException("input " + name + " has type " + t.dtype().onnxName()
                    + ", expected a float type");
        }
        if (t.size() != 1 || t.rank() > 1) {
            throw new IllegalArgumentException("input " + name + " must be a scalar, got shape "
                    + java.util.Arrays.toString(t.shape()));
        }
        return t.getDouble(0);
    }
}
