package dev.sonnx.runtime.ops.nn;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.ops.reduce.AxisLayout;
import dev.sonnx.runtime.ops.reduce.DoubleArrays;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Set;

/**
 * Hardmax: 1 at the first maximum of each line, 0 elsewhere; lines as Softmax has them (the 2-D
 * coercion through opset 12, one axis from 13). A NaN counts as the maximum, as numpy's argmax has
 * it. Piecewise constant, so it passes no gradient.
 */
final class Hardmax extends Operator {
    private final boolean coerce2d;
    private final Set<DataType> allowed;
    private final int axis;

    Hardmax(Node node, boolean coerce2d, Set<DataType> allowed) {
        super(node);
        this.coerce2d = coerce2d;
        this.allowed = allowed;
        this.axis = node.attributes().getInt("axis", coerce2d ? 1 : -1);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, allowed, "input 'input'");
        AxisLayout l = Softmax.layout(x, axis, coerce2d, "Hardmax");
        double[] v = DoubleArrays.of(x);
        Tensor y = Tensor.zeros(x.dtype(), x.shape());
        int len = l.length();
        int inner = l.inner();
        if (len == 0) {
            return outputs(y);
        }
        ctx.device().parallelFor(l.lines(), len, (s, e) -> {
            for (int line = s; line < e; line++) {
                int b = l.lineStart(line);
                int best = 0;
                double w = v[b];
                for (int k = 1; k < len && w == w; k++) {
                    double c = v[b + k * inner];
                    if (c > w || c != c) {
                        w = c;
                        best = k;
                    }
                }
                y.setDouble(b + best * inner, 1);
            }
        });
        return outputs(y);
    }
}
