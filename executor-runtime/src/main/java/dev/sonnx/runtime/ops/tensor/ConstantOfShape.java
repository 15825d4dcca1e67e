package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * ConstantOfShape: a tensor of the shape given by the int64 input (empty: a scalar) filled with
 * the one-element {@code value} attribute, whose type it takes (default float32 zero).
 */
final class ConstantOfShape extends Operator {
    private final Tensor value;

    ConstantOfShape(Node node) {
        super(node);
        Tensor v = node.attributes().getTensor("value");
        if (v == null) {
            v = Tensor.scalar(0f);
        }
        if (v.size() != 1) {
            throw new IllegalArgumentException("attribute 'value' must hold one element, got " + v.describe());
        }
        if (!v.dtype().isNumeric() && v.dtype() != DataType.BOOL) {
            throw new IllegalArgumentException("attribute 'value' has type " + v.dtype().onnxName()
                    + ", which ConstantOfShape does not accept");
        }
        this.value = v;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor shapeInput = required(inputs, 0);
        if (shapeInput.dtype() != DataType.INT64) {
            throw new IllegalArgumentException("input 'input' has type " + shapeInput.dtype().onnxName()
                    + ", expected int64");
        }
        Tensor out = Tensor.uninitialized(value.dtype(), Args.shape(shapeInput, "input"));
        Mover m = Mover.of(value, out);
        ctx.device().parallelFor(out.size(), 1, (s, e) -> m.fill(0, s, e - s));
        return outputs(out);
    }
}
