package dev.sonnx.runtime.ops.text;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/** StringConcat-20: X[i] + Y[i] elementwise, with numpy broadcasting. */
final class StringConcatOp extends Operator {
    StringConcatOp(Node node) {
        super(node);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor y = required(inputs, 1);
        if (x.dtype() != DataType.STRING || y.dtype() != DataType.STRING) {
            throw new IllegalArgumentException("inputs are " + x.describe() + " and " + y.describe()
                    + ", expected two string tensors");
        }
        Broadcast bc = Broadcast.of(x.shape(), y.shape());
        Tensor out = Tensor.zeros(DataType.STRING, bc.outShape());
        String[] a = x.strings();
        String[] b = y.strings();
        String[] o = out.strings();
        int sa = bc.rowStride(0);
        int sb = bc.rowStride(1);
        bc.forEachRow(ctx.device(), 16, (oo, off, len) -> {
            for (int j = 0, ia = off[0], ib = off[1]; j < len; j++, ia += sa, ib += sb) {
                o[oo + j] = a[ia].concat(b[ib]);
            }
        });
        return outputs(out);
    }
}
