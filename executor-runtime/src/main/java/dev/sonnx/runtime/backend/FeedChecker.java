package dev.sonnx.runtime.backend;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.onnx.TypeText;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TypeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.MapValue;
import dev.sonnx.runtime.tensor.OptionalValue;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Map;

/**
 * Checks what a caller feeds against the graph's declared input types: for tensors the element type,
 * the rank and every fixed dim; for sequences, optionals and maps their kind and, recursively, their
 * elements. Errors name the model and the input and say what was expected and what was given.
 */
final class FeedChecker {
    private FeedChecker() {
    }

    /**
     * Checks one feed. {@code checkShapes} false skips ranks and dims (element types and kinds are
     * always checked): test suites whose data disagrees with their own declarations turn it off.
     */
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

    /** Why {@code v} is not of the declared {@code type}, or null when it is (or the type says too little). */
    private static String mismatch(TypeProto type, Value v, boolean checkShapes) {
        switch (type.getValueCase()) {
            case TENSOR_TYPE -> {
                return tensorMismatch(type.getTensorType(), v, checkShapes);
            }
            case SPARSE_TENSOR_TYPE -> {
                // sparse inputs are fed dense
                TypeProto.SparseTensor st = type.getSparseTensorType();
                return tensorMismatch(TypeProto.Tensor.newBuilder().setElemType(st.getElemType())
                        .setShape(st.getShape()).build(), v, checkShapes);
            }
            case SEQUENCE_TYPE -> {
                if (!(v instanceof SequenceValue s)) {
                    return "not a sequence";
                }
                TypeProto elem = type.getSequenceType().getElemType();
                for (int i = 0; i < s.size(); i++) {
                    String m = mismatch(elem, s.get(i), checkShapes);
                    if (m != null) {
                        return "element " + i + " is " + s.get(i).describe() + ": " + m;
                    }
                }
                return null;
            }
            case OPTIONAL_TYPE -> {
                TypeProto elem = type.getOptionalType().getElemType();
                if (v instanceof OptionalValue o) {
                    return o.isPresent() ? mismatch(elem, o.value(), checkShapes) : null;
                }
                return mismatch(elem, v, checkShapes);
            }
            case MAP_TYPE -> {
                if (!(v instanceof MapValue m)) {
                    return "not a map";
                }
                int key = type.getMapType().getKeyType();
                if (key != 0 && key != m.keyType().code()) {
                    return "key type differs";
                }
                for (Map.Entry<Object, Value> e : m.entries().entrySet()) {
                    String problem = mismatch(type.getMapType().getValueType(), e.getValue(), checkShapes);
                    if (problem != null) {
                        return "the value of key " + e.getKey() + " is " + e.getValue().describe() + ": " + problem;
                    }
                }
                return null;
            }
            default -> {
                return null;
            }
        }
    }

    private static String tensorMismatch(TypeProto.Tensor tt, Value v, boolean checkShapes) {
        if (!(v instanceof Tensor t)) {
            return "not a tensor";
        }
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
}
