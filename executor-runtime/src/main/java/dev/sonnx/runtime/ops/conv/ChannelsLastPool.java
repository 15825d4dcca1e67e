package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlPooling;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;
import java.util.Optional;

/**
 * A pool over images stored {@link ChannelsLast} ([N, spatial..., C] in, the same layout out): the
 * internal operators {@code dev.sonnx.NhwcMaxPool}, {@code NhwcAveragePool} (the attributes of
 * MaxPool-12 without Indices and AveragePool-19), {@code NhwcGlobalAveragePool} and
 * {@code NhwcGlobalMaxPool}, which inference plans use between channels-last convolutions. float32
 * runs oneDNN's pooling (a global pool as one window over every position); everything else converts
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

    /** Y through oneDNN; null where it declines (Lp pools, some windows). */
    private Tensor fast(Tensor x) {
        int[] logical = ChannelsLast.logical(x.shape());
        int rank = logical.length - 2;
        DnnlPooling.Kind kind;
        int[] out;
        int[] kernel;
        int[] strides;
        int[] dilations;
        int[] padBegin;
        int[] padEnd;
        if (plain instanceof GlobalPool g) {
            if (g.kind() == GlobalPool.Kind.LP) {
                return null;
            }
            // one window over every position: oneDNN's vector kernels on all of OpenMP's threads
            kind = g.kind() == GlobalPool.Kind.MAX ? DnnlPooling.Kind.MAX : DnnlPooling.Kind.AVERAGE_EXCLUDING_PADDING;
            kernel = Arrays.copyOfRange(logical, 2, logical.length);
            out = logical.clone();
            Arrays.fill(out, 2, out.length, 1);
            strides = ones(rank);
            dilations = ones(rank);
            padBegin = new int[rank];
            padEnd = new int[rank];
        } else {
            WindowPool p = (WindowPool) plain;
            Window w = p.window(x.reshape(logical));
            kind = p.dnnlKind(w);
            if (kind == null) {
                return null;
            }
            out = ConvShapes.withBatchAndChannels(logical[0], logical[1], w.positions);
            kernel = w.kernel;
            strides = w.strides;
            dilations = w.dilations;
            padBegin = w.padBegin;
            padEnd = w.padEndCoveringPositions();
        }
        DnnlPooling.Kind k = kind;
        int[] y = out;
        DnnlPooling dnnl = primitives.get(s -> Optional.ofNullable(DnnlPooling.create(k, s[0], y, kernel, strides,
                dilations, padBegin, padEnd, true)), logical).orElse(null);
        if (dnnl == null) {
            return null;
        }
        Tensor result = Tensor.uninitialized(DataType.FLOAT, ChannelsLast.physical(out));
        dnnl.forward(x, result);
        return result;
    }

    private static int[] ones(int n) {
        int[] r = new int[n];
        Arrays.fill(r, 1);
        return r;
    }
}
