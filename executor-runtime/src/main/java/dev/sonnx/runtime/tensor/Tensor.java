package dev.sonnx.runtime.tensor;

import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.Pointer;

/**
 * A dense, row-major tensor: element type, shape and a {@link Storage}. Tensors are immutable in
 * shape; their data is written only by the kernel that creates them (and by optimizers, on
 * parameters). Element accessors work on host tensors; device tensors go through {@link #toHost()}.
 */
public final class Tensor implements Value {
    private final DataType dtype;
    private final int[] shape;
    private final int size;
    private final Storage storage;

    private Tensor(DataType dtype, int[] shape, Storage storage) {
        this.dtype = dtype;
        this.shape = shape;
        this.size = Shapes.size(shape);
        this.storage = storage;
    }

    // ---------------------------------------------------------------- creation

    /** A zero-filled host tensor. */
    public static Tensor zeros(DataType dtype, int... shape) {
        int[] s = shape.clone();
        int n = Shapes.size(s);
        if (dtype == DataType.STRING) {
            return new Tensor(dtype, s, HostStorage.strings(n));
        }
        if (dtype.byteSize() == 0) {
            throw new IllegalArgumentException("cannot allocate tensors of type " + dtype.onnxName());
        }
        return new Tensor(dtype, s, HostStorage.allocate((long) n * dtype.byteSize()));
    }

    /**
     * A host tensor whose contents are unspecified (zeros, or what a previous tensor of the run left
     * in pooled memory): only for kernels that write every element before anyone reads it.
     */
    public static Tensor uninitialized(DataType dtype, int... shape) {
        if (dtype == DataType.STRING || dtype.byteSize() == 0) {
            return zeros(dtype, shape);
        }
        int[] s = shape.clone();
        return new Tensor(dtype, s, HostStorage.allocateForOverwrite((long) Shapes.size(s) * dtype.byteSize()));
    }

    /** A zero-filled tensor on {@code device}. */
    public static Tensor zeros(DataType dtype, int[] shape, Device device) {
        if (device == null || device.isHost()) {
            return zeros(dtype, shape);
        }
        return ((DeviceAllocator) device).allocate(dtype, shape.clone());
    }

    /** Wraps a storage (used by device implementations and views). */
    public static Tensor wrap(DataType dtype, int[] shape, Storage storage) {
        Tensor t = new Tensor(dtype, shape.clone(), storage);
        long need = dtype == DataType.STRING ? t.size : (long) t.size * dtype.byteSize();
        if (storage.byteSize() < need) {
            throw new IllegalArgumentException("storage of " + storage.byteSize() + " bytes is too small for "
                    + t.describe());
        }
        return t;
    }

    public static Tensor of(float[] data, int... shape) {
        Tensor t = uninitialized(DataType.FLOAT, checkCount(data.length, shape));
        t.floats().put(0, data);
        return t;
    }

    public static Tensor of(double[] data, int... shape) {
        Tensor t = uninitialized(DataType.DOUBLE, checkCount(data.length, shape));
        t.doubles().put(0, data);
        return t;
    }

    /** An INT64 tensor. */
    public static Tensor of(long[] data, int... shape) {
        Tensor t = uninitialized(DataType.INT64, checkCount(data.length, shape));
        t.longs().put(0, data);
        return t;
    }

    /** An INT32 tensor. */
    public static Tensor of(int[] data, int... shape) {
        Tensor t = uninitialized(DataType.INT32, checkCount(data.length, shape));
        t.ints().put(0, data);
        return t;
    }

    public static Tensor of(boolean[] data, int... shape) {
        Tensor t = uninitialized(DataType.BOOL, checkCount(data.length, shape));
        for (int i = 0; i < data.length; i++) {
            t.setBool(i, data[i]);
        }
        return t;
    }

    public static Tensor of(String[] data, int... shape) {
        checkCount(data.length, shape);
        return new Tensor(DataType.STRING, shape.clone(), HostStorage.wrapStrings(data.clone()));
    }

