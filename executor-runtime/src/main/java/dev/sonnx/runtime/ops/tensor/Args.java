package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.Arrays;

/**
 * Reading the small integer arguments of shape operators (shapes, axes, pads, starts...) from
 * attributes or input tensors, with errors that name the argument.
 */
final class Args {
    private Args() {
    }

    /** A 1-D (or scalar) int32/int64 input as longs. */
    static long[] longs(Tensor t, String name) {
        requireIndexType(t, name);
        if (t.rank() > 1) {
            throw new IllegalArgumentException("input '" + name + "' must be 1-D, got " + t.describe());
        }
        // shape arguments may come from a device (a CUDA model's graph): a few values to read here
        return t.toHost().toLongArray();
    }

    /** A scalar (or one-element) integer input. */
    static long scalar(Tensor t, String name) {
        requireIndexType(t, name);
        if (t.size() != 1) {
            throw new IllegalArgumentException("input '" + name + "' must hold one value, got " + t.describe());
        }
        return t.toHost().getLong(0);
    }

    /** Index inputs are int32 or int64. */
    static void requireIndexType(Tensor t, String name) {
        if (t.dtype() != DataType.INT64 && t.dtype() != DataType.INT32) {
            throw new IllegalArgumentException("input '" + name + "' has type " + t.dtype().onnxName()
                    + ", expected int64 or int32");
        }
    }

    /** A shape input: int64 dims, none negative. */
    static int[] shape(Tensor t, String name) {
        long[] dims = longs(t, name);
        int[] r = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("input '" + name + "' has dimension " + dims[i] + " at position "
                        + i + " " + Arrays.toString(dims));
            }
            r[i] = (int) dims[i];
        }
        return r;
    }

    /** An axis in {@code [-rank, rank)} made non-negative. */
    static int axis(long axis, int rank, String name) {
        if (axis < -rank || axis >= rank) {
            throw new IllegalArgumentException(name + " " + axis + " is out of range for rank " + rank
                    + " (expected " + -rank + " to " + (rank - 1) + ")");
        }
        return (int) (axis < 0 ? axis + rank : axis);
    }

    /** A list of distinct axes in {@code [-rank, rank)}, made non-negative (order kept). */
    static int[] axes(long[] axes, int rank, String name) {
        int[] r = new int[axes.length];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < axes.length; i++) {
            r[i] = axis(axes[i], rank, name + " value");
            if (seen[r[i]]) {
                throw new IllegalArgumentException(name + " " + Arrays.toString(axes) + " names axis " + r[i]
                        + " twice");
            }
            seen[r[i]] = true;
        }
        return r;
    }

    static long[] toLongs(int[] v) {
        long[] r = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = v[i];
        }
        return r;
    }

    /** Clamps {@code v} to {@code [lo, hi]}. */
    static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
