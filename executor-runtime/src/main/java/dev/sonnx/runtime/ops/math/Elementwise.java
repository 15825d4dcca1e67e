package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.function.DoublePredicate;

/**
 * The loops behind elementwise operators: broadcasting binary functions and unary functions, with
 * fast paths for float32 and double and a general one for the other types.
 */
public final class Elementwise {
    private Elementwise() {
    }

    /**
     * out = fn(a, b) with numpy broadcasting; the output has type {@code outType} (a's type, or BOOL
     * for comparisons, whose functions return 1 or 0). float32 arithmetic with a hand-written
     * kernel goes through {@link FloatLoops}.
     */
    static Tensor binary(Tensor a, Tensor b, DataType outType, BinaryFn fn, Device device) {
        return binary(a, b, Broadcast.of(a.shape(), b.shape()), outType, fn, device);
    }

    private static final BinaryFn FLOAT_ADD = BinaryFn.floating((x, y) -> x + y, (x, y) -> x + y)
            .withKernel(FloatLoops.Binary.ADD);

    /**
     * a + b for float32 tensors of one shape through Add's hand-written loop (vectorised, parallel):
     * for sums outside the operators, such as a value's gradients from two consumers.
     */
    public static Tensor addFloats(Tensor a, Tensor b, Device device) {
        return binary(a, b, DataType.FLOAT, FLOAT_ADD, device);
    }

    /** {@link #binary} with the broadcast plan {@code bc} of a's and b's shapes made by the caller. */
    static Tensor binary(Tensor a, Tensor b, Broadcast bc, DataType outType, BinaryFn fn, Device device) {
        // every path below writes each output element
        Tensor out = Tensor.uninitialized(outType, bc.outShape());
        if (fn.kernel() != null && a.dtype() == DataType.FLOAT && outType == DataType.FLOAT) {
            FloatLoops.binary(fn.kernel(), a, b, out, bc, device);
        } else {
            general(a, b, out, bc, fn, device);
        }
        return out;
    }

    /** {@link #binary} without the hand-written kernels: the reference the kernels are tested against. */
    static Tensor binaryGeneral(Tensor a, Tensor b, DataType outType, BinaryFn fn, Device device) {
        Broadcast bc = Broadcast.of(a.shape(), b.shape());
        Tensor out = Tensor.zeros(outType, bc.outShape());
        general(a, b, out, bc, fn, device);
        return out;
    }

    private static void general(Tensor a, Tensor b, Tensor out, Broadcast bc, BinaryFn fn, Device device) {
        DataType t = a.dtype();
        DataType outType = out.dtype();
        int sa = bc.rowStride(0);
        int sb = bc.rowStride(1);
        if (t == DataType.FLOAT && fn.f() != null && (outType == DataType.FLOAT || outType == DataType.BOOL)) {
            FloatBuffer x = a.floats();
            FloatBuffer y = b.floats();
            BinaryFn.FloatOp f = fn.f();
            if (outType == DataType.FLOAT) {
                FloatBuffer o = out.floats();
                Spans.forEach(bc, 2, device, 2, (oo, off, len) -> {
                    int ia = off[0];
                    int ib = off[1];
                    for (int j = 0; j < len; j++, ia += sa, ib += sb) {
                        o.put(oo + j, f.apply(x.get(ia), y.get(ib)));
                    }
                });
            } else {
                ByteBuffer o = out.bytes();
                Spans.forEach(bc, 2, device, 2, (oo, off, len) -> {
                    int ia = off[0];
                    int ib = off[1];
                    for (int j = 0; j < len; j++, ia += sa, ib += sb) {
                        o.put(oo + j, f.apply(x.get(ia), y.get(ib)) != 0 ? (byte) 1 : 0);
                    }
                });
            }
        } else if (t == DataType.DOUBLE && fn.d() != null
                && (outType == DataType.DOUBLE || outType == DataType.BOOL)) {
            DoubleBuffer x = a.doubles();
            DoubleBuffer y = b.doubles();
            BinaryFn.DoubleOp f = fn.d();
            if (outType == DataType.DOUBLE) {
                DoubleBuffer o = out.doubles();
                Spans.forEach(bc, 2, device, 2, (oo, off, len) -> {
                    int ia = off[0];
                    int ib = off[1];
                    for (int j = 0; j < len; j++, ia += sa, ib += sb) {
                        o.put(oo + j, f.apply(x.get(ia), y.get(ib)));
                    }
                });
            } else {
                ByteBuffer o = out.bytes();
                Spans.forEach(bc, 2, device, 2, (oo, off, len) -> {
                    int ia = off[0];
                    int ib = off[1];
                    for (int j = 0; j < len; j++, ia += sa, ib += sb) {
                        o.put(oo + j, f.apply(x.get(ia), y.get(ib)) != 0 ? (byte) 1 : 0);
                    }
                });
            }
        } else if (t.isFloat()) {
            // float16 and bfloat16 compute in float32 and round back once
            BinaryFn.FloatOp f = fn.f();
            if (f == null) {
                throw new IllegalArgumentException("type " + t.onnxName() + " is not supported");
            }
            Spans.forEach(bc, 2, device, 4, (oo, off, len) -> {
                int ia = off[0];
                int ib = off[1];
                for (int j = 0; j < len; j++, ia += sa, ib += sb) {
                    out.setFloat(oo + j, f.apply(a.getFloat(ia), b.getFloat(ib)));
                }
            });
        } else if (t == DataType.STRING) {
            BinaryFn.StringOp f = fn.strings();
            if (f == null) {
                throw new IllegalArgumentException("type string is not supported");
            }
            String[] x = a.strings();
            String[] y = b.strings();
            Spans.forEach(bc, 2, device, 8, (oo, off, len) -> {
                int ia = off[0];
                int ib = off[1];
                for (int j = 0; j < len; j++, ia += sa, ib += sb) {
                    out.setLong(oo + j, f.apply(x[ia], y[ib]));
                }
            });
        } else {
            BinaryFn.LongOp f = t == DataType.UINT64 ? fn.unsigned() : fn.integer();
            if (f == null || !(t.isInteger() || t == DataType.BOOL)) {
                throw new IllegalArgumentException("type " + t.onnxName() + " is not supported");
            }
            Spans.forEach(bc, 2, device, 4, (oo, off, len) -> {
                int ia = off[0];
                int ib = off[1];
                for (int j = 0; j < len; j++, ia += sa, ib += sb) {
                    out.setLong(oo + j, f.apply(a.getLong(ia), b.getLong(ib)));
                }
            });
        }
    }

