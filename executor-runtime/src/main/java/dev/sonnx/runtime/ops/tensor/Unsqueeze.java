package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Unsqueeze: inserts size-1 dimensions at the listed positions of the output (negative positions
 * count from the end of the output's rank). The axes are a required attribute up to Unsqueeze-11
 * and a required input from 13.
 */
final class Unsqueeze extends ViewOp {
    private final long[] axesAttribute;

    private Unsqueeze(Node node, long[] axesAttribute) {
        super(node);
        this.axesAttribute = axesAttribute;
    }

    static Unsqueeze fromAttribute(Node node) {
        long[] axes = node.attributes().getLongs("axes", null);
        if (axes == null) {
            throw new IllegalArgumentException("required attribute 'axes' is missing");
        }
        return new Unsqueeze(node, axes);
    }

    static Unsqueeze fromInput(Node node) {
        if (!node.hasInput(1)) {
            throw new IllegalArgumentException("input 'axes' is required");
        }
        return new Unsqueeze(node, null);
    }

    @Override
    int[] outputShape(Tensor data, Value[] inputs) {
        long[] axes = axesAttribute != null ? axesAttribute : Args.longs(required(inputs, 1), "axes");
        int[] in = data.shape();
        int rank = in.length + axes.length;
        boolean[] inserted = new boolean[rank];
        for (int d : Args.axes(axes, rank, "axes")) {
            inserted[d] = true;
        }
        int[] out = new int[rank];
        for (int d = 0, k = 0; d < rank; d++) {
            out[d] = inserted[d] ? 1 : in[k++];
        }
        return out;
    }
}
