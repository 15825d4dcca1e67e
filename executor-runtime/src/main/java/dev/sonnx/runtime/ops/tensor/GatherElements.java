package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * GatherElements: {@code out[i0..ir] = data[i0.., indices[i0..ir], ..ir]}, the index replacing
 * the coordinate along {@code axis}; the output has the indices' shape (same rank as data, no
 * larger along the other axes). The gradient of data sums the output gradient into the read
 * elements.
 */
final class GatherElements extends Operator {
    private final long axis;

    GatherElements(Node node) {
        super(node);
        this.axis = node.attributes().getLong("axis", 0);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor data = required(inputs, 0);
        Tensor indices = required(inputs, 1);
        int a = Args.axis(axis, data.rank(), "attribute 'axis'");
        int[] src = offsets(data.shape(), a, indices, "indices");
        if (ctx.recording()) {
            ctx.saveForBackward(src);
        }
        Tensor out = Tensor.uninitialized(data.dtype(), indices.shape());
        Mover m = Mover.of(data, out);
        ctx.device().parallelFor(src.length, 2, (s, e) -> m.gather(src, s, s, e - s));
        return outputs(out);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] grads = new Tensor[2];
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return grads;
        }
        int[] src = (int[]) g.saved();
        GradSum sum = new GradSum(gy, g.input(0).shape());
        sum.scatterAdd(0, src, 0, src.length);
        grads[0] = sum.result();
        return grads;
    }

    /**
     * The offset in a tensor of shape {@code data} of each element that {@code indices} addresses
     * along {@code axis} (GatherElements reads them, ScatterElements writes them).
     */
    static int[] offsets(int[] data, int axis, Tensor indices, String name) {
        int[] q = indices.shape();
        if (q.length != data.length) {
            throw new IllegalArgumentException("input '" + name + "' has rank " + q.length + ", data has rank "
                    + data.length);
        }
        for (int d = 0; d < q.length; d++) {
            if (d != axis && q[d] > data[d]) {
                throw new IllegalArgumentException("input '" + name + "' has shape " + Shapes.toString(q)
                        + ", larger than data " + Shapes.toString(data) + " along axis " + d);
            }
        }
        int[] idx = Indices.read(indices, data[axis], name);
        int[] strides = Shapes.strides(data);
        int[] coord = new int[q.length];
        int base = 0;
        for (int i = 0; i < idx.length; i++) {
            idx[i] = base + idx[i] * strides[axis];
            for (int d = q.length - 1; d >= 0; d--) {
                int step = d == axis ? 0 : strides[d];
                base += step;
                if (++coord[d] < q[d]) {
                    break;
                }
                base -= step * q[d];
                coord[d] = 0;
            }
        }
        return idx;
    }
}
