package dev.sonnx.runtime.ops.math;

import java.util.function.DoubleUnaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * One elementwise function of one value: {@code real} on float types (in double precision), and
 * optionally exact forms on integers: {@code integer} for signed types (and bool), {@code unsigned}
 * for unsigned ones, which receive their value zero-extended (UINT64 as its bit pattern). Integer
 * types without an exact form compute {@code real} on their value and truncate the result.
 */
record UnaryFn(DoubleUnaryOperator real, LongUnaryOperator integer, LongUnaryOperator unsigned) {

    static UnaryFn real(DoubleUnaryOperator f) {
        return new UnaryFn(f, null, null);
    }

    /** The same integer form for signed and unsigned types (bitwise operations, Relu...). */
    static UnaryFn of(DoubleUnaryOperator f, LongUnaryOperator integer) {
        return new UnaryFn(f, integer, integer);
    }

    static UnaryFn of(DoubleUnaryOperator f, LongUnaryOperator signed, LongUnaryOperator unsigned) {
        return new UnaryFn(f, signed, unsigned);
    }
}
