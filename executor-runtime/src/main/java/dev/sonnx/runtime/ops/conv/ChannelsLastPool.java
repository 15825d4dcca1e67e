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
        Tensor y = x.dtype() == DataType.FLOAT && ctx.device().isHost() ? fast(x) : null;
        if (y != null) {
            return outputs(y);
        }
        Value[] out = plain.forward(new Value[] {ChannelsLast.toFirst(x, ctx.device())}, ctx);
        return outputs(ChannelsLast.toLast(out[0].asTensor(), ctx.device()));
    }

    /** Y through oneDNN (windowed pools) or the channel loops (global pools); null where neither applies. */
    private Tensor fast(Tensor x) {
        int[] logical = ChannelsLast.logical(x.shape());
        if (plain instanceof GlobalPool g) {
            return g.kind() == GlobalPool.Kind.LP ? null : global(x, logical, g.kind() == GlobalPool.Kind.MAX);
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
        Tensor y = Tensor.uninitialized(DataType.FLOAT, ChannelsLast.physical(out));
        dnnl.forward(x, y);
        return y;
    }

    /**
     * The mean (in double, as GlobalPool sums) or the maximum (NaN ignored) of every channel over all
     * positions: each row of C channels is copied out in bulk, then added (or compared) into per-channel
     * accumulators in loops with no branch on the kind. On one thread: the pass reads the last
     * convolution's output once (2 MB for mobilenetv2 at batch 8: 0.4 ms), and it follows oneDNN, whose
     * OpenMP threads still spin on the other cores for a while, so a helper that claimed an image waited
     * for a core (2.5 ms a run with two threads).
     */
    private static Tensor global(Tensor x, int[] logical, boolean max) {
        int n = logical[0];
        int c = logical[1];
        int positions = Shapes.product(logical, 2, logical.length);
        int[] outShape = x.shape().clone();
        java.util.Arrays.fill(outShape, 1, outShape.length - 1, 1);
        Tensor y = Tensor.uninitialized(DataType.FLOAT, outShape);
        FloatBuffer in = x.floats();
        FloatBuffer out = y.floats();
        float[] row = new float[c];
        double[] sum = max ? null : new double[c];
        float[] top = max ? new float[c] : null;
        for (int img = 0; img < n; img++) {
            int base = img * positions * c;
            if (max) {
                java.util.Arrays.fill(top, (float) MaxPool.lowest(DataType.FLOAT));
                for (int p = 0; p < positions; p++) {
                    in.get(base + p * c, row, 0, c);
                    maxInto(top, row, c);
                }
                out.put(img * c, top, 0, c);
            } else {
                java.util.Arrays.fill(sum, 0);
                for (int p = 0; p < positions; p++) {
                    in.get(base + p * c, row, 0, c);
                    addInto(sum, row, c);
                }
                for (int ch = 0; ch < c; ch++) {
                    out.put(img * c + ch, (float) (sum[ch] / positions));
                }
            }
        }
        return y;
    }

    private static void addInto(double[] sum, float[] row, int c) {
        for (int ch = 0; ch < c; ch++) {
            sum[ch] += row[ch];
        }
    }

    /** max over NaN-free values; a NaN never replaces (as MaxPool ignores it). */
    private static void maxInto(float[] top, float[] row, int c) {
        for (int ch = 0; ch < c; ch++) {
            float v = row[ch];
            top[ch] = v > top[ch] ? v : top[ch];
        }
    }
}
