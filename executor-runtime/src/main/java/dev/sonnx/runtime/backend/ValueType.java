package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TypeProto;
import dev.sonnx.runtime.tensor.DataType;
import java.util.Arrays;

/**
 * What prepare knows statically about a value (see {@link TypeInference}): its kind, and for a tensor
 * its element type and shape, each possibly unknown. Dims are -1 where unknown; a null shape means
 * the rank itself is unknown.
 */
final class ValueType {
    /** The kinds of ONNX values; {@code UNKNOWN} when nothing is known, not even the kind. */
    enum Kind { TENSOR, SEQUENCE, OPTIONAL, MAP, SPARSE_TENSOR, UNKNOWN }

    static final ValueType UNKNOWN = new ValueType(Kind.UNKNOWN, null, null);

    final Kind kind;
    /** The tensor element type; null when unknown or not a tensor. */
    final DataType elem;
    /** The tensor dims, -1 for an unknown dim; null when the rank is unknown or not a tensor. */
    final long[] dims;

    private ValueType(Kind kind, DataType elem, long[] dims) {
        this.kind = kind;
        this.elem = elem;
        this.dims = dims;
    }

    static ValueType tensor(DataType elem, long[] dims) {
        return new ValueType(Kind.TENSOR, elem, dims == null ? null : dims.clone());
    }

    /** A tensor of known element type and unknown shape. */
    static ValueType tensor(DataType elem) {
        return new ValueType(Kind.TENSOR, elem, null);
    }

    /** A tensor of known element type and rank, every dim unknown. */
    static ValueType ofRank(DataType elem, int rank) {
        if (rank < 0) {
            return tensor(elem);
        }
        long[] d = new long[rank];
        Arrays.fill(d, -1);
        return new ValueType(Kind.TENSOR, elem, d);
    }

    static ValueType of(Kind kind) {
        return kind == Kind.UNKNOWN ? UNKNOWN : new ValueType(kind, null, null);
    }

    /**
     * The type an initializer has: exactly its data type and dims. Dims no tensor can have (negative,
     * or more than 2^31-1 elements) read as an unknown shape, leaving {@link PlanCompiler} to name the
     * initializer.
     */
    static ValueType of(TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) {
            if (d < 0 || d > Integer.MAX_VALUE || (n *= d) > Integer.MAX_VALUE) {
                return tensor(elemOrNull(t.getDataType()));
            }
        }
        return tensor(elemOrNull(t.getDataType()), t.getDimsList().stream().mapToLong(Long::longValue).toArray());
    }

    /** A declared type ({@code value_info}, graph inputs and outputs); empty or odd parts read as unknown. */
    static ValueType of(TypeProto type) {
        switch (type.getValueCase()) {
            case TENSOR_TYPE -> {
                TypeProto.Tensor t = type.getTensorType();
                return tensor(elemOrNull(t.getElemType()), t.hasShape() ? declaredDims(t.getShape()) : null);
            }
            case SEQUENCE_TYPE -> {
                return of(Kind.SEQUENCE);
            }
            case OPTIONAL_TYPE -> {
                return of(Kind.OPTIONAL);
            }
            case MAP_TYPE -> {
                return of(Kind.MAP);
            }
            case SPARSE_TENSOR_TYPE -> {
                return of(Kind.SPARSE_TENSOR);
            }
            default -> {
                return UNKNOWN;
            }
        }
    }

    /** Declared dims: a dim_value of 0 or less reads as unknown, as {@link FeedChecker} does not enforce it. */
    private static long[] declaredDims(TensorShapeProto s) {
        long[] d = new long[s.getDimCount()];
        for (int i = 0; i < d.length; i++) {
            TensorShapeProto.Dimension dim = s.getDim(i);
            d[i] = dim.hasDimValue() && dim.getDimValue() > 0 ? dim.getDimValue() : -1;
        }
        return d;
    }

    static DataType elemOrNull(int code) {
        if (code <= 0) {
            return null;
        }
        try {
            return DataType.fromCode(code);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    boolean isTensor() {
        return kind == Kind.TENSOR;
    }

    /** The rank, or -1 when unknown (or not a tensor). */
    int rank() {
        return dims == null ? -1 : dims.length;
    }

    /** Dim {@code i} (negative counts from the end), or -1 when unknown. */
    long dim(int i) {
        if (dims == null) {
            return -1;
        }
        int k = i < 0 ? dims.length + i : i;
        return k >= 0 && k < dims.length ? dims[k] : -1;
    }

    /** The same element type with another shape. */
    ValueType withDims(long[] newDims) {
        return new ValueType(kind, elem, newDims == null ? null : newDims.clone());
    }

    ValueType withRank(int rank) {
        return ofRank(elem, rank);
    }

    /**
     * This inferred type completed by a declared one: unknown parts are taken from {@code declared}
     * when it agrees on the kind (the caller has checked that known parts do not contradict it).
     */
    ValueType completedBy(ValueType declared) {
        if (kind == Kind.UNKNOWN) {
            return declared;
        }
        if (!isTensor() || !declared.isTensor()) {
            return this;
        }
        DataType e = elem != null ? elem : declared.elem;
        long[] d = dims;
        if (d == null) {
            d = declared.dims;
        } else if (declared.dims != null && declared.dims.length == d.length) {
            d = d.clone();
            for (int i = 0; i < d.length; i++) {
                if (d[i] < 0) {
                    d[i] = declared.dims[i];
                }
            }
        }
        return new ValueType(kind, e, d);
    }

    /** In words, for messages: {@code float[2, ?]}, {@code int64[...]}, {@code ?}. */
    String describe() {
        if (kind != Kind.TENSOR) {
            return kind == Kind.UNKNOWN ? "?" : kind.name().toLowerCase();
        }
        StringBuilder sb = new StringBuilder(elem == null ? "?" : elem.onnxName());
        if (dims == null) {
            return sb.append("[...]").toString();
        }
        sb.append('[');
        for (int i = 0; i < dims.length; i++) {
            sb.append(i > 0 ? ", " : "").append(dims[i] < 0 ? "?" : Long.toString(dims[i]));
        }
        return sb.append(']').toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
