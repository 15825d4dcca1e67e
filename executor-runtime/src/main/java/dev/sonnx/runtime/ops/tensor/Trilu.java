package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Trilu: the upper ({@code upper}=1, default) or lower triangle of each matrix in the last two
 * axes, from diagonal {@code k} (optional int64 input: positive above the main diagonal), the rest
 * zero. Upper keeps (i, j) with j - i >= k; lower keeps j - i <= k. The gradient is the output
 * gradient masked the same way.
 */
final class Trilu extends Operator {
    private final boolean upper;

    Trilu(Node node) {
        super(node);
        long u = node.attributes().getLong("upper", 1);
        if (u != 0 && u != 1) {
            throw new IllegalArgumentException("attribute 'upper' must be 0 or 1, got " + u);
        }
        this.upper = u == 1;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        return outputs(mask(x, diagonal(inputs), ctx.device()));
    }

    private static long diagonal(Value[] inputs) {
        Tensor k = tensor(inputs, 1);
        return k == null ? 0 : Args.scalar(k, "k");
    }

    private Tensor mask(Tensor x, long k, Device device) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException("input 'input' must have rank 2 or more, got " + x.describe());
        }
        int rows = x.dim(-2);
        int cols = x.dim(-1);
        Tensor out = Tensor.zeros(x.dtype(), x.shape());
        Mover m = Mover.of(x, out);
        int matrices = rows * cols == 0 ? 0 : x.size() / (rows * cols);
        device.parallelFor(matrices * rows, cols, (s, e) -> {
            for (int r = s; r < e; r++) {
                long i = r % rows;
                long lo = upper ? Args.clamp(i + k, 0, cols) : 0;
                long hi = upper ? cols : Args.clamp(i + k + 1, 0, cols);
                if (hi > lo) {
                    m.run(r * cols + (int) lo, r * cols + (int) lo, (int) (hi - lo));
                }
            }
        });
        return out;
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] grads = new Tensor[g.inputCount()];
        Tensor gy = g.gradOutput(0);
        if (gy != null && g.needsGrad(0)) {
            grads[0] = mask(gy, g.input(1) == null ? 0 : Args.scalar(g.input(1), "k"), g.device());
        }
        return grads;
    }
}
