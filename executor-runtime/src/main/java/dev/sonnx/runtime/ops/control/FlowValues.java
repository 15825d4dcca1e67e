package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.onnx.TypeText;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TypeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.OptionalValue;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/** Checks and conversions shared by the operators that run bodies (If, Loop, Scan, SequenceMap). */
final class FlowValues {
    private FlowValues() {
    }

    /**
     * The kinds of values a version of If or Loop passes through: tensors from version 1, sequences
     * from 13, optionals from 16.
     */
    enum Kinds {
        TENSORS, TENSORS_AND_SEQUENCES, ALL;

        static Kinds forVersion(int version) {
            return version >= 16 ? ALL : version >= 13 ? TENSORS_AND_SEQUENCES : TENSORS;
        }

        /** Fails when {@code v} is of a kind this version does not allow; {@code what} names it. */
        void check(Value v, String what, int version) {
            if (v instanceof SequenceValue && this == TENSORS) {
                throw new IllegalArgumentException(what + " is a sequence (" + v.describe()
                        + "); sequences flow through this operator from opset 13, the model imports " + version);
            }
            if (v instanceof OptionalValue && this != ALL) {
                throw new IllegalArgumentException(what + " is an optional (" + v.describe()
                        + "); optionals flow through this operator from opset 16, the model imports " + version);
            }
        }
    }

    /** A condition: a bool tensor of one element. */
    static boolean condition(Value v, String what) {
        Tensor t = tensor(v, what);
        if (t.dtype() != DataType.BOOL || t.size() != 1) {
            throw new IllegalArgumentException(what + " must be a bool tensor of one element, got " + t.describe());
        }
        return t.toHost().getBool(0);
    }

    /** An integer count: an integer tensor of one element. */
    static long count(Value v, String what) {
        Tensor t = tensor(v, what);
        if (!t.dtype().isInteger() || t.size() != 1) {
            throw new IllegalArgumentException(what + " must be an integer tensor of one element, got " + t.describe());
        }
        return t.toHost().getLong(0);
    }

    static Tensor tensor(Value v, String what) {
        if (!(v instanceof Tensor t)) {
            throw new IllegalArgumentException(what + " must be a tensor, got " + (v == null ? "nothing" : v.describe()));
        }
        return t;
    }

    /**
     * The element type and dimensions a body declares for output {@code index}, with unknown
     * dimensions as 0: what a scan output is built from when no iteration ran (as onnxruntime does).
     */
    static Declared declaredTensor(GraphProto body, int index, String what) {
        ValueInfoProto vi = body.getOutput(index);
        TypeProto type = vi.getType();
        if (type.getValueCase() != TypeProto.ValueCase.TENSOR_TYPE || type.getTensorType().getElemType() == 0) {
            throw new IllegalArgumentException(what + ": no iteration ran, and body output '" + vi.getName()
                    + "' declares no tensor element type (" + TypeText.of(type) + ") to build its empty result from");
        }
        TypeProto.Tensor tt = type.getTensorType();
        DataType dtype = DataType.fromCode(tt.getElemType());
        int rank = tt.hasShape() ? tt.getShape().getDimCount() : 0;
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            TensorShapeProto.Dimension d = tt.getShape().getDim(i);
            dims[i] = d.hasDimValue() ? (int) Math.min(Integer.MAX_VALUE, Math.max(0, d.getDimValue())) : 0;
        }
        return new Declared(dtype, dims);
    }

    /** A body output's declared element type and dimensions (unknown ones as 0). */
    record Declared(DataType dtype, int[] dims) {
        /** A zero-size tensor whose shape is the declared one with an extent-0 axis inserted at {@code axis}. */
        Tensor emptyWithAxis(int axis) {
            int[] shape = new int[dims.length + 1];
            int a = Math.min(Math.max(axis, 0), dims.length);
            System.arraycopy(dims, 0, shape, 0, a);
            System.arraycopy(dims, a, shape, a + 1, dims.length - a);
            return Tensor.zeros(dtype, shape);
        }
    }
}
