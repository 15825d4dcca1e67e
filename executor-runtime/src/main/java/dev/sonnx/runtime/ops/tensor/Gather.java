package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Gather: slices of {@code data} along {@code axis} picked by {@code indices} (negative ones count
 * from the end); the output shape is data's with that axis replaced by the indices' shape. Each
 * picked slice is a contiguous block per outer index, copied whole (an embedding lookup copies rows).
 * The gradient of data sums the output gradient into the picked slices (repeated indices add up).
 */
final class Gather extends Operator {
    private final long axis;

    Gather(Node node) {
        super(node);
        this.axis = node.attributes().getLong("axis", 0);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor data = required(inputs, 0);
        Tensor indices = required(inputs, 1);
        int a = Args.axis(axis, data.rank(), "attribute 'axis'");
        return outputs(map(data.shape(), a, indices).forward(data, null, outputShape(data.shape(), a, indices), ctx));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        return IndexMap.backward(g);
    }

    private static IndexMap map(int[] shape, int a, Tensor indices) {
        return alongAxis(shape, a, Indices.read(indices, shape[a], "indices"), false);
    }

    /**
     * Data's axes before {@code a}, one axis picking coordinates {@code picks} along {@code a}, then
     * data's axes after {@code a} (Gather, Compress and Unique select slices this way).
     */
    static IndexMap alongAxis(int[] shape, int a, int[] picks, boolean injective) {
        int[] strides = Shapes.strides(shape);
        int[] offsets = new int[picks.length];
        for (int k = 0; k < picks.length; k++) {
            offsets[k] = picks[k] * strides[a];
        }
        List<IndexMap.Axis> axes = new ArrayList<>(shape.length);
        for (int d = 0; d < a; d++) {
            axes.add(IndexMap.Axis.affine(shape[d], 0, strides[d]));
        }
        axes.add(IndexMap.Axis.table(offsets));
        for (int d = a + 1; d < shape.length; d++) {
            axes.add(IndexMap.Axis.affine(shape[d], 0, strides[d]));
        }
        return new IndexMap(axes, injective);
    }

    private static int[] outputShape(int[] shape, int a, Tensor indices) {
        int[] q = indices.shape();
        int[] out = new int[shape.length - 1 + q.length];
        System.arraycopy(shape, 0, out, 0, a);
        System.arraycopy(q, 0, out, a, q.length);
        System.arraycopy(shape, a + 1, out, a + q.length, shape.length - a - 1);
        return out;
    }
}
