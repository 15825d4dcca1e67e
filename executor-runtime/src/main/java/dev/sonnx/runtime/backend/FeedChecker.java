package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.onnx.TypeText;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TypeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.OptionalValue;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/** Checks what a caller feeds against the graph's declared input types: dtype, rank and fixed dims. */
final class FeedChecker {
    private FeedChecker() {
    }

    static void check(String model, ValueInfoProto declared, Value given, boolean checkShapes) {
        String name = declared.getName();
        if (given == null) {
            throw new SonnxException("model " + model + ": input '" + name + "' is missing (expected "
                    + TypeText.of(declared.getType()) + ")");
        }
        if (!declared.hasType()) {
            return;
        }
        String problem = mismatch(declared.getType(), given, checkShapes);
        if (problem != null) {
            throw new SonnxException("model " + model + ": input '" + name + "': expected "
                    + TypeText.of(declared.getType()) + ", given " + given.describe() + " (" + problem + ")");
        }
    }

    private static String mismatch(TypeProto type, Value v, boolean checkShapes) {
        switch (type.getValueCase()) {
            case TENSOR_TYPE -> {
                if (!(v instanceof Tensor t)) {
                    return "not a tensor";
                }
                TypeProto.Tensor tt = type.getTensorType();
                if (tt.getElemType() != 0 && tt.getElemType() != t.dtype().code()) {
                    return "element type differs";
                }
                if (checkShapes && tt.hasShape()) {
                    TensorShapeProto s = tt.getShape();
                    if (s.getDimCount() != t.rank()) {
                        return "rank " + t.rank() + " instead of " + s.getDimCount();
                    }
                    for (int i = 0; i < s.getDimCount(); i++) {
                        TensorShapeProto.Dimension d = s.getDim(i);
                        if (d.hasDimValue() && d.getDimValue() > 0 && d.getDimValue() != t.shape()[i]) {
                            return "dimension " + i + " is " + t.shape()[i] + " instead of " + d.getDimValue();
                        }
                    }
                }
                return null;
            }
            case SEQUENCE_TYPE -> {
                return v instanceof SequenceValue ? null : "not a sequence";
            }
            case OPTIONAL_TYPE -> {
                if (v instanceof OptionalValue) {
                    return null;
                }
                return mismatch(type.getOptionalType().getElemType(), v, checkShapes);
            }
            default -> {
                return null;
            }
        }
    }

}
