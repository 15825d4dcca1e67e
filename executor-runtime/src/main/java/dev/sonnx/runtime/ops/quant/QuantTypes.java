package dev.sonnx.runtime.ops.quant;

import dev.sonnx.runtime.tensor.DataType;
import java.util.EnumSet;
import java.util.Set;

/** The quantized integer types and their ranges. */
final class QuantTypes {
    private QuantTypes() {
    }

    static final Set<DataType> BYTES = EnumSet.of(DataType.INT8, DataType.UINT8);
    /** Version 21 adds 16-bit integers (and int4/uint4, which sonnx tensors cannot hold). */
    static final Set<DataType> BYTES_AND_SHORTS = EnumSet.of(DataType.INT8, DataType.UINT8, DataType.INT16,
            DataType.UINT16);
    static final Set<DataType> FLOAT8 = EnumSet.of(DataType.FLOAT8E4M3FN, DataType.FLOAT8E4M3FNUZ,
            DataType.FLOAT8E5M2, DataType.FLOAT8E5M2FNUZ);

    static int min(DataType t) {
        switch (t) {
            case INT8: return Byte.MIN_VALUE;
            case INT16: return Short.MIN_VALUE;
            case INT32: return Integer.MIN_VALUE;
            case UINT8:
            case UINT16: return 0;
            default: throw new IllegalArgumentException("no integer range for " + t.onnxName());
        }
    }

    static int max(DataType t) {
        switch (t) {
            case INT8: return Byte.MAX_VALUE;
            case UINT8: return 255;
            case INT16: return Short.MAX_VALUE;
            case UINT16: return 65535;
            case INT32: return Integer.MAX_VALUE;
            default: throw new IllegalArgumentException("no integer range for " + t.onnxName());
        }
    }

    /** A clear refusal for float8 quantization (opset 19), which sonnx does not implement. */
    static void refuseFloat8(DataType t, String what) {
        if (FLOAT8.contains(t)) {
            throw new UnsupportedOperationException(what + " has type " + t.onnxName()
                    + ": float8 quantization is not supported");
        }
    }
}
