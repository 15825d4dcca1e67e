package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Locale;

/**
 * Cast (target type from the {@code to} attribute: a type name in Cast-1, a TensorProto code from
 * Cast-6) and CastLike (target type from the second input's type, opset 15). Conversions are those of
 * {@link Conversions}. Opset 19's {@code saturate} attribute only concerns float8 targets, which
 * sonnx does not implement: they are refused, as are complex and sub-byte types. Casting between
 * float types passes the gradient through (converted back); other casts stop it.
 */
final class CastOp extends Operator {
    /** The target type; null for CastLike, which takes it from input 1. */
    private final DataType target;

    private CastOp(Node node, DataType target) {
        super(node);
        this.target = target;
    }

    /** Cast at {@code version} (1: {@code to} names the type; 6: a code; 19: adds saturate). */
    static CastOp cast(Node node, int version) {
        if (version >= 19) {
            checkSaturate(node);
        }
        return new CastOp(node, version < 6 ? targetByName(node) : targetByCode(node));
    }

    /** CastLike at {@code version} (15; 19 adds saturate). */
    static CastOp castLike(Node node, int version) {
        if (version >= 19) {
            checkSaturate(node);
        }
        return new CastOp(node, null);
    }

    private static DataType targetByName(Node node) {
        AttributeProto a = node.attributes().require("to");
        // Cast-1 declares 'to' a string; files that wrote the code anyway still say what they mean
        if (a.getType() == AttributeProto.AttributeType.INT || (!a.hasS() && a.hasI())) {
            return targetByCode(node);
        }
        String name = node.attributes().getString("to", "");
        DataType t;
        try {
            t = DataType.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("attribute 'to' = '" + name + "' is not a tensor element type");
        }
        return checkedTarget(t, "'" + name + "'");
    }

    private static DataType targetByCode(Node node) {
        long code = node.attributes().requireLong("to");
        DataType t;
        try {
            t = DataType.fromCode((int) code);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("attribute 'to' = " + code
                    + " is not a tensor element type that sonnx supports (4-bit and newer types are not)");
        }
        return checkedTarget(t, Long.toString(code));
    }

    private static DataType checkedTarget(DataType t, String given) {
        if (!Conversions.supported(t)) {
            throw new IllegalArgumentException("attribute 'to' = " + given + " (" + t.onnxName()
                    + ") is not supported: Cast converts between numeric, bool and string types");
        }
        return t;
    }

    private static void checkSaturate(Node node) {
        long s = node.attributes().getLong("saturate", 1);
        if (s != 0 && s != 1) {
            throw new IllegalArgumentException("attribute 'saturate' must be 0 or 1, got " + s);
        }
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        DataType to = target;
        if (to == null) {
            to = required(inputs, 1).dtype();
            if (!Conversions.supported(to)) {
                throw new IllegalArgumentException("input target_type has type " + to.onnxName()
                        + ", which this operator does not accept");
            }
        }
        if (!Conversions.supported(x.dtype())) {
            throw new IllegalArgumentException("input has type " + x.dtype().onnxName()
                    + ", which this operator does not accept");
        }
        return outputs(Conversions.convert(x, to, ctx.device()));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] r = new Tensor[g.inputCount()];
        Tensor gy = g.gradOutput(0);
        Tensor x = g.input(0);
        if (gy != null && g.needsGrad(0) && x.dtype().isFloat() && gy.dtype().isFloat()) {
            r[0] = Conversions.convert(gy, x.dtype(), g.device());
        }
        return r;
    }
}
