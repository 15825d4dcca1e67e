package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * The loops behind elementwise operators: broadcasting binary functions and unary functions, with
 * a fast path for float32 and double and a general one for the other types.
 */
public final class Elementwise {
    private Elementwise() {
    }

    /**
     * out = fn(a, b) with numpy broadcasting; the output has type {@code outType} (a's type, or BOOL
     * for comparisons, whose functions return 1 or 0).
     */
    static Tensor binary(Tensor a, Tensor b, DataType outType, BinaryFn fn, Device device) {
        Broadcast bc = Broadcast.of(a.shape(), b.shape());
        Tensor out = Tensor.zeros(outType, bc.outShape());
        DataType t = a.dtype();
        int sa = bc.rowStride(0);
        int sb = bc.rowStride(1);
        if (t == DataType.FLOAT && outType == DataType.FLOAT) {
            FloatBuffer x = a.floats();
            FloatBuffer y = b.floats();
            FloatBuffer o = out.floats();
            BinaryFn.FloatOp f = fn.f();
            bc.forEachRow(device, 1, (oo, off, len) -> {
                int ia = off[0];
                int ib = off[1];
                for (int j = 0; j < len; j++, ia += sa, ib += sb) {
                    o.put(oo + j, f.apply(x.get(ia), y.get(ib)));
                }
            });
        } else if (t == DataType.DOUBLE && outType == DataType.DOUBLE) {
            DoubleBuffer x = a.doubles();
            DoubleBuffer y = b.doubles();
            DoubleBuffer o = out.doubles();
            BinaryFn.DoubleOp f = fn.d();
            bc.forEachRow(device, 1, (oo, off, len) -> {
                int ia = off[0];
                int ib = off[1];
                for (int j = 0; j < len; j++, ia += sa, ib += sb) {
                    o.put(oo + j, f.apply(x.get(ia), y.get(ib)));
                }
            });
        } else if (t.isFloat()) {
            boolean dbl = t == DataType.DOUBLE;
            BinaryFn.FloatOp f = fn.f();
            BinaryFn.DoubleOp d = fn.d();
            bc.forEachRow(device, 2, (oo, off, len) -> {
                int ia = off[0];
                int ib = off[1];
                for (int j = 0; j < len; j++, ia += sa, ib += sb) {
                    double v = dbl ? d.apply(a.getDouble(ia), b.getDouble(ib))
                            : f.apply(a.getFloat(ia), b.getFloat(ib));
                    out.setDouble(oo + j, v);
                }
            });
        } else {
            BinaryFn.LongOp f = t == DataType.UINT64 ? fn.unsigned() : fn.integer();
            if (f == null) {
                throw new IllegalArgumentException("type " + t.onnxName() + " is not supported");
            }
            bc.forEachRow(device, 2, (oo, off, len) -> {
                int ia = off[0];
                int ib = off[1];
                for (int j = 0; j < len; j++, ia += sa, ib += sb) {
                    out.setLong(oo + j, f.apply(a.getLong(ia), b.getLong(ib)));
                }
            });
        }
        return out;
    }

    /**
     * out = fn(x) elementwise, same shape. Float types compute in double ({@code fn}); integer types
     * use {@code integerFn}, or {@code fn} on their value when it is null.
     */
    static Tensor unary(Tensor x, DataType outType, DoubleUnaryOperator fn, LongUnaryOperator integerFn,
                        Device device) {
        Tensor out = Tensor.zeros(outType, x.shape());
        int n = x.size();
        DataType t = x.dtype();
        if (t == DataType.FLOAT && outType == DataType.FLOAT) {
            FloatBuffer in = x.floats();
            FloatBuffer o = out.floats();
            device.parallelFor(n, 8, (s, e) -> {
                for (int i = s; i < e; i++) {
                    o.put(i, (float) fn.applyAsDouble(in.get(i)));
                }
            });
        } else if (t.isFloat() || integerFn == null) {
            device.parallelFor(n, 8, (s, e) -> {
                for (int i = s; i < e; i++) {
                    out.setDouble(i, fn.applyAsDouble(x.getDouble(i)));
                }
            });
        } else {
            device.parallelFor(n, 4, (s, e) -> {
                for (int i = s; i < e; i++) {
                    out.setLong(i, integerFn.applyAsLong(x.getLong(i)));
                }
            });
        }
        return out;
    }

    /** A bool tensor from a predicate on each element's double value (IsNaN, IsInf). */
    static Tensor predicate(Tensor x, java.util.function.DoublePredicate p, Device device) {
        Tensor out = Tensor.zeros(DataType.BOOL, x.shape());
        ByteBuffer o = out.bytes();
        device.parallelFor(x.size(), 4, (s, e) -> {
            for (int i = s; i < e; i++) {
                o.put(i, (byte) (p.test(x.getDouble(i)) ? 1 : 0));
            }
        });
        return out;
    }
}
