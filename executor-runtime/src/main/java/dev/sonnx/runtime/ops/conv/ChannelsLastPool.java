package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlPooling;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.FloatBuffer;
import java.util.Optional;

/**
 * A pool over images stored {@link ChannelsLast} ([N, spatial..., C] in, the same layout out): the
 * internal operators {@code dev.sonnx.NhwcMaxPool}, {@code NhwcAveragePool} (the attributes of
 * MaxPool-12 without Indices and AveragePool-19), {@code NhwcGlobalAveragePool} and
 * {@code NhwcGlobalMaxPool}, which inference plans use between channels-last convolutions. float32
 * runs oneDNN's pooling (windowed) or a loop along the channels (global); everything else converts
 * to the plain layout and runs the ONNX operator.
 */
final class ChannelsLastPool extends Operator {
    private final Operator plain;
    private final ShapeCache<Optional<DnnlPooling>> primitives = new ShapeCache<>();

    /** {@code plain}: the same pool on [N, C, spatial...] images (a WindowPool or a GlobalPool). */
    ChannelsLastPool(Node node, Operator plain) {
        super(node);
        this.plain = plain;
        if (node.hasOutput(1)) {
            throw new IllegalArgumentException("a channels-last pool has no Indices output");
        }
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        if (x.rank() < 3) {
            throw new IllegalArgumentException("channels-last X " + x.describe() + " must be an image [N, spatial..., C]");
        }
        Tensor y = x.dtype() == DataType.FLOAT && ctx.device().isHost() ? fast(x, ctx.device()) : null;
        if (y != null) {
            return outputs(y);
        }
        Value[] out = plain.forward(new Value[] {ChannelsLast.toFirst(x, ctx.device())}, ctx);
        return outputs(ChannelsLast.toLast(out[0].asTensor(), ctx.device()));
    }

    /** Y through oneDNN (windowed pools) or the channel loops (global pools); null where neither applies. */
    private Tensor fast(Tensor x, Device device) {
        int[] logical = ChannelsLast.logical(x.shape());
        if (plain instanceof GlobalPool g) {
            return g.kind() == GlobalPool.Kind.LP ? null : global(x, logical, g.kind() == GlobalPool.Kind.MAX, device);
        }
        WindowPool p = (WindowPool) plain;
        Window w = p.window(x.reshape(logical));
        DnnlPooling.Kind kind = p.dnnlKind(w);
        if (kind == null) {
            return null;
        }
        int[] out = ConvShapes.withBatchAndChannels(logical[0], logical[1], w.positions);
        DnnlPooling dnnl = primitives.get(s -> Optional.ofNullable(DnnlPooling.create(kind, s[0], out, w.kernel,
                w.strides, w.dilations, w.padBegin, w.padEndCoveringPositions(), true)), logical).orElse(null);
        if (dnnl == null) {
            return null;
        }
        Tensor y = Tensor.zeros(DataType.FLOAT, ChannelsLast.physical(out));
        dnnl.forward(x, y);
        return y;
    }

    /**
     * The mean (in double, as GlobalPool sums) or the maximum (NaN ignored) of every channel over all
     * positions: rows of C channels added into per-channel accumulators.
     */
    private static Tensor global(Tensor x, int[] logical, boolean max, Device device) {
        int n = logical[0];
        int c = logical[1];
        int positions = Shapes.product(logical, 2, logical.length);
        int[] outShape = x.shape().clone();
        java.util.Arrays.fill(outShape, 1, outShape.length - 1, 1);
        Tensor y = Tensor.zeros(DataType.FLOAT, outShape);
        FloatBuffer in = x.floats();
        FloatBuffer out = y.floats();
        double lowest = MaxPool.lowest(DataType.FLOAT);
        device.parallelFor(n, (long) positions * c, (s, e) -> {
            double[] acc = new double[c];
            for (int img = s; img < e; img++) {
                java.util.Arrays.fill(acc, max ? lowest : 0);
                int base = img * positions * c;
                for (int p = 0; p < positions; p++) {
                    int row = base + p * c;
                    for (int ch = 0; ch < c; ch++) {
                        double v = in.get(row + ch);
                        if (max) {
                            if (v > acc[ch]) {
                                acc[ch] = v;
                            }
                        } else {
                            acc[ch] += v;
                        }
                    }
                }
                for (int ch = 0; ch < c; ch++) {
                    out.put(img * c + ch, (float) (max ? acc[ch] : acc[ch] / positions));
                }
            }
        });
        return y;
    }
}
