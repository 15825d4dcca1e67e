package dev.sonnx.runtime.ops.tensor;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/**
 * Squeeze: removes the listed dimensions, which must have size 1, or every size-1 dimension when
 * no axes are given. The axes are an attribute up to Squeeze-11 and an optional input from 13.
 */
final class Squeeze extends ViewOp {
    /** Axes from the attribute (Squeeze-1/11); null when they come from the input or are absent. */
    private final long[] axesAttribute;
    private final boolean axesInput;

    private Squeeze(Node node, long[] axesAttribute, boolean axesInput) {
        super(node);
        this.axesAttribute = axesAttribute;
        this.axesInput = axesInput;
    }

    static Squeeze fromAttribute(Node node) {
        return new Squeeze(node, node.attributes().getLongs("axes", null), false);
    }

    static Squeeze fromInput(Node node) {
        return new Squeeze(node, null, node.hasInput(1));
    }

    @Override
    int[] outputShape(Tensor data, Value[] inputs) {
        long[] axes = axesInput ? Args.longs(required(inputs, 1), "axes") : axesAttribute;
        int[] in = data.shape();
        boolean[] drop = new boolean[in.length];
        if (axes == null) {
            for (int d = 0; d < in.length; d++) {
                drop[d] = in[d] == 1;
            }
        } else {
            for (int d : Args.axes(axes, in.length, "axes")) {
                if (in[d] != 1) {
                    throw new IllegalArgumentException("cannot squeeze axis " + d + " of shape "
                            + Shapes.toString(in) + ": its size is " + in[d] + ", not 1");
                }
                drop[d] = true;
            }
        }
        int n = 0;
        for (boolean b : drop) {
            n += b ? 0 : 1;
        }
        int[] out = new int[n];
        for (int d = 0, k = 0; d < in.length; d++) {
            if (!drop[d]) {
                out[k++] = in[d];
            }
        }
        return out;
    }
}
