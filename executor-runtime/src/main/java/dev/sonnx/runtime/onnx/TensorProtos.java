package dev.sonnx.runtime.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * {@code TensorProto} to {@link Tensor} and back, for every ONNX type: {@code raw_data} (little-endian)
 * and the typed fields ({@code float_data}, {@code int32_data} holding 8/16-bit values and float16 bits,
 * {@code int64_data}, {@code double_data}, {@code uint64_data}, {@code string_data}).
 */
public final class TensorProtos {
    private TensorProtos() {
    }

    /** The element count a tensor proto declares (Long.MAX_VALUE when a dimension is negative or it does not fit). */
    public static long elementCount(TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) {
            if (d < 0 || d > 0 && n > Long.MAX_VALUE / d) {
                return Long.MAX_VALUE;
            }
            n *= d;
        }
        return n;
    }

    /** Reads a tensor whose external data, if any, was already resolved (see {@link ExternalData}). */
    public static Tensor toTensor(TensorProto p) {
        String name = p.hasName() && !p.getName().isEmpty() ? "'" + p.getName() + "'" : "(unnamed)";
        if (p.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            throw new OnnxFormatException("tensor " + name + " keeps its data in an external file that was not loaded;"
                    + " load the model from its file so external data can be read beside it");
        }
        DataType dtype;
        int[] shape;
        try {
            dtype = DataType.fromCode(p.getDataType());
            shape = Shapes.fromLongs(p.getDimsList().stream().mapToLong(Long::longValue).toArray());
        } catch (IllegalArgumentException e) {
            throw new OnnxFormatException("tensor " + name + ": " + e.getMessage(), e);
        }
        if (dtype == DataType.UNDEFINED) {
            throw new OnnxFormatException("tensor " + name + " has no data type");
        }
        int n = Shapes.size(shape);
        if (dtype == DataType.STRING) {
            requireCount(name, dtype, shape, p.getStringDataCount(), n);
            String[] s = new String[n];
            for (int i = 0; i < n; i++) {
                s[i] = p.getStringData(i).toString(StandardCharsets.UTF_8);
            }
            return Tensor.of(s, shape);
        }
        if (p.hasRawData()) {
            ByteString raw = p.getRawData();
            long need = (long) n * dtype.byteSize();
            if (raw.size() != need) {
                throw new OnnxFormatException("tensor " + name + " (" + dtype.onnxName() + Shapes.toString(shape)
                        + ") needs " + need + " bytes of raw_data but has " + raw.size());
            }
            Tensor t = Tensor.zeros(dtype, shape);
            raw.copyTo(t.bytes().duplicate().clear());
            if (dtype == DataType.BOOL) {
                ByteBuffer b = t.bytes();
                for (int i = 0; i < n; i++) {
                    b.put(i, (byte) (b.get(i) != 0 ? 1 : 0));
                }
            }
            return t;
        }
        // Count before allocating: a header claiming huge dims with no values must not cost memory.
        requireCount(name, dtype, shape, typedCount(p, dtype),
                dtype == DataType.COMPLEX64 || dtype == DataType.COMPLEX128 ? 2L * n : n);
        Tensor t = Tensor.zeros(dtype, shape);
        ByteBuffer b = t.bytes();
        switch (dtype) {
            case FLOAT, COMPLEX64 -> {
                int count = dtype == DataType.FLOAT ? n : 2 * n;
                for (int i = 0; i < count; i++) {
                    b.putFloat(i * 4, p.getFloatData(i));
                }
            }
            case DOUBLE, COMPLEX128 -> {
                int count = dtype == DataType.DOUBLE ? n : 2 * n;
                for (int i = 0; i < count; i++) {
                    b.putDouble(i * 8, p.getDoubleData(i));
                }
            }
            case INT64 -> {
                for (int i = 0; i < n; i++) {
                    b.putLong(i * 8, p.getInt64Data(i));
                }
            }
            case UINT32, UINT64 -> {
                for (int i = 0; i < n; i++) {
                    t.setLong(i, p.getUint64Data(i));
                }
            }
            case INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16, BFLOAT16,
                    FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ -> {
                for (int i = 0; i < n; i++) {
                    int v = p.getInt32Data(i);
                    switch (dtype.byteSize()) {
                        case 1 -> b.put(i, (byte) (dtype == DataType.BOOL ? (v != 0 ? 1 : 0) : v));
                        case 2 -> b.putShort(i * 2, (short) v);
                        default -> b.putInt(i * 4, v);
                    }
                }
            }
            default -> throw new OnnxFormatException("tensor " + name + " has unsupported type " + dtype.onnxName());
        }
        return t;
    }

    /** How many values the typed field that holds {@code dtype} carries. */
    private static int typedCount(TensorProto p, DataType dtype) {
        return switch (dtype) {
            case FLOAT, COMPLEX64 -> p.getFloatDataCount();
            case DOUBLE, COMPLEX128 -> p.getDoubleDataCount();
            case INT64 -> p.getInt64DataCount();
            case UINT32, UINT64 -> p.getUint64DataCount();
            default -> p.getInt32DataCount();
        };
    }

    private static void requireCount(String name, DataType dtype, int[] shape, int have, long need) {
        if (have != need) {
            throw new OnnxFormatException("tensor " + name + " (" + dtype.onnxName() + Shapes.toString(shape)
                    + ") holds " + have + " values where its shape needs " + need);
        }
    }

    /**
     * A numeric host tensor as a TensorProto whose {@code raw_data} is the tensor's own memory, not a
     * copy: for protos that live no longer than the tensor, such as the weights a graph rewrite
     * computes in {@link dev.sonnx.runtime.tensor.Arena#scratch} memory for the plan compiler to read
     * once. A copy would be a heap array as large as the weights, which the collector promotes during
     * prepare and then keeps resident (resnet18's folded BatchNormalizations: 43 MB).
     */
    public static TensorProto view(Tensor tensor, String name) {
        if (!tensor.isHost() || tensor.dtype() == DataType.STRING) {
            return fromTensor(tensor, name);
        }
        return header(tensor, name).setRawData(UnsafeByteOperations.unsafeWrap(rawBytes(tensor))).build();
    }

    /** Writes a host tensor as a TensorProto ({@code raw_data} for numbers, {@code string_data} for strings). */
    public static TensorProto fromTensor(Tensor tensor, String name) {
        Tensor t = tensor.toHost();
        TensorProto.Builder b = header(t, name);
        if (t.dtype() == DataType.STRING) {
            for (String s : t.strings()) {
                b.addStringData(ByteString.copyFrom(s, StandardCharsets.UTF_8));
            }
        } else {
            b.setRawData(ByteString.copyFrom(rawBytes(t)));
        }
        return b.build();
    }

    /** A TensorProto builder with {@code t}'s type, shape and {@code name} (none when null), no data. */
    private static TensorProto.Builder header(Tensor t, String name) {
        TensorProto.Builder b = TensorProto.newBuilder().setDataType(t.dtype().code());
        if (name != null) {
            b.setName(name);
        }
        for (int d : t.shape()) {
            b.addDims(d);
        }
        return b;
    }

    /** The little-endian bytes of a numeric host tensor, as a buffer over its memory. */
    private static ByteBuffer rawBytes(Tensor t) {
        ByteBuffer src = t.bytes().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        src.clear().limit(t.size() * t.dtype().byteSize());
        return src.slice();
    }
}
