package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * Conv's attributes and generic float64 kernel for operators of other families that convolve
 * (ConvInteger, QLinearConv): they shift their integers by the zero points, convolve exactly in
 * float64 (integer sums stay exact below 2^53) and convert back.
 */
public final class Float64Convolution {
    private final SpatialAttributes spatial;
    private final int group;
    private final ShapeCache<Window> windows = new ShapeCache<>();

    /** Parses the node's Conv attributes (kernel_shape, strides, dilations, pads, auto_pad, group). */
    public Float64Convolution(Node node) {
        this.spatial = new SpatialAttributes(node.attributes(), true, false);
        this.group = node.attributes().getInt("group", 1);
        if (group < 1) {
            throw new IllegalArgumentException("attribute 'group' is " + group + ", expected >= 1");
        }
    }

    /**
     * Checks the shapes of X {@code [N, C, ...]} and W {@code [M, C/group, k...]} (any types) and
     * returns Y's shape.
     */
    public int[] outputShape(Tensor x, Tensor w) {
        ConvShapes.requireImage(x, "x");
        ConvShapes.requireWeights(x, w, group, false);
        return ConvShapes.withBatchAndChannels(x.shape()[0], w.shape()[0], window(x.shape(), w.shape()).positions);
    }

    /** Y = conv(X, W) for float64 X and W whose shapes {@link #outputShape} accepted. */
    public Tensor forward(Tensor x, Tensor w, Device device) {
        if (x.dtype() != DataType.DOUBLE || w.dtype() != DataType.DOUBLE) {
            throw new IllegalArgumentException("Float64Convolution takes float64 tensors, got " + x.describe() + " and "
                    + w.describe());
        }
        Window win = window(x.shape(), w.shape());
        Tensor y = Tensor.uninitialized(DataType.DOUBLE,
                ConvShapes.withBatchAndChannels(x.shape()[0], w.shape()[0], win.positions));
        new ConvGemm(Arith.F64, win, x.shape()[0], group, w.shape()[1], w.shape()[0] / group)
                .imageToPositions(x.doubles(), w.doubles(), y.doubles(), false, device);
        return y;
    }

    private Window window(int[] xs, int[] ws) {
        return windows.get(s -> spatial.window(ConvShapes.spatial(s[0]), spatial.kernel(ConvShapes.spatial(s[1]))),
                xs, ws);
    }
}