    /** A tensor of any numeric type from doubles (converted as {@link #setDouble} does). */
    public static Tensor fromDoubles(DataType dtype, double[] data, int... shape) {
        Tensor t = uninitialized(dtype, checkCount(data.length, shape));
        for (int i = 0; i < data.length; i++) {
            t.setDouble(i, data[i]);
        }
        return t;
    }

    /** A tensor of any integer (or bool) type from longs. */
    public static Tensor fromLongs(DataType dtype, long[] data, int... shape) {
        Tensor t = uninitialized(dtype, checkCount(data.length, shape));
        for (int i = 0; i < data.length; i++) {
            t.setLong(i, data[i]);
        }
        return t;
    }

    public static Tensor scalar(float v) {
        return of(new float[] {v});
    }

    public static Tensor scalar(long v) {
        return of(new long[] {v});
    }

    /** A scalar of {@code dtype} holding {@code v} (converted). */
    public static Tensor scalar(DataType dtype, double v) {
        Tensor t = zeros(dtype);
        t.setDouble(0, v);
        return t;
    }

    private static int[] checkCount(int n, int[] shape) {
        if (Shapes.size(shape) != n) {
            throw new IllegalArgumentException(n + " values do not fill shape " + Arrays.toString(shape));
        }
        return shape;
    }

    // ---------------------------------------------------------------- shape and type

    public DataType dtype() {
        return dtype;
    }

    /** The shape; callers must not modify the array. */
    public int[] shape() {
        return shape;
    }

    public int rank() {
        return shape.length;
    }

    /** Dimension {@code axis}, negative counting from the end. */
    public int dim(int axis) {
        return shape[Shapes.axis(axis, shape.length)];
    }

    /** Element count. */
    public int size() {
        return size;
    }

    /**
     * Hands the memory of a run's output back to sonnx's pool, for the next run to reuse: fresh
     * memory costs a page fault per 4 KiB (milliseconds for a megabyte on a busy machine), and
     * otherwise only the garbage collector frees it. This tensor, and every view sharing its storage,
     * must not be used afterwards. Does nothing for other tensors (inputs, weights, user data).
     */
    public void release() {
        if (storage instanceof ArenaStorage a) {
            a.giveBack();
        }
    }

    public Storage storage() {
        return storage;
    }

    public Device device() {
        return storage.device();
    }

    public boolean isHost() {
        return storage instanceof HostStorage;
    }

    /** A tensor of another shape with the same elements, sharing this one's storage. */
    public Tensor reshape(int... newShape) {
        if (Shapes.size(newShape) != size) {
            throw new IllegalArgumentException("cannot reshape " + describe() + " to " + Arrays.toString(newShape));
        }
        return new Tensor(dtype, newShape.clone(), storage);
    }

    @Override
    public Tensor asTensor() {
        return this;
    }

