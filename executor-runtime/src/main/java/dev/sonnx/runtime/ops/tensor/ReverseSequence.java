package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * ReverseSequence: for each batch entry b, the first {@code sequence_lens[b]} steps along the time
 * axis reversed and the rest copied. {@code time_axis} and {@code batch_axis} are 0 and 1 (default
 * 0 and 1, in either order); each (time, batch) pair moves one contiguous block of the other axes.
 */
final class ReverseSequence extends Operator {
    private final int timeAxis;
    private final int batchAxis;

    ReverseSequence(Node node) {
        super(node);
        this.timeAxis = node.attributes().getInt("time_axis", 0);
        this.batchAxis = node.attributes().getInt("batch_axis", 1);
        if (timeAxis < 0 || timeAxis > 1 || batchAxis < 0 || batchAxis > 1 || timeAxis == batchAxis) {
            throw new IllegalArgumentException("attributes 'time_axis' = " + timeAxis + " and 'batch_axis' = "
                    + batchAxis + " must be 0 and 1 in some order");
        }
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor lens = required(inputs, 1);
        if (x.rank() < 2) {
            throw new IllegalArgumentException("input 'input' must have rank 2 or more, got " + x.describe());
        }
        int steps = x.shape()[timeAxis];
        int batch = x.shape()[batchAxis];
        if (lens.dtype() != DataType.INT64 || lens.rank() != 1 || lens.size() != batch) {
            throw new IllegalArgumentException("input 'sequence_lens' must be int64 [" + batch + "], got "
                    + lens.describe());
        }
        int[] strides = Shapes.strides(x.shape());
        int st = strides[timeAxis];
        int sb = strides[batchAxis];
        int inner = Shapes.product(x.shape(), 2, x.rank());
        Tensor out = Tensor.uninitialized(x.dtype(), x.shape());
        Mover m = Mover.of(x, out);
        for (int b = 0; b < batch; b++) {
            long len = lens.getLong(b);
            if (len < 0 || len > steps) {
                throw new IllegalArgumentException("sequence_lens[" + b + "] = " + len + " is outside [0, " + steps
                        + "]");
            }
            for (int t = 0; t < steps; t++) {
                int from = t < len ? (int) len - 1 - t : t;
                m.run(from * st + b * sb, t * st + b * sb, inner);
            }
        }
        return outputs(out);
    }
}
