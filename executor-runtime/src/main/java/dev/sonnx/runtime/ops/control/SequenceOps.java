package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * The element operators of ONNX sequences (all since opset 11): SequenceConstruct, SequenceEmpty,
 * SequenceAt, SequenceErase, SequenceInsert and SequenceLength. Sequences are immutable values, so
 * the editing operators return new sequences that share the unchanged tensors.
 */
final class SequenceOps {
    private SequenceOps() {
    }

    /** SequenceConstruct: its inputs, tensors of one type, as a sequence. */
    static final class Construct extends Operator {
        Construct(Node node) {
            super(node);
            if (node.inputCount() < 1) {
                throw new IllegalArgumentException("SequenceConstruct takes at least one input");
            }
        }

        @Override
        public Value[] forward(Value[] inputs, OpContext ctx) {
            List<Tensor> items = new ArrayList<>(inputs.length);
            DataType type = null;
            for (int i = 0; i < inputs.length; i++) {
                Tensor t = FlowValues.tensor(inputs[i], "input " + i);
                if (type != null && t.dtype() != type) {
                    throw new IllegalArgumentException("input " + i + " has type " + t.dtype().onnxName()
                            + ", input 0 has " + type.onnxName() + " (a sequence holds one type)");
                }
                type = t.dtype();
                items.add(t);
            }
            return outputs(new SequenceValue(type, items));
        }
    }

    /** SequenceEmpty: an empty sequence of attribute {@code dtype} (default float). */
    static final class Empty extends Operator {
        private final SequenceValue empty;

        Empty(Node node) {
            super(node);
            DataType dtype = DataType.fromCode(node.attributes().getInt("dtype", DataType.FLOAT.code()));
            this.empty = new SequenceValue(dtype, List.of());
        }

        @Override
        public Value[] forward(Value[] inputs, OpContext ctx) {
            return outputs(empty);
        }
    }

    /** SequenceAt: the tensor at {@code position} (negative counts from the back). */
    static final class At extends Operator {
        At(Node node) {
            super(node);
        }

        @Override
        public Value[] forward(Value[] inputs, OpContext ctx) {
            SequenceValue s = sequence(inputs[0], "input input_sequence");
            int p = position(inputs[1], s.size(), false);
            return outputs(s.get(p));
        }
    }

    /** SequenceErase: the sequence without the tensor at {@code position} (default: the last). */
    static final class Erase extends Operator {
        Erase(Node node) {
            super(node);
        }

        @Override
        public Value[] forward(Value[] inputs, OpContext ctx) {
            SequenceValue s = sequence(inputs[0], "input input_sequence");
            if (s.size() == 0) {
                throw new IllegalArgumentException("cannot erase from an empty sequence");
            }
            int p = inputs.length > 1 && inputs[1] != null ? position(inputs[1], s.size(), false) : s.size() - 1;
            List<Value> items = new ArrayList<>(s.items());
            items.remove(p);
            return outputs(new SequenceValue(s.elementType(), items));
        }
    }

    /** SequenceInsert: the sequence with {@code tensor} inserted before {@code position} (default: appended). */
    static final class Insert extends Operator {
        Insert(Node node) {
            super(node);
        }

        @Override
        public Value[] forward(Value[] inputs, OpContext ctx) {
            SequenceValue s = sequence(inputs[0], "input input_sequence");
            Tensor t = FlowValues.tensor(inputs[1], "input tensor");
            if (s.elementType() != null && s.elementType() != t.dtype()) {
                throw new IllegalArgumentException("input tensor has type " + t.dtype().onnxName()
                        + ", the sequence holds " + s.elementType().onnxName());
            }
            int p = inputs.length > 2 && inputs[2] != null ? position(inputs[2], s.size(), true) : s.size();
            List<Value> items = new ArrayList<>(s.size() + 1);
            items.addAll(s.items());
            items.add(p, t);
            return outputs(new SequenceValue(t.dtype(), items));
        }
    }

    /** SequenceLength: the number of tensors, as an int64 scalar. */
    static final class Length extends Operator {
        Length(Node node) {
            super(node);
        }

        @Override
        public Value[] forward(Value[] inputs, OpContext ctx) {
            return outputs(Tensor.scalar((long) sequence(inputs[0], "input input_sequence").size()));
        }
    }

    // ------------------------------------------------------------------ helpers

    static SequenceValue sequence(Value v, String what) {
        if (!(v instanceof SequenceValue s)) {
            throw new IllegalArgumentException(what + " must be a sequence, got "
                    + (v == null ? "nothing" : v.describe()));
        }
        return s;
    }

    /**
     * Input {@code position}: an int32 or int64 scalar in [-size, size - 1], or up to {@code size}
     * when {@code atEndAllowed} (insertion); negative values count from the back.
     */
    static int position(Value v, int size, boolean atEndAllowed) {
        Tensor t = FlowValues.tensor(v, "input position");
        if ((t.dtype() != DataType.INT32 && t.dtype() != DataType.INT64) || t.size() != 1) {
            throw new IllegalArgumentException("input position must be an int32 or int64 scalar, got " + t.describe());
        }
        long p = t.toHost().getLong(0);
        long hi = atEndAllowed ? size : size - 1;
        if (p < -size || p > hi) {
            throw new IllegalArgumentException("position " + p + " is out of range [" + -size + ", " + hi
                    + "] for a sequence of " + size + " tensors");
        }
        return (int) (p < 0 ? p + size : p);
    }
}
