package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Half;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * Element type conversion for Cast and CastLike, between every pair of numeric, bool and string
 * types: floats to integers truncate toward zero and wrap to the width (as C casts do on the usual
 * targets), integers to narrower integers wrap, anything to bool is "not zero", float16 rounds to
 * nearest even and bfloat16 truncates (see {@link FloatFormats}); strings go through
 * {@link NumberText}. The common float32 pairs have typed loops; the rest convert one element at a
 * time through a double (float sources) or a long (integer and bool sources), which hold every value
 * of those types exactly.
 */
final class Conversions {
    private Conversions() {
    }

    /** Whether Cast can read or write tensors of {@code t}. */
    static boolean supported(DataType t) {
        return t.isNumeric() || t == DataType.BOOL || t == DataType.STRING;
    }

    /** {@code x} converted to {@code to}; x itself when it already has that type. */
    static Tensor convert(Tensor x, DataType to, Device device) {
        DataType from = x.dtype();
        if (from == to) {
            return x;
        }
        // every path below assigns each element (strings get their own zeroed array)
        Tensor out = Tensor.uninitialized(to, x.shape());
        int n = x.size();
        if (from == DataType.STRING) {
            String[] in = x.strings();
            device.parallelFor(n, 200, (s, e) -> {
                for (int i = s; i < e; i++) {
                    fromText(in[i], out, i);
                }
            });
        } else if (to == DataType.STRING) {
            String[] o = out.strings();
            device.parallelFor(n, 500, (s, e) -> {
                for (int i = s; i < e; i++) {
                    o[i] = NumberText.format(x, i);
                }
            });
        } else if (!typedLoop(x, out, device)) {
            boolean floatSource = from.isFloat();
            boolean unsignedSource = from == DataType.UINT64;
            device.parallelFor(n, 8, (s, e) -> {
                for (int i = s; i < e; i++) {
                    if (floatSource) {
                        putDouble(out, i, x.getDouble(i));
                    } else {
                        putLong(out, i, x.getLong(i), unsignedSource);
                    }
                }
            });
        }
        return out;
    }

    /** Stores a float-typed value into element i of {@code out} (any numeric or bool type). */
    private static void putDouble(Tensor out, int i, double v) {
        switch (out.dtype()) {
            case FLOAT16 -> out.shorts().put(i, FloatFormats.doubleToHalf(v));
            case BFLOAT16 -> out.shorts().put(i, FloatFormats.floatToBf16Truncated((float) v));
            case FLOAT, DOUBLE, BOOL -> out.setDouble(i, v);
            case UINT64 -> out.setLong(i, FloatFormats.doubleToUnsigned(v));
            default -> out.setLong(i, (long) v);
        }
    }

    /** Stores an integer value (UINT64 as bits when {@code unsigned}) into element i of {@code out}. */
    private static void putLong(Tensor out, int i, long v, boolean unsigned) {
        switch (out.dtype()) {
            case FLOAT -> out.bytes().putFloat(i << 2, unsigned ? FloatFormats.unsignedToFloat(v) : (float) v);
            case DOUBLE -> out.bytes().putDouble(i << 3, unsigned ? FloatFormats.unsignedToDouble(v) : (double) v);
            case FLOAT16 -> out.shorts().put(i, Half.fromFloat(unsigned ? FloatFormats.unsignedToFloat(v) : (float) v));
            case BFLOAT16 -> out.shorts().put(i,
                    FloatFormats.floatToBf16Truncated(unsigned ? FloatFormats.unsignedToFloat(v) : (float) v));
            default -> out.setLong(i, v);
        }
    }

    private static void fromText(String s, Tensor out, int i) {
        switch (out.dtype()) {
            case FLOAT -> out.bytes().putFloat(i << 2, NumberText.parseFloat(s, i));
            case DOUBLE -> out.bytes().putDouble(i << 3, NumberText.parseDouble(s, i));
            case FLOAT16 -> out.shorts().put(i, FloatFormats.doubleToHalf(NumberText.parseDouble(s, i)));
            case BFLOAT16 -> out.shorts().put(i, FloatFormats.floatToBf16Truncated(NumberText.parseFloat(s, i)));
            case BOOL -> out.setBool(i, NumberText.parseBool(s, i));
            default -> out.setLong(i, NumberText.parseInteger(s, out.dtype(), i));
        }
    }

    /** Typed loops for the pairs with float32 that real models cast most; false when not one of them. */
    private static boolean typedLoop(Tensor x, Tensor out, Device device) {
        DataType from = x.dtype();
        DataType to = out.dtype();
        int n = x.size();
        if (from == DataType.FLOAT) {
            FloatBuffer in = x.floats();
            switch (to) {
                case DOUBLE -> {
                    DoubleBuffer o = out.doubles();
                    device.parallelFor(n, 1, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            o.put(i, in.get(i));
                        }
                    });
                }
                case FLOAT16 -> {
                    ShortBuffer o = out.shorts();
                    device.parallelFor(n, 4, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            o.put(i, Half.fromFloat(in.get(i)));
                        }
                    });
                }
                case INT64 -> {
                    LongBuffer o = out.longs();
                    device.parallelFor(n, 1, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            o.put(i, (long) in.get(i));
                        }
                    });
                }
                case INT32 -> {
                    IntBuffer o = out.ints();
                    device.parallelFor(n, 1, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            o.put(i, (int) (long) in.get(i)); // through long: out-of-range values wrap
                        }
                    });
                }
                case BOOL -> {
                    ByteBuffer o = out.bytes();
                    device.parallelFor(n, 1, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            o.put(i, in.get(i) != 0 ? (byte) 1 : 0);
                        }
                    });
                }
                default -> {
                    return false;
                }
            }
            return true;
        }
        if (to == DataType.FLOAT) {
            FloatBuffer o = out.floats();
            switch (from) {
                case DOUBLE -> {
                    DoubleBuffer in = x.doubles();
                    device.parallelFor(n, 1, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            o.put(i, (float) in.get(i));
                        }
                    });
                }
                case FLOAT16 -> {
                    ShortBuffer in = x.shorts();
                    device.parallelFor(n, 4, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            o.put(i, Half.toFloat(in.get(i)));
                        }
                    });
                }
                case INT64 -> {
                    LongBuffer in = x.longs();
                    device.parallelFor(n, 1, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            o.put(i, (float) in.get(i));
                        }
                    });
                }
                case INT32 -> {
                    IntBuffer in = x.ints();
                    device.parallelFor(n, 1, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            o.put(i, (float) in.get(i));
                        }
                    });
                }
                case BOOL -> {
                    ByteBuffer in = x.bytes();
                    device.parallelFor(n, 1, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            o.put(i, in.get(i) != 0 ? 1f : 0f);
                        }
                    });
                }
                case UINT8 -> {
                    ByteBuffer in = x.bytes();
                    device.parallelFor(n, 1, (s, e) -> {
                        for (int i = s; i < e; i++) {
                            o.put(i, in.get(i) & 0xff);
                        }
                    });
                }
                default -> {
                    return false;
                }
            }
            return true;
        }
        return false;
    }
}
