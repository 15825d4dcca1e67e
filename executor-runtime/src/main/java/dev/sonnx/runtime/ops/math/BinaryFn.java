package dev.sonnx.runtime.ops.math;

/**
 * One elementwise binary function in the three arithmetics kernels compute in: float (float32,
 * float16 and bfloat16, widened to float), double, and 64-bit integers (every integer type and bool,
 * wrapped back to the type's width). {@code unsigned} replaces {@code integer} for UINT64, where
 * division and comparison differ.
 */
record BinaryFn(FloatOp f, DoubleOp d, LongOp integer, LongOp unsigned) {

    @FunctionalInterface
    interface FloatOp {
        float apply(float a, float b);
    }

    @FunctionalInterface
    interface DoubleOp {
        double apply(double a, double b);
    }

    @FunctionalInterface
    interface LongOp {
        long apply(long a, long b);
    }

    static BinaryFn of(FloatOp f, DoubleOp d, LongOp integer) {
        return new BinaryFn(f, d, integer, integer);
    }

    /** A function with no integer form (the operator accepts float types only). */
    static BinaryFn floating(FloatOp f, DoubleOp d) {
        return new BinaryFn(f, d, null, null);
    }
}
