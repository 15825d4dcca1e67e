package dev.sonnx.runtime.tensor;

/**
 * The element types of ONNX tensors, with their {@code TensorProto.DataType} codes and sizes.
 * Sub-byte and float8 types are listed so that files holding them load with a clear error rather
 * than an unknown code.
 */
public enum DataType {
    UNDEFINED(0, 0),
    FLOAT(1, 4),
    UINT8(2, 1),
    INT8(3, 1),
    UINT16(4, 2),
    INT16(5, 2),
    INT32(6, 4),
    INT64(7, 8),
    STRING(8, 0),
    BOOL(9, 1),
    FLOAT16(10, 2),
    DOUBLE(11, 8),
    UINT32(12, 4),
    UINT64(13, 8),
    COMPLEX64(14, 8),
    COMPLEX128(15, 16),
    BFLOAT16(16, 2),
    FLOAT8E4M3FN(17, 1),
    FLOAT8E4M3FNUZ(18, 1),
    FLOAT8E5M2(19, 1),
    FLOAT8E5M2FNUZ(20, 1);

    private static final DataType[] BY_CODE = new DataType[21];

    static {
        for (DataType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;
    private final int byteSize;

    DataType(int code, int byteSize) {
        this.code = code;
        this.byteSize = byteSize;
    }

    /** The {@code TensorProto.DataType} number. */
    public int code() {
        return code;
    }

    /** Bytes per element in native storage; 0 for STRING, whose elements live on the Java heap. */
    public int byteSize() {
        return byteSize;
    }

    public static DataType fromCode(int code) {
        if (code < 0 || code >= BY_CODE.length || BY_CODE[code] == null || code == 0) {
            throw new IllegalArgumentException("unknown ONNX data type code " + code);
        }
        return BY_CODE[code];
    }

    /** float, double, float16 and bfloat16: the types computed in floating point. */
    public boolean isFloat() {
        return this == FLOAT || this == DOUBLE || this == FLOAT16 || this == BFLOAT16;
    }

    /** Signed and unsigned integers of 8 to 64 bits (not BOOL). */
    public boolean isInteger() {
        return isSignedInteger() || isUnsignedInteger();
    }

    public boolean isSignedInteger() {
        return this == INT8 || this == INT16 || this == INT32 || this == INT64;
    }

    public boolean isUnsignedInteger() {
        return this == UINT8 || this == UINT16 || this == UINT32 || this == UINT64;
    }

    /** Numeric types that computing kernels support (not STRING, complex or float8). */
    public boolean isNumeric() {
        return isFloat() || isInteger();
    }

    /** The lower-case name the ONNX specification uses, e.g. {@code float16}, {@code uint8}. */
    public String onnxName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
