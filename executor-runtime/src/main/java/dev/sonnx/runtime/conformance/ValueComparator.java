package dev.sonnx.runtime.conformance;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.OptionalValue;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Compares a computed value with an expected one: kind, then dtype and shape, then elements (floats
 * within a {@link Tolerance}, integers, bools and strings exactly). Returns null when they match,
 * else the first difference in words.
 */
public final class ValueComparator {
    private ValueComparator() {
    }

    public static String difference(Value actual, Value expected, Tolerance tol) {
        if (expected instanceof Tensor e) {
            if (!(actual instanceof Tensor a)) {
                return "expected a tensor, got " + describe(actual);
            }
            return tensorDifference(a.toHost(), e, tol);
        }
        if (expected instanceof SequenceValue e) {
            if (!(actual instanceof SequenceValue a)) {
                return "expected a sequence, got " + describe(actual);
            }
            if (a.size() != e.size()) {
                return "sequence has " + a.size() + " items, expected " + e.size();
            }
            for (int i = 0; i < e.size(); i++) {
                String d = difference(a.get(i), e.get(i), tol);
                if (d != null) {
                    return "item " + i + ": " + d;
                }
            }
            return null;
        }
        if (expected instanceof OptionalValue e) {
            Value a = actual instanceof OptionalValue o ? o.value() : actual;
            if (!e.isPresent()) {
                return a == null ? null : "expected an empty optional, got " + describe(actual);
            }
            if (a == null) {
                return "expected " + e.value().describe() + ", got an empty optional";
            }
            return difference(a, e.value(), tol);
        }
        return "cannot compare " + describe(expected);
    }

    private static String describe(Value v) {
        return v == null ? "nothing" : v.describe();
    }

    private static String tensorDifference(Tensor a, Tensor e, Tolerance tol) {
        if (a.dtype() != e.dtype()) {
            return "dtype " + a.dtype().onnxName() + ", expected " + e.dtype().onnxName();
        }
        if (!Shapes.equal(a.shape(), e.shape())) {
            return "shape " + Shapes.toString(a.shape()) + ", expected " + Shapes.toString(e.shape());
        }
        DataType t = e.dtype();
        int n = e.size();
        int bad = 0;
        String first = null;
        for (int i = 0; i < n; i++) {
            boolean ok;
            String av;
            String ev;
            if (t == DataType.STRING) {
                ok = a.getString(i).equals(e.getString(i));
                av = '"' + a.getString(i) + '"';
                ev = '"' + e.getString(i) + '"';
            } else if (t.isFloat()) {
                ok = tol.close(a.getDouble(i), e.getDouble(i));
                av = Double.toString(a.getDouble(i));
                ev = Double.toString(e.getDouble(i));
            } else if (t == DataType.COMPLEX64 || t == DataType.COMPLEX128) {
                int parts = 2;
                int w = t.byteSize() / parts;
                ok = true;
                for (int p = 0; p < parts; p++) {
                    double x = w == 4 ? a.bytes().getFloat((i * 2 + p) * 4) : a.bytes().getDouble((i * 2 + p) * 8);
                    double y = w == 4 ? e.bytes().getFloat((i * 2 + p) * 4) : e.bytes().getDouble((i * 2 + p) * 8);
                    ok &= tol.close(x, y);
                }
                av = "(complex)";
                ev = "(complex)";
            } else {
                ok = a.getLong(i) == e.getLong(i);
                av = Long.toString(a.getLong(i));
                ev = Long.toString(e.getLong(i));
            }
            if (!ok) {
                if (first == null) {
                    first = "element " + i + " is " + av + ", expected " + ev;
                }
                bad++;
            }
        }
        return first == null ? null : first + " (" + bad + " of " + n + " elements differ)";
    }
}
