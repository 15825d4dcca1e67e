package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.onnx.TypeText;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TypeProto;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.OptionalValue;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * The optional-value operators: Optional-15, OptionalHasElement (15, 18) and OptionalGetElement
 * (15, 18). A plain tensor or sequence where an optional is expected counts as a present optional,
 * as the feed checker accepts it for optional-typed graph inputs (and version 18 allows it outright).
 */
final class OptionalOps {
    private OptionalOps() {
    }

    /** Optional-15: wraps its input, or without one makes an empty optional of attribute {@code type}. */
    static final class Wrap extends Operator {
        private final OptionalValue empty;

        Wrap(Node node) {
            super(node);
            AttributeProto type = node.attributes().get("type");
            if (type != null && !type.hasTp()) {
                throw new IllegalArgumentException("attribute 'type' must be a TYPE_PROTO");
            }
            if (!node.hasInput(0) && type == null) {
                throw new IllegalArgumentException("Optional without an input needs the attribute 'type'"
                        + " to know what it may hold");
            }
            this.empty = type == null ? null : OptionalValue.empty(TypeText.of(type.getTp()));
            if (type != null && type.getTp().getValueCase() == TypeProto.ValueCase.OPTIONAL_TYPE) {
                throw new IllegalArgumentException("attribute 'type' is " + TypeText.of(type.getTp())
                        + "; an optional holds a tensor or a sequence, not another optional");
            }
        }

        @Override
        public Value[] forward(Value[] inputs, OpContext ctx) {
            Value v = inputs.length > 0 ? inputs[0] : null;
            if (v == null) {
                return outputs(empty);
            }
            if (v instanceof OptionalValue) {
                throw new IllegalArgumentException("input is " + v.describe()
                        + "; an optional holds a tensor or a sequence, not another optional");
            }
            return outputs(OptionalValue.of(v));
        }
    }

    /**
     * OptionalHasElement: whether the input holds a value. From version 18 the input may be omitted
     * (false) or be a plain tensor or sequence (true).
     */
    static final class HasElement extends Operator {
        HasElement(Node node) {
            super(node);
            if (!node.hasInput(0) && node.opsetVersion() < 18) {
                throw new IllegalArgumentException("input 'input' is required before opset 18 (the model imports "
                        + node.opsetVersion() + ")");
            }
        }

        @Override
        public Value[] forward(Value[] inputs, OpContext ctx) {
            Value v = inputs.length > 0 ? inputs[0] : null;
            boolean present = v instanceof OptionalValue o ? o.isPresent() : v != null;
            return outputs(Tensor.of(new boolean[] {present}));
        }
    }

    /** OptionalGetElement: the value an optional holds (an error when it is empty); plain values pass through. */
    static final class GetElement extends Operator {
        GetElement(Node node) {
            super(node);
        }

        @Override
        public Value[] forward(Value[] inputs, OpContext ctx) {
            Value v = inputs[0];
            if (v == null) {
                throw new IllegalArgumentException("input 'input' is required");
            }
            if (v instanceof OptionalValue o) {
                if (!o.isPresent()) {
                    throw new IllegalArgumentException("the input optional is empty (" + o.describe() + ")");
                }
                return outputs(o.value());
            }
            return outputs(v);
        }
    }
}
