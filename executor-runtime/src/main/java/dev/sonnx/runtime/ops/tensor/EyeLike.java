package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * EyeLike: a matrix of the 2-D input's shape with ones on diagonal {@code k} (0 the main one,
 * positive above, negative below) and zeros elsewhere, of type {@code dtype} (default: the
 * input's type).
 */
final class EyeLike extends Operator {
    private final DataType dtype;
    private final long k;

    EyeLike(Node node) {
        super(node);
        this.k = node.attributes().getLong("k", 0);
        if (node.attributes().has("dtype")) {
            DataType t = DataType.fromCode(node.attributes().getInt("dtype", 0));
            requireType(t, "attribute 'dtype'");
            this.dtype = t;
        } else {
            this.dtype = null;
        }
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        requireType(x.dtype(), "input 'input'");
        if (x.rank() != 2) {
            throw new IllegalArgumentException("input 'input' must be 2-D, got " + x.describe());
        }
        int rows = x.shape()[0];
        int cols = x.shape()[1];
        Tensor out = Tensor.zeros(dtype == null ? x.dtype() : dtype, rows, cols);
        for (long i = Math.max(0, -k); i < rows && i + k < cols; i++) {
            out.setDouble((int) (i * cols + i + k), 1);
        }
        return outputs(out);
    }

    private static void requireType(DataType t, String what) {
        if (!t.isNumeric() && t != DataType.BOOL) {
            throw new IllegalArgumentException(what + " is " + t.onnxName() + "; EyeLike takes numeric or bool types");
        }
    }
}
