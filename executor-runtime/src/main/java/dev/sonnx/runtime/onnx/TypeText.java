package dev.sonnx.runtime.onnx;

import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TypeProto;
import dev.sonnx.runtime.tensor.DataType;

/** ONNX value types in words, for messages and {@code sonnx info}. */
public final class TypeText {
    private TypeText() {
    }

    /** A declared type in words: {@code float[N, 3, 224, 224]}, {@code seq<float>}, {@code optional<...>}. */
    public static String of(TypeProto type) {
        switch (type.getValueCase()) {
            case TENSOR_TYPE -> {
                TypeProto.Tensor tt = type.getTensorType();
                String dtype = tt.getElemType() == 0 ? "?" : safeName(tt.getElemType());
                if (!tt.hasShape()) {
                    return dtype + "[...]";
                }
                StringBuilder sb = new StringBuilder(dtype).append('[');
                for (int i = 0; i < tt.getShape().getDimCount(); i++) {
                    TensorShapeProto.Dimension d = tt.getShape().getDim(i);
                    if (i > 0) {
                        sb.append(", ");
                    }
                    sb.append(d.hasDimValue() ? Long.toString(d.getDimValue())
                            : d.hasDimParam() && !d.getDimParam().isEmpty() ? d.getDimParam() : "?");
                }
                return sb.append(']').toString();
            }
            case SEQUENCE_TYPE -> {
                return "seq<" + of(type.getSequenceType().getElemType()) + ">";
            }
            case OPTIONAL_TYPE -> {
                return "optional<" + of(type.getOptionalType().getElemType()) + ">";
            }
            case MAP_TYPE -> {
                return "map<" + safeName(type.getMapType().getKeyType()) + ", "
                        + of(type.getMapType().getValueType()) + ">";
            }
            case SPARSE_TENSOR_TYPE -> {
                return "sparse " + safeName(type.getSparseTensorType().getElemType());
            }
            default -> {
                return "?";
            }
        }
    }

    private static String safeName(int code) {
        if (code == 0) {
            return "?";
        }
        try {
            return DataType.fromCode(code).onnxName();
        } catch (IllegalArgumentException e) {
            return "type#" + code;
        }
    }
}
