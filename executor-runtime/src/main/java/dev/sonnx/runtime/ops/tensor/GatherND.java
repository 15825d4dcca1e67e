package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;

/**
 * GatherND: each row of {@code indices} (its last dimension, k long) addresses a slice of
 * {@code data} by its first k coordinates after the {@code batch_dims} leading batch axes, which
 * data and indices share (GatherND-12). The output is indices' shape without its last dimension,
 * followed by the slice's shape. The gradient of data sums the output gradient into the slices.
 */
final class GatherND extends Operator {
    private final int batchDims;

    /** {@code batchDimsAttribute}: whether the version has {@code batch_dims} (GatherND-12). */
    GatherND(Node node, boolean batchDimsAttribute) {
        super(node);
        this.batchDims = batchDimsAttribute ? node.attributes().getInt("batch_dims", 0) : 0;
        if (batchDims < 0) {
            throw new IllegalArgumentException("attribute 'batch_dims' must not be negative, got " + batchDims);
        }
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor data = required(inputs, 0);
        Tensor indices = required(inputs, 1);
        Slices p = Slices.of(data.shape(), indices, batchDims);
        if (ctx.recording()) {
            ctx.saveForBackward(p);
        }
        int[] q = indices.shape();
        int[] outShape = new int[q.length - 1 + data.rank() - batchDims - p.depth];
        System.arraycopy(q, 0, outShape, 0, q.length - 1);
        System.arraycopy(data.shape(), batchDims + p.depth, outShape, q.length - 1, outShape.length - q.length + 1);
        Tensor out = Tensor.uninitialized(data.dtype(), outShape);
        Mover m = Mover.of(data, out);
        int len = p.sliceSize;
        ctx.device().parallelFor(p.starts.length, len, (s, e) -> {
            for (int i = s; i < e; i++) {
                m.run(p.starts[i], i * len, len);
            }
        });
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
        Slices p = (Slices) g.saved();
        GradSum sum = new GradSum(gy, g.input(0).shape());
        for (int i = 0; i < p.starts.length; i++) {
            sum.add(i * p.sliceSize, 1, p.starts[i], 1, p.sliceSize);
        }
        grads[0] = sum.result();
        return grads;
    }

    /** Where each index row's slice starts in data, and the slice length (shared with ScatterND). */
    record Slices(int[] starts, int sliceSize, int depth) {

        static Slices of(int[] data, Tensor indices, int batchDims) {
            int[] q = indices.shape();
            if (q.length < 1) {
                throw new IllegalArgumentException("input 'indices' must have rank 1 or more, got a scalar");
            }
            int depth = q[q.length - 1];
            if (batchDims >= q.length || batchDims >= data.length) {
                throw new IllegalArgumentException("batch_dims " + batchDims + " must be less than the ranks of data ("
                        + data.length + ") and indices (" + q.length + ")");
            }
            for (int d = 0; d < batchDims; d++) {
                if (q[d] != data[d]) {
                    throw new IllegalArgumentException("batch dimension " + d + " differs: indices "
                            + Shapes.toString(q) + ", data " + Shapes.toString(data));
                }
            }
            if (batchDims + depth > data.length) {
                throw new IllegalArgumentException("index rows of length " + depth + " address more axes than data "
                        + Shapes.toString(data) + " has after " + batchDims + " batch dimensions");
            }
            int[] strides = Shapes.strides(data);
            int[] bounds = Arrays.copyOfRange(data, batchDims, batchDims + depth);
            int[] idx = Indices.read(indices, depth == 0 ? new int[] {1} : bounds, "indices");
            int rows = Shapes.product(q, 0, q.length - 1);
            int rowsPerBatch = Shapes.product(q, batchDims, q.length - 1);
            int batchStride = Shapes.product(data, batchDims, data.length);
            int[] starts = new int[rows];
            for (int i = 0; i < rows; i++) {
                int o = rowsPerBatch == 0 ? 0 : i / rowsPerBatch * batchStride;
                for (int j = 0; j < depth; j++) {
                    o += idx[i * depth + j] * strides[batchDims + j];
                }
                starts[i] = o;
            }
            return new Slices(starts, Shapes.product(data, batchDims + depth, data.length), depth);
        }
    }
}
