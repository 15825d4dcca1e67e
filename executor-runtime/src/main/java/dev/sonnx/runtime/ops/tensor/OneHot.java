package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * OneHot: a new axis of length {@code depth} inserted at {@code axis} (default -1, the last);
 * along it, the element at each index is {@code values[1]} (on) and the rest {@code values[0]}
 * (off). Indices in [-depth, depth) are valid, negative ones counting from the end; others give an
 * all-off row. Non-integer indices and depth are truncated to integers.
 */
final class OneHot extends Operator {
    private final long axis;

    OneHot(Node node) {
        super(node);
        this.axis = node.attributes().getLong("axis", -1);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor indices = required(inputs, 0);
        Tensor depthInput = required(inputs, 1);
        Tensor values = required(inputs, 2);
        TypeCheck.require(indices, TypeCheck.NUMERIC, "input 'indices'");
        TypeCheck.require(depthInput, TypeCheck.NUMERIC, "input 'depth'");
        if (depthInput.size() != 1) {
            throw new IllegalArgumentException("input 'depth' must hold one value, got " + depthInput.describe());
        }
        if (values.rank() != 1 || values.size() != 2) {
            throw new IllegalArgumentException("input 'values' must be [off, on], got " + values.describe());
        }
        long depth = depthInput.getLong(0);
        if (depth < 1 || depth > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("input 'depth' must be positive, got " + depth);
        }
        int d = (int) depth;
        int[] q = indices.shape();
        int a = Args.axis(axis, q.length + 1, "attribute 'axis'");
        int[] outShape = new int[q.length + 1];
        System.arraycopy(q, 0, outShape, 0, a);
        outShape[a] = d;
        System.arraycopy(q, a, outShape, a + 1, q.length - a);
        int inner = Shapes.product(q, a, q.length);
        Tensor out = Tensor.zeros(values.dtype(), outShape);
        Mover m = Mover.of(values, out);
        m.fill(0, 0, out.size());
        for (int i = 0; i < indices.size(); i++) {
            long v = indices.getLong(i);
            if (v < 0) {
                v += d;
            }
            if (v >= 0 && v < d) {
                int o = i / Math.max(inner, 1);
                int j = i - o * inner;
                m.run(1, (o * d + (int) v) * inner + j, 1);
            }
        }
        return outputs(out);
    }
}
