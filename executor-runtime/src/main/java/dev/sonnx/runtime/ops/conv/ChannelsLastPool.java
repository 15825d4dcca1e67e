package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlMaxPoolTraining;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlPooling;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
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
 *
 * <p>Recorded runs (training plans keep their pools channels-last too): a float32 max pool runs
 * oneDNN's training primitives on the stored images, whose workspace routes the gradient to each
 * window's maximum; other pools take a {@link PlainDetour}.
 */
final class ChannelsLastPool extends Operator {
    private final Operator plain;
    private final ShapeCache<Optional<Pooling>> primitives = new ShapeCache<>();
    private final ShapeCache<Optional<TrainingPool>> training = new ShapeCache<>();

    /** oneDNN's training max pool of one input shape and its result's channels-last shape. */
    private record TrainingPool(DnnlMaxPoolTraining primitive, int[] physicalOut) {
    }

    /** What backward reads after oneDNN's training forward: its primitives and each window's argmax. */
    private record Argmax(DnnlMaxPoolTraining primitive, Tensor workspace) {
    }

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
        if (ctx.recording()) {
            return outputs(recorded(inputs, x, ctx));
        }
        Tensor y = x.dtype() == DataType.FLOAT && ctx.device().isHost() ? fast(x) : null;
        if (y != null) {
            return outputs(y);
        }
        Value[] out = plain.forward(new Value[] {ChannelsLast.toFirst(x, ctx.device())}, ctx);
        return outputs(ChannelsLast.toLast(out[0].asTensor(), ctx.device()));
    }

    /** Y of a recorded run, with what backward needs saved. */
    private Tensor recorded(Value[] inputs, Tensor x, OpContext ctx) {
        TrainingPool pool = x.dtype() == DataType.FLOAT && ctx.device().isHost()
                && plain instanceof MaxPool m && !m.zeroPadding()
                ? training.get(s -> Optional.ofNullable(trainingPool(m, x.reshape(s[0]))),
                        ChannelsLast.logical(x.shape())).orElse(null)
                : null;
        if (pool == null) {
            PlainDetour.Run run = PlainDetour.forward(plain, inputs, ctx);
            ctx.saveForBackward(run);
            return PlainDetour.result(run, ctx.device());
        }
        Tensor y = Tensor.uninitialized(DataType.FLOAT, pool.physicalOut());
        Tensor workspace = Tensor.uninitialized(DataType.UINT8, Math.toIntExact(pool.primitive().workspaceBytes()));
        pool.primitive().forward(x, y, workspace);
        ctx.saveForBackward(new Argmax(pool.primitive(), workspace));
        return y;
    }

    /** oneDNN's training max pool over channels-last images shaped as {@code plainView}, or null. */
    private static TrainingPool trainingPool(MaxPool pool, Tensor plainView) {
        Window w = pool.window(plainView);
        int[] logical = plainView.shape();
        int[] out = ConvShapes.withBatchAndChannels(logical[0], logical[1], w.positions);
        DnnlMaxPoolTraining primitive = DnnlMaxPoolTraining.create(logical, out, w.kernel, w.strides, w.dilations,
                w.padBegin, w.padEndCoveringPositions(), true);
        return primitive == null ? null : new TrainingPool(primitive, ChannelsLast.physical(out));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        if (g.gradOutput(0) == null || !g.needsGrad(0)) {
            return new Tensor[1];
        }
        if (g.saved() instanceof Argmax a && g.gradOutput(0).dtype() == DataType.FLOAT) {
            Tensor gx = Tensor.uninitialized(DataType.FLOAT, g.input(0).shape());
            a.primitive().backward(g.gradOutput(0), a.workspace(), gx);
            return new Tensor[] {gx};
        }
        if (!(g.saved() instanceof PlainDetour.Run run)) {
            throw new IllegalStateException("the forward run saved nothing for backward (was it recorded?)");
        }
        return PlainDetour.backward(plain, run, g);
    }

    /** Y through oneDNN; null where it declines (Lp pools, some windows). */
    private Tensor fast(Tensor x) {
        Pooling pooling = primitives.get(s -> Optional.ofNullable(plan(x.reshape(s[0]))),
                ChannelsLast.logical(x.shape())).orElse(null);
        if (pooling == null) {
            return null;
        }
        Tensor y = Tensor.uninitialized(DataType.FLOAT, pooling.physicalOut());
        pooling.primitive().forward(x, y);
        if (pooling.zeroPadded() != null) {
            ZeroPadding.apply(y, pooling.zeroPadded(), pooling.positions(), true);
        }
        return y;
    }

    /**
     * oneDNN's pooling of one input shape, its result's channels-last shape, and for a max pool with
     * zero padding ({@link ZeroPadding}) the window positions reaching into it (else null) among
     * {@code positions}.
     */
    private record Pooling(DnnlPooling primitive, int[] physicalOut, int[] zeroPadded, int positions) {
    }

    /** The pooling of images shaped as {@code plainView} (X seen [N, C, spatial...]), or null where oneDNN declines. */
    private Pooling plan(Tensor plainView) {
        int[] logical = plainView.shape();
        int rank = logical.length - 2;
        DnnlPooling.Kind kind;
        int[] out;
        DnnlPooling primitive;
        int[] zeroPadded = null;
        if (plain instanceof GlobalPool g) {
            if (g.kind() == GlobalPool.Kind.LP) {
                return null;
            }
            // one window over every position: oneDNN's vector kernels on all of OpenMP's threads
            kind = g.kind() == GlobalPool.Kind.MAX ? DnnlPooling.Kind.MAX : DnnlPooling.Kind.AVERAGE_EXCLUDING_PADDING;
            out = logical.clone();
            Arrays.fill(out, 2, out.length, 1);
            int[] ones = new int[rank];
            Arrays.fill(ones, 1);
            primitive = DnnlPooling.create(kind, logical, out, Arrays.copyOfRange(logical, 2, logical.length), ones,
                    ones, new int[rank], new int[rank], true);
        } else {
            WindowPool p = (WindowPool) plain;
            Window w = p.window(plainView);
            kind = p.dnnlKind(w);
            if (kind == null) {
                return null;
            }
            out = ConvShapes.withBatchAndChannels(logical[0], logical[1], w.positions);
            primitive = DnnlPooling.create(kind, logical, out, w.kernel, w.strides, w.dilations, w.padBegin,
                    w.padEndCoveringPositions(), true);
            if (p instanceof MaxPool m && m.zeroPadding()) {
                zeroPadded = w.paddedPositions();
            }
        }
        return primitive == null ? null : new Pooling(primitive, ChannelsLast.physical(out), zeroPadded,
                Shapes.product(out, 2, out.length));
    }
}
