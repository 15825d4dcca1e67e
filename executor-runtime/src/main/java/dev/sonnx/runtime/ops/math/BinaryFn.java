package dev.sonnx.runtime.ops.math;

/**
 * One elementwise binary function in the arithmetics kernels compute in: float (float32, float16
 * and bfloat16, widened to float), double, and 64-bit integers (every integer type and bool, wrapped
 * back to the type's width). {@code unsigned} replaces {@code integer} for UINT64, where division and
 * comparison differ; {@code strings} serves string tensors (Equal). {@code kernel} names a
 * hand-written float32 loop that replaces the per-element call of {@code f} on the hot path.
 */
record BinaryFn(FloatOp f, DoubleOp d, LongOp integer, LongOp unsigned, StringOp strings,
                FloatLoops.Binary kernel) {

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

    /** A predicate on two strings, as 1 or 0. */
    @FunctionalInterface
    interface StringOp {
        long apply(String a, String b);
    }

    /** A function with the same integer form for signed and unsigned 64-bit values. */
    static BinaryFn of(FloatOp f, DoubleOp d, LongOp integer) {
        return new BinaryFn(f, d, integer, integer, null, null);
    }

    /** A function whose UINT64 form differs (division, comparison). */
    static BinaryFn of(FloatOp f, DoubleOp d, LongOp integer, LongOp unsigned) {
        return new BinaryFn(f, d, integer, unsigned, null, null);
    }

    /** A function with no integer form (the operator accepts float types only). */
    static BinaryFn floating(FloatOp f, DoubleOp d) {
        return new BinaryFn(f, d, null, null, null, null);
    }

    /** A function of integers (and bools) only. */
    static BinaryFn integer(LongOp integer, LongOp unsigned) {
        return new BinaryFn(null, null, integer, unsigned, null, null);
    }

    /** This function, also defined on strings. */
    BinaryFn withStrings(StringOp s) {
        return new BinaryFn(f, d, integer, unsigned, s, kernel);
    }

    /** This function, computed by a hand-written loop on float32 tensors. */
    BinaryFn withKernel(FloatLoops.Binary k) {
        return new BinaryFn(f, d, integer, unsigned, strings, k);
    }
}
