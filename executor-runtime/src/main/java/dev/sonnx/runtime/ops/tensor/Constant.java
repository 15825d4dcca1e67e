package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.onnx.SparseTensors;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.ops.Attributes;
import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Constant: the tensor held by exactly one of its attributes: {@code value}, {@code sparse_value}
 * (Constant-11, made dense), or (Constant-12) {@code value_float}/{@code value_int}/
 * {@code value_string} (scalars) and {@code value_floats}/{@code value_ints}/{@code value_strings}
 * (1-D). Built once at prepare, on the model's device; every run returns that same tensor, which no
 * operator writes into.
 */
final class Constant extends Operator {
    private static final String[] ATTRIBUTES = {"value", "sparse_value", "value_float", "value_floats",
        "value_int", "value_ints", "value_string", "value_strings"};

    private final Tensor value;

    Constant(Node node, BuildContext build) {
        super(node);
        Attributes a = node.attributes();
        String given = null;
        for (String name : ATTRIBUTES) {
            if (a.has(name)) {
                if (given != null) {
                    throw new IllegalArgumentException("attributes '" + given + "' and '" + name
                            + "' are both given; a Constant takes exactly one");
                }
                given = name;
            }
        }
        if (given == null) {
            throw new IllegalArgumentException("no value attribute: expected one of value, sparse_value, value_float,"
                    + " value_floats, value_int, value_ints, value_string, value_strings");
        }
        this.value = read(a, given).to(build.device());
    }

    private static Tensor read(Attributes a, String name) {
        switch (name) {
            case "value":
                return a.getTensor(name);
            case "sparse_value": {
                AttributeProto p = a.get(name);
                if (!p.hasSparseTensor()) {
                    throw new IllegalArgumentException("attribute 'sparse_value' holds no sparse tensor");
                }
                return SparseTensors.toDense(p.getSparseTensor());
            }
            case "value_float":
                return Tensor.scalar(a.getFloat(name, 0f));
            case "value_floats": {
                float[] v = a.getFloats(name, null);
                return Tensor.of(v, v.length);
            }
            case "value_int":
                return Tensor.scalar(a.requireLong(name));
            case "value_ints": {
                long[] v = a.getLongs(name, null);
                return Tensor.of(v, v.length);
            }
            case "value_string":
                return Tensor.of(new String[] {a.getString(name, "")});
            default: {
                String[] v = a.getStrings(name, null);
                return Tensor.of(v, v.length);
            }
        }
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        return outputs(value);
    }
}