    @Override
    public String describe() {
        return dtype.onnxName() + Arrays.toString(shape);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(describe());
        if (isHost()) {
            sb.append(' ').append('[');
            int n = Math.min(size, 8);
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                sb.append(dtype == DataType.STRING ? '"' + getString(i) + '"' : formatElement(i));
            }
            if (size > n) {
                sb.append(", ...");
            }
            sb.append(']');
        }
        return sb.toString();
    }

    private String formatElement(int i) {
        if (dtype.isFloat()) {
            return Double.toString(getDouble(i));
        }
        if (dtype == DataType.BOOL) {
            return Boolean.toString(getBool(i));
        }
        if (dtype.isNumeric()) {
            return dtype == DataType.UINT64 ? Long.toUnsignedString(getLong(i)) : Long.toString(getLong(i));
        }
        return "?";
    }

    // ---------------------------------------------------------------- raw host access

    private HostStorage host() {
        if (storage instanceof HostStorage h) {
            return h;
        }
        throw new IllegalStateException("tensor " + describe() + " is on " + storage.device().name()
                + "; copy it to the host first");
    }

    /** The native little-endian buffer (position 0). Use absolute get/put only. */
    public ByteBuffer bytes() {
        return host().buffer();
    }

    public FloatBuffer floats() {
        requireType(DataType.FLOAT);
        return bytes().asFloatBuffer();
    }

    public DoubleBuffer doubles() {
        requireType(DataType.DOUBLE);
        return bytes().asDoubleBuffer();
    }

    /** INT64 and UINT64 data. */
    public LongBuffer longs() {
        if (dtype != DataType.INT64 && dtype != DataType.UINT64) {
            requireType(DataType.INT64);
        }
        return bytes().asLongBuffer();
    }

    /** INT32 and UINT32 data. */
    public IntBuffer ints() {
        if (dtype != DataType.INT32 && dtype != DataType.UINT32) {
            requireType(DataType.INT32);
        }
        return bytes().asIntBuffer();
    }

    /** 16-bit data: INT16, UINT16, FLOAT16, BFLOAT16. */
    public ShortBuffer shorts() {
        if (dtype.byteSize() != 2) {
            throw new IllegalStateException("tensor " + describe() + " has no 16-bit elements");
        }
        return bytes().asShortBuffer();
    }

    /** The string elements (STRING tensors; the array is the storage itself). */
    public String[] strings() {
        requireType(DataType.STRING);
        return host().strings();
    }

    /** A javacpp pointer to the first element, for native libraries. */
    public Pointer pointer() {
        return new Pointer(bytes());
    }

    private void requireType(DataType t) {
        if (dtype != t) {
            throw new IllegalStateException("tensor " + describe() + " is not " + t.onnxName());
        }
    }

    // ---------------------------------------------------------------- element access (host)

    /** Element {@code i} as a double: floats exactly, integers by value (uint64 unsigned), bool as 0/1. */
    public double getDouble(int i) {
        ByteBuffer b = bytes();
        switch (dtype) {
            case FLOAT: return b.getFloat(i << 2);
            case DOUBLE: return b.getDouble(i << 3);
            case FLOAT16: return Half.toFloat(b.getShort(i << 1));
            case BFLOAT16: return Half.bf16ToFloat(b.getShort(i << 1));
            case UINT64: {
                long v = b.getLong(i << 3);
                return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
            }
            default: return getLong(i);
        }
    }

    /** Stores {@code v} converted to this type: floats rounded, integers truncated toward zero and wrapped. */
    public void setDouble(int i, double v) {
        ByteBuffer b = bytes();
        switch (dtype) {
            case FLOAT: b.putFloat(i << 2, (float) v); return;
            case DOUBLE: b.putDouble(i << 3, v); return;
            case FLOAT16: b.putShort(i << 1, Half.fromFloat((float) v)); return;
            case BFLOAT16: b.putShort(i << 1, Half.floatToBf16((float) v)); return;
            case BOOL: b.put(i, (byte) (v != 0 ? 1 : 0)); return;
            case UINT64: setLong(i, v >= 0x1p63 ? (long) (v - 0x1p63) ^ Long.MIN_VALUE : (long) v); return;
            default: setLong(i, (long) v);
        }
    }

    /** Element {@code i} of an integer or bool tensor (floats truncated); uint64 as its bit pattern. */
    public long getLong(int i) {
        ByteBuffer b = bytes();
        switch (dtype) {
            case INT8: return b.get(i);
            case UINT8: return b.get(i) & 0xffL;
            case BOOL: return b.get(i) != 0 ? 1 : 0;
            case INT16: return b.getShort(i << 1);
            case UINT16: return b.getShort(i << 1) & 0xffffL;
            case INT32: return b.getInt(i << 2);
            case UINT32: return b.getInt(i << 2) & 0xffffffffL;
            case INT64:
            case UINT64: return b.getLong(i << 3);
            case FLOAT:
            case DOUBLE:
            case FLOAT16:
            case BFLOAT16: return (long) getDouble(i);
            default: throw new IllegalStateException("tensor " + describe() + " has no integer elements");
        }
    }

    /** Stores the low bits of {@code v} (two's complement wrap, as C casts do). */
    public void setLong(int i, long v) {
        ByteBuffer b = bytes();
        switch (dtype) {
            case INT8:
            case UINT8: b.put(i, (byte) v); return;
            case BOOL: b.put(i, (byte) (v != 0 ? 1 : 0)); return;
            case INT16:
            case UINT16: b.putShort(i << 1, (short) v); return;
            case INT32:
            case UINT32: b.putInt(i << 2, (int) v); return;
            case INT64:
            case UINT64: b.putLong(i << 3, v); return;
            case FLOAT:
            case DOUBLE:
            case FLOAT16:
            case BFLOAT16: setDouble(i, v); return;
            default: throw new IllegalStateException("tensor " + describe() + " has no integer elements");
        }
    }

    /** Element {@code i} as float (any numeric type). */
    public float getFloat(int i) {
        return dtype == DataType.FLOAT ? bytes().getFloat(i << 2) : (float) getDouble(i);
    }

    public void setFloat(int i, float v) {
        if (dtype == DataType.FLOAT) {
            bytes().putFloat(i << 2, v);
        } else {
            setDouble(i, v);
        }
    }

    public boolean getBool(int i) {
        return dtype == DataType.BOOL ? bytes().get(i) != 0 : getDouble(i) != 0;
    }

    public void setBool(int i, boolean v) {
        if (dtype == DataType.BOOL) {
            bytes().put(i, (byte) (v ? 1 : 0));
        } else {
            setDouble(i, v ? 1 : 0);
        }
    }

    public String getString(int i) {
        return strings()[i];
    }

    public void setString(int i, String v) {
        strings()[i] = v;
    }

    // ---------------------------------------------------------------- bulk conversions

    public float[] toFloatArray() {
        float[] r = new float[size];
        if (dtype == DataType.FLOAT) {
            floats().get(0, r);
        } else {
            for (int i = 0; i < size; i++) {
                r[i] = (float) getDouble(i);
            }
        }
        return r;
    }

    public double[] toDoubleArray() {
        double[] r = new double[size];
        for (int i = 0; i < size; i++) {
            r[i] = getDouble(i);
        }
        return r;
    }

    public long[] toLongArray() {
        long[] r = new long[size];
        for (int i = 0; i < size; i++) {
            r[i] = getLong(i);
        }
        return r;
    }

    /** An integer tensor's elements as ints (shape and axis lists), refusing values that do not fit. */
    public int[] toIntArray() {
        int[] r = new int[size];
        for (int i = 0; i < size; i++) {
            long v = getLong(i);
            if (v != (int) v) {
                throw new IllegalArgumentException("value " + v + " of " + describe() + " does not fit in an int");
            }
            r[i] = (int) v;
        }
        return r;
    }

    // ---------------------------------------------------------------- copies

    /** A deep copy on the host. */
    public Tensor copy() {
        Tensor src = toHost();
        Tensor t = uninitialized(dtype, shape);
        if (dtype == DataType.STRING) {
            System.arraycopy(src.strings(), 0, t.strings(), 0, size);
        } else {
            t.bytes().put(0, src.bytes(), 0, size * dtype.byteSize());
        }
        return t;
    }

    /** Copies {@code src}'s elements (same type and size) into this tensor. */
    public void copyFrom(Tensor src) {
        if (src.dtype != dtype || src.size != size) {
            throw new IllegalArgumentException("cannot copy " + src.describe() + " into " + describe());
        }
        if (!isHost() || !src.isHost()) {
            ((DeviceAllocator) (isHost() ? src.device() : device())).copy(src, this);
            return;
        }
        if (dtype == DataType.STRING) {
            System.arraycopy(src.strings(), 0, strings(), 0, size);
        } else {
            bytes().put(0, src.bytes(), 0, size * dtype.byteSize());
        }
    }

    /** This tensor on the host (itself when already there). */
    public Tensor toHost() {
        if (isHost()) {
            return this;
        }
        Tensor t = uninitialized(dtype, shape);
        t.copyFrom(this);
        return t;
    }

    /** This tensor on {@code device} (itself when already there). */
    public Tensor to(Device target) {
        if (target == null || target.isHost()) {
            return toHost();
        }
        if (!isHost() && device() == target) {
            return this;
        }
        Tensor t = zeros(dtype, shape, target);
        t.copyFrom(this);
        return t;
    }
}