    /**
     * out = fn(x) elementwise, same shape, of {@code outType}. Float types compute in double
     * ({@code fn.real()}); integer types use {@code fn.integer()} (or {@code fn.unsigned()} for
     * unsigned types) when given, else the real function of their value, converted back.
     */
    static Tensor unary(Tensor x, DataType outType, UnaryFn fn, Device device) {
        Tensor out = Tensor.uninitialized(outType, x.shape());
        int n = x.size();
        DataType t = x.dtype();
        java.util.function.LongUnaryOperator integer = t.isUnsignedInteger() ? fn.unsigned() : fn.integer();
        if (t == DataType.FLOAT && outType == DataType.FLOAT) {
            FloatBuffer in = x.floats();
            FloatBuffer o = out.floats();
            java.util.function.DoubleUnaryOperator f = fn.real();
            device.parallelFor(n, 8, (s, e) -> {
                for (int i = s; i < e; i++) {
                    o.put(i, (float) f.applyAsDouble(in.get(i)));
                }
            });
        } else if (t == DataType.DOUBLE && outType == DataType.DOUBLE) {
            DoubleBuffer in = x.doubles();
            DoubleBuffer o = out.doubles();
            java.util.function.DoubleUnaryOperator f = fn.real();
            device.parallelFor(n, 8, (s, e) -> {
                for (int i = s; i < e; i++) {
                    o.put(i, f.applyAsDouble(in.get(i)));
                }
            });
        } else if (t.isFloat() || integer == null) {
            java.util.function.DoubleUnaryOperator f = fn.real();
            if (f == null) {
                throw new IllegalArgumentException("type " + t.onnxName() + " is not supported");
            }
            device.parallelFor(n, 8, (s, e) -> {
                for (int i = s; i < e; i++) {
                    out.setDouble(i, f.applyAsDouble(x.getDouble(i)));
                }
            });
        } else {
            device.parallelFor(n, 4, (s, e) -> {
                for (int i = s; i < e; i++) {
                    out.setLong(i, integer.applyAsLong(x.getLong(i)));
                }
            });
        }
        return out;
    }

    /** A bool tensor from a predicate on each element's double value (IsNaN, IsInf). */
    static Tensor predicate(Tensor x, DoublePredicate p, Device device) {
        Tensor out = Tensor.uninitialized(DataType.BOOL, x.shape());
        ByteBuffer o = out.bytes();
        device.parallelFor(x.size(), 4, (s, e) -> {
            for (int i = s; i < e; i++) {
                o.put(i, (byte) (p.test(x.getDouble(i)) ? 1 : 0));
            }
        });
        return out;
    }

    /** gy * c as a new tensor of gy's type (linear gradients: Sub's -1, Mean's 1/n). */
    static Tensor scale(Tensor gy, double c, Device device) {
        Tensor out = Tensor.uninitialized(gy.dtype(), gy.shape());
        if (gy.dtype() == DataType.FLOAT) {
            FloatBuffer g = gy.floats();
            FloatBuffer o = out.floats();
            float cf = (float) c;
            device.parallelFor(gy.size(), 1, (s, e) -> {
                for (int i = s; i < e; i++) {
                    o.put(i, g.get(i) * cf);
                }
            });
        } else {
            device.parallelFor(gy.size(), 4, (s, e) -> {
                for (int i = s; i < e; i++) {
                    out.setDouble(i, gy.getDouble(i) * c);
                }
            });
        }
        return out;
    }
}
