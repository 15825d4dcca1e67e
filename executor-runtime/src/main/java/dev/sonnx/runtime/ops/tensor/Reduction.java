package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.function.DoubleBinaryOperator;
import java.util.function.LongBinaryOperator;

/**
 * How ScatterElements and ScatterND combine an update with the element it lands on: replace it
 * (none), or add, multiply (opset 16), max, min (opset 18). Integers wrap as C does; bool adds as
 * "or" and multiplies as "and", as numpy does.
 */
enum Reduction {
    NONE, ADD, MUL, MAX, MIN;

    /** {@code out[dst] = combine(out[dst], updates[src])}. */
    @FunctionalInterface
    interface Combine {
        void at(int dst, int src);
    }

    /** Parses the {@code reduction} attribute; {@code allowed} lists the ones the node's version knows. */
    static Reduction parse(String name, Reduction... allowed) {
        for (Reduction r : allowed) {
            if (r.name().equalsIgnoreCase(name)) {
                return r;
            }
        }
        StringBuilder sb = new StringBuilder();
        for (Reduction r : allowed) {
            sb.append(sb.length() == 0 ? "" : ", ").append(r.name().toLowerCase(java.util.Locale.ROOT));
        }
        throw new IllegalArgumentException("attribute 'reduction' = '" + name + "' is not one of " + sb);
    }

    /** The combining step for {@code out} and {@code updates} (same type), chosen once per call. */
    Combine combiner(Tensor out, Tensor updates) {
        DataType t = out.dtype();
        if (this == NONE || t == DataType.STRING || !(t.isNumeric() || t == DataType.BOOL)) {
            throw new IllegalArgumentException("reduction '" + name().toLowerCase(java.util.Locale.ROOT)
                    + "' does not apply to " + t.onnxName() + " data");
        }
        if (t == DataType.FLOAT) {
            FloatBuffer o = out.floats();
            FloatBuffer u = updates.floats();
            DoubleBinaryOperator f = doubleOp();
            return (d, s) -> o.put(d, (float) f.applyAsDouble(o.get(d), u.get(s)));
        }
        if (t == DataType.DOUBLE) {
            DoubleBuffer o = out.doubles();
            DoubleBuffer u = updates.doubles();
            DoubleBinaryOperator f = doubleOp();
            return (d, s) -> o.put(d, f.applyAsDouble(o.get(d), u.get(s)));
        }
        if (t.isFloat()) {
            DoubleBinaryOperator f = doubleOp();
            return (d, s) -> out.setDouble(d, f.applyAsDouble(out.getDouble(d), updates.getDouble(s)));
        }
        LongBinaryOperator f = longOp(t == DataType.UINT64);
        return (d, s) -> out.setLong(d, f.applyAsLong(out.getLong(d), updates.getLong(s)));
    }

    private DoubleBinaryOperator doubleOp() {
        switch (this) {
            case ADD: return (a, b) -> a + b;
            case MUL: return (a, b) -> a * b;
            case MAX: return Math::max;
            default: return Math::min;
        }
    }

    private LongBinaryOperator longOp(boolean unsigned) {
        switch (this) {
            case ADD: return (a, b) -> a + b;
            case MUL: return (a, b) -> a * b;
            case MAX: return unsigned ? (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b : Math::max;
            default: return unsigned ? (a, b) -> Long.compareUnsigned(a, b) <= 0 ? a : b : Math::min;
        }
    }
}
