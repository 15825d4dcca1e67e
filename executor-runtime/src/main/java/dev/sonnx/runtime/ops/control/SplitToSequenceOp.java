package dev.sonnx.runtime.ops.control;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.SequenceValue;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * SplitToSequence-11: splits {@code input} along {@code axis} into a sequence. Input {@code split}
 * gives the piece lengths as a 1-D tensor (summing to the axis length) or as a scalar (pieces of
 * that length, the last one shorter when it does not divide); omitted, the pieces have length 1
 * and {@code keepdims = 0} drops the split axis from them.
 */
final class SplitToSequenceOp extends Operator {
    private final int axis;
    private final boolean keepDims;

    SplitToSequenceOp(Node node) {
        super(node);
        this.axis = node.attributes().getInt("axis", 0);
        long k = node.attributes().getLong("keepdims", 1);
        if (k != 0 && k != 1) {
            throw new IllegalArgumentException("attribute 'keepdims' = " + k + " must be 0 or 1");
        }
        this.keepDims = k == 1;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0).toHost();
        if (x.rank() == 0) {
            throw new IllegalArgumentException("input is a scalar; it has no axis to split");
        }
        int a = Shapes.axis(axis, x.rank());
        int dim = x.shape()[a];
        Tensor split = tensor(inputs, 1);
        List<Tensor> pieces = new ArrayList<>();
        if (split == null) {
            for (int i = 0; i < dim; i++) {
                pieces.add(AxisBlocks.slice(x, a, i, 1, keepDims, ctx.device()));
            }
        } else {
            int start = 0;
            for (int len : lengths(split.toHost(), dim)) {
                pieces.add(AxisBlocks.slice(x, a, start, len, true, ctx.device()));
                start += len;
            }
        }
        return outputs(new SequenceValue(x.dtype(), pieces));
    }

    private static int[] lengths(Tensor split, int dim) {
        if (split.dtype() != DataType.INT32 && split.dtype() != DataType.INT64) {
            throw new IllegalArgumentException("input split has type " + split.dtype().onnxName()
                    + ", expected int32 or int64");
        }
        if (split.rank() == 0) {
            long len = split.getLong(0);
            if (len <= 0) {
                throw new IllegalArgumentException("scalar split = " + len + " must be positive");
            }
            int n = (int) ((dim + len - 1) / len);
            int[] r = new int[n];
            for (int i = 0; i < n; i++) {
                r[i] = (int) Math.min(len, dim - i * len);
            }
            return r;
        }
        if (split.rank() != 1) {
            throw new IllegalArgumentException("input split is " + split.describe() + ", expected a scalar or 1-D");
        }
        int[] r = new int[split.size()];
        long sum = 0;
        for (int i = 0; i < r.length; i++) {
            long len = split.getLong(i);
            if (len < 0) {
                throw new IllegalArgumentException("split[" + i + "] = " + len + " is negative");
            }
            sum += len;
            r[i] = (int) Math.min(len, Integer.MAX_VALUE);
        }
        if (sum != dim) {
            throw new IllegalArgumentException("split lengths sum to " + sum + ", the axis has length " + dim);
        }
        return r;
    }
}
