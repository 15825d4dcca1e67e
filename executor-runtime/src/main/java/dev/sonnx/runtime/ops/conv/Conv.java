package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.dnnl.ConstantWeights;
import dev.sonnx.runtime.ops.conv.dnnl.Dnnl;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlConvolution;
import dev.sonnx.runtime.ops.conv.dnnl.WinogradConvolution;
import dev.sonnx.runtime.ops.conv.dnnl.PostOps;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.Buffer;

/**
 * Conv (1, 11): Y = W * X + B over one or more spatial dimensions, with groups, strides, dilations,
 * explicit or automatic padding. Float32 (and the 16-bit floats, computed in float32) runs through
 * oneDNN where it is available and accepts the geometry; otherwise 1-D/2-D depthwise convolutions
 * take a direct kernel ({@link DepthwiseConv}), and everything else, float64 included, im2col + GEMM
 * ({@link ConvGemm}).
 *
 * <p>The same class runs {@link FusedConv}: Y = act(W * X + B + Z), with the epilogue inside the
 * oneDNN primitive as post-ops where possible, else applied after the convolution.
 */
final class Conv extends Operator {
    private final SpatialAttributes spatial;
    private final int group;
    private final boolean hasBias;
    private final ConvEpilogue epilogue;
    /** X, Z and Y hold [N, spatial..., C] ({@link ChannelsLast}); only inference plans ask for it. */
    private final boolean channelsLast;
    /**
     * W when it is a float32 constant of an inference model (null otherwise): each oneDNN layout gets
     * one reordered copy instead of a reorder at every call, and the plain copy's memory is given
     * back once packed where this node is its only reader.
     */
    private final ConstantWeights constantWeights;
    private final ShapeCache<Plan> plans = new ShapeCache<>();
    private final PointwiseWeightGradient pointwiseWeightGradient = new PointwiseWeightGradient();
    /** FusedConv's input Z. */
    private static final int RESIDUAL = 3;

    /** What one (X shape, W shape) pair resolves to. */
    private static final class Plan {
        final Window window;
        final int[] outShape;
        /** The direct kernel for float32 depthwise convolutions without oneDNN, else null. */
        final DepthwiseConv depthwise;
        /**
         * The oneDNN primitive for float32 work, or null where oneDNN is unavailable or refuses the shape.
         * It applies the whole epilogue when its post-ops are not empty, none of it otherwise.
         */
        final DnnlConvolution dnnl;
        /**
         * Winograd's algorithm for a channels-last 3 x 3 convolution of constant weights, with the
         * whole epilogue, where it applies; else null.
         */
        final WinogradConvolution winograd;
        /** {@link #constantWeights} in {@link #dnnl}'s layout, looked up on first use. */
        private volatile Tensor prepared;

        Plan(Window window, int[] outShape, DepthwiseConv depthwise, DnnlConvolution dnnl,
             WinogradConvolution winograd) {
            this.window = window;
            this.outShape = outShape;
            this.depthwise = depthwise;
            this.dnnl = dnnl;
            this.winograd = winograd;
        }

        Tensor prepared(ConstantWeights w) {
            Tensor p = prepared;
            if (p == null) {
                p = w.forConvolution(dnnl);
                prepared = p;
            }
            return p;
        }
    }

    /** The plain Conv operator. */
    Conv(Node node, BuildContext build) {
        this(node, build, ConvEpilogue.NONE, false);
    }

    /**
     * A convolution followed by {@code epilogue} (FusedConv: the residual Z is input 3), on images
     * stored {@link ChannelsLast} when {@code channelsLast}.
     */
    Conv(Node node, BuildContext build, ConvEpilogue epilogue, boolean channelsLast) {
        super(node);
        this.epilogue = epilogue;
        this.channelsLast = channelsLast;
        if (epilogue.residual() && !node.hasInput(RESIDUAL)) {
            throw new IllegalArgumentException("input 3 (Z, the residual) is missing");
        }
        Tensor w = build == null ? null : build.constantInput(1);
        this.constantWeights = w != null && w.dtype() == DataType.FLOAT ? new ConstantWeights(w) : null;
        this.spatial = new SpatialAttributes(node.attributes(), true, false);
        this.group = node.attributes().getInt("group", 1);
        if (group < 1) {
            throw new IllegalArgumentException("attribute 'group' is " + group + ", expected >= 1");
        }
        this.hasBias = node.hasInput(2);
        // load oneDNN (seconds, once per process) at prepare rather than inside the first run
        Dnnl.available();
    }

    /** W when it is a float32 constant of an inference model, with its packed copies; else null. */
    ConstantWeights constantWeights() {
        return constantWeights;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        Tensor w = required(inputs, 1);
        Tensor b = tensor(inputs, 2);
        Tensor z = epilogue.residual() ? required(inputs, RESIDUAL) : null;
        if (z != null && z.dtype() != x.dtype()) {
            throw new IllegalArgumentException("input Z has type " + z.dtype().onnxName() + ", X has "
                    + x.dtype().onnxName());
        }
        if (!channelsLast) {
            checkInputs(x, w, b);
            return outputs(compute(x, w, b, z, false, ctx));
        }
        if (x.rank() < 3 || z != null && z.rank() != x.rank()) {
            throw new IllegalArgumentException("channels-last X " + x.describe() + (z == null ? ""
                    : " and Z " + z.describe()) + " must be images of one rank [N, spatial..., C]");
        }
        // the checks see the logical [N, C, spatial...] shape; a reshape view carries it
        checkInputs(x.reshape(ChannelsLast.logical(x.shape())), w, b);
        Tensor y = compute(x, w, b, z, true, ctx);
        if (y != null) {
            return outputs(y);
        }
        // no oneDNN primitive for this geometry: the plain kernels on a plain copy
        Tensor plain = compute(ChannelsLast.toFirst(x, ctx.device()), w, b, ChannelsLast.toFirst(z, ctx.device()),
                false, ctx);
        return outputs(ChannelsLast.toLast(plain, ctx.device()));
    }

    /**
     * Y for X (and Z) in the plain layout, or channels-last ({@code cl}), where only a oneDNN primitive
     * computes and null means there is none.
     */
    private Tensor compute(Tensor x, Tensor w, Tensor b, Tensor z, boolean cl, OpContext ctx) {
        int[] xs = cl ? ChannelsLast.logical(x.shape()) : x.shape();
        int[] zs = z == null ? null : cl ? ChannelsLast.logical(z.shape()) : z.shape();
        Plan plan = plan(xs, w.shape(), zs, x.dtype(), cl, ctx.device());
        // B and Z have X's type (checked above); the 16-bit floats take oneDNN's path
        if (plan.winograd != null && x.dtype() == DataType.FLOAT && (b != null) == hasBias
                && w == constantWeights.plain()) {
            Tensor y = Tensor.uninitialized(DataType.FLOAT, ChannelsLast.physical(plan.outShape));
            plan.winograd.forward(x, constantWeights.forWinograd(plan.winograd), b, z, y, ctx.device());
            return y;
        }
        boolean dnnl = plan.dnnl != null && (b != null) == hasBias;
        if (cl && (!dnnl || z != null && !java.util.Arrays.equals(zs, plan.outShape))) {
            return null;
        }
        boolean constant = constantWeights != null && w == constantWeights.plain();
        if (constant && !dnnl) {
            constantWeights.readPlain(); // a kernel reads the plain weights directly
        }
        if (plan.depthwise != null || dnnl) {
            Tensor xf = WorkingType.widen(x);
            Tensor wf = WorkingType.widen(w);
            Tensor bf = WorkingType.widen(b);
            Tensor zf = WorkingType.widen(z);
            int[] yShape = cl ? ChannelsLast.physical(plan.outShape) : plan.outShape;
            if (dnnl && accumulatesInPlace(plan.dnnl, z, zf, yShape, ctx)) {
                // Y takes over the memory of a residual that nothing reads after this node
                if (constant) {
                    plan.dnnl.forwardAccumulatingPrepared(xf, plan.prepared(constantWeights), bf, z);
                } else {
                    plan.dnnl.forwardAccumulating(xf, wf, bf, z);
                }
                return z;
            }
            // oneDNN writes every element of Y (a sum post-op copies Z in first); the direct kernel accumulates
            Tensor y = dnnl ? Tensor.uninitialized(DataType.FLOAT, yShape) : Tensor.zeros(DataType.FLOAT, yShape);
            if (plan.depthwise != null) {
                plan.depthwise.forward(xf.floats(), wf.floats(), bf == null ? null : bf.floats(), y.floats(),
                        ctx.device());
                y = epilogue.apply(y, zf, ctx.device());
            } else {
                boolean inside = !plan.dnnl.postOps().isNone();
                Tensor zIn = inside && epilogue.residual() ? zf : null;
                if (constant) {
                    plan.dnnl.forwardPrepared(xf, plan.prepared(constantWeights), bf, zIn, y);
                } else {
                    plan.dnnl.forward(xf, wf, bf, zIn, y);
                }
                if (!inside) {
                    // channels-last: Z has Y's shape, so the epilogue is the same elementwise loop
                    y = epilogue.apply(y, zf, ctx.device());
                }
            }
            return WorkingType.narrow(y, x.dtype());
        }
        Tensor y = generic(plan, x, w, b, ctx.device());
        y = epilogue.apply(y, WorkingType.widen(z), ctx.device());
        return WorkingType.narrow(y, x.dtype());
    }

    /**
     * Whether the primitive can add the residual in place, over Z's own memory: Z is float32 (its
     * working copy is itself), has Y's shape, and the run lets this node overwrite it.
     */
    private boolean accumulatesInPlace(DnnlConvolution dnnl, Tensor z, Tensor zf, int[] yShape, OpContext ctx) {
        return z != null && zf == z && dnnl.canAccumulate()
                && java.util.Arrays.equals(z.shape(), yShape) && ctx.mayOverwrite(RESIDUAL, z);
    }

    /** im2col + GEMM in the working precision (float32 or float64). */
    private Tensor generic(Plan plan, Tensor x, Tensor w, Tensor b, Device device) {
        DataType work = WorkingType.of(x.dtype());
        Arith arith = Arith.of(work);
        Tensor xw = WorkingType.widen(x);
        Tensor ww = WorkingType.widen(w);
        Tensor bw = WorkingType.widen(b);
        // the bias rows, or the product with beta 0, assign every element
        Tensor y = Tensor.uninitialized(work, plan.outShape);
        int n = x.shape()[0];
        int m = w.shape()[0];
        Buffer yb = arith.view(y);
        if (bw != null) {
            Buffer bias = arith.view(bw);
            int p = plan.window.positionCount;
            for (int i = 0; i < n; i++) {
                arith.fillRows(bias, 0, m, p, yb, i * m * p);
            }
        }
        gemm(plan, arith, x, w).imageToPositions(arith.view(xw), arith.view(ww), yb, bw != null, device);
        return y;
    }

    private ConvGemm gemm(Plan plan, Arith arith, Tensor x, Tensor w) {
        return new ConvGemm(arith, plan.window, x.shape()[0], group, w.shape()[1], w.shape()[0] / group);
    }

    /**
     * Fused convolutions exist only in inference plans (recorded runs use the unfused plan); a
     * channels-last one without an epilogue is also part of training plans' channels-last regions.
     */
    @Override
    public boolean differentiable() {
        return epilogue.isNone();
    }

    /**
     * dX = the transposed convolution of dY with W, dW = dY correlated with X, dB = dY summed over
     * the batch and the positions; through oneDNN where the forward used it, else im2col + GEMM.
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        if (gy == null) {
            return new Tensor[3];
        }
        Tensor x = g.input(0);
        Tensor w = g.input(1);
        Tensor b = g.input(2);
        if (constantWeights != null && w == constantWeights.plain()) {
            constantWeights.readPlain(); // the backward kernels read the plain weights
        }
        if (!channelsLast) {
            return plainBackward(g, x, gy, w, b);
        }
        Tensor[] grads = channelsLastBackward(g, x, gy, w, b);
        if (grads != null) {
            return grads;
        }
        // no oneDNN backward for this geometry: the plain kernels on plain copies
        grads = plainBackward(g, ChannelsLast.toFirst(x, g.device()), ChannelsLast.toFirst(gy, g.device()), w, b);
        if (grads[0] != null) {
            grads[0] = ChannelsLast.toLast(grads[0], g.device());
        }
        return grads;
    }

    /** The gradients of a channels-last float32 convolution through oneDNN, or null where it has no backward. */
    private Tensor[] channelsLastBackward(BackwardContext g, Tensor x, Tensor gy, Tensor w, Tensor b) {
        if (x.dtype() != DataType.FLOAT || gy.dtype() != DataType.FLOAT || w.dtype() != DataType.FLOAT) {
            return null;
        }
        Plan plan = plan(ChannelsLast.logical(x.shape()), w.shape(), null, x.dtype(), true, g.device());
        if (plan.dnnl == null || !plan.dnnl.hasBackward()) {
            return null;
        }
        Tensor[] grads = new Tensor[3];
        if (g.needsGrad(0)) {
            grads[0] = Tensor.uninitialized(DataType.FLOAT, x.shape());   // oneDNN writes every element
            plan.dnnl.backwardData(gy, w, grads[0]);
        }
        if (g.needsGrad(1)) {
            grads[1] = Tensor.uninitialized(DataType.FLOAT, w.shape());
            plan.dnnl.backwardWeights(x, gy, grads[1]);
        }
        if (b != null && g.needsGrad(2)) {
            grads[2] = WorkingType.narrow(channelSums(gy), b.dtype());
        }
        return grads;
    }

    /** dB for channels-last float32 dY [N, spatial..., C]: the sum of each channel over every row of C values. */
    private static Tensor channelSums(Tensor gy) {
        int c = gy.shape()[gy.rank() - 1];
        int rows = c == 0 ? 0 : gy.size() / c;
        java.nio.FloatBuffer v = gy.floats();
        double[] sums = new double[c];
        for (int r = 0; r < rows; r++) {
            int base = r * c;
            for (int k = 0; k < c; k++) {
                sums[k] += v.get(base + k);
            }
        }
        Tensor gb = Tensor.uninitialized(DataType.FLOAT, c);
        for (int k = 0; k < c; k++) {
            gb.setFloat(k, (float) sums[k]);
        }
        return gb;
    }

    /** The gradients for X and dY in the plain layout. */
    private Tensor[] plainBackward(BackwardContext g, Tensor x, Tensor gy, Tensor w, Tensor b) {
        Tensor[] grads = new Tensor[3];
        Plan plan = plan(x, w, g.device());
        DataType work = WorkingType.of(x.dtype());
        Arith arith = Arith.of(work);
        Tensor gyw = WorkingType.widen(gy);
        Tensor xw = WorkingType.widen(x);
        Tensor ww = WorkingType.widen(w);
        ConvGemm gemm = gemm(plan, arith, x, w);
        boolean dnnl = plan.dnnl != null && plan.dnnl.hasBackward();
        if (g.needsGrad(0)) {
            // oneDNN writes every element of dX; col2im adds into zeros
            Tensor gx = dnnl ? Tensor.uninitialized(work, x.shape()) : Tensor.zeros(work, x.shape());
            if (dnnl) {
                plan.dnnl.backwardData(gyw, ww, gx);
            } else {
                gemm.positionsToImage(arith.view(gyw), arith.view(ww), arith.view(gx), g.device());
            }
            grads[0] = WorkingType.narrow(gx, x.dtype());
        }
        if (g.needsGrad(1)) {
            // both kernels assign every element of dW, the im2col one from the first image on
            Tensor gw = x.shape()[0] > 0 ? Tensor.uninitialized(work, w.shape()) : Tensor.zeros(work, w.shape());
            boolean pointwise = PointwiseWeightGradient.applies(plan.window, w.shape(), group)
                    && pointwiseWeightGradient.compute(xw, gyw, gw, g.device());
            if (!pointwise && (!dnnl || !plan.dnnl.backwardWeights(xw, gyw, gw))) {
                gemm.weightGradient(arith.view(gyw), arith.view(xw), arith.view(gw), g.device());
            }
            grads[1] = WorkingType.narrow(gw, w.dtype());
        }
        if (b != null && g.needsGrad(2)) {
            grads[2] = WorkingType.narrow(biasGradient(arith, work, arith.view(gyw), x.shape()[0], w.shape()[0],
                    plan.window.positionCount), b.dtype());
        }
        return grads;
    }

    /** dB[m] = sum of dY over the batch and the spatial positions. */
    static Tensor biasGradient(Arith arith, DataType work, Buffer gy, int batch, int channels, int positions) {
        Tensor gb = Tensor.zeros(work, channels);
        Buffer gbb = arith.view(gb);
        for (int n = 0; n < batch; n++) {
            arith.sumRows(gy, n * channels * positions, channels, positions, gbb, 0);
        }
        return gb;
    }

    private void checkInputs(Tensor x, Tensor w, Tensor b) {
        TypeCheck.require(x, TypeCheck.FLOATS, "input X");
        TypeCheck.same(x, w, b);
        ConvShapes.requireImage(x, "X");
        ConvShapes.requireWeights(x, w, group, false);
        ConvShapes.requireBias(b, w.shape()[0]);
    }

    private Plan plan(Tensor x, Tensor w, Device device) {
        return plan(x.shape(), w.shape(), null, x.dtype(), false, device);
    }

    /** The plan for logical shapes X {@code xShape}, W, Z (null without a residual), data channels-last or not. */
    private Plan plan(int[] xShape, int[] wShape, int[] zShape, DataType type, boolean cl, Device device) {
        // float32 and the 16-bit floats (computed in float32) may take the float32 fast paths
        boolean float32 = type != DataType.DOUBLE && device.isHost();
        return plans.get(s -> {
            int[] xs = s[0];
            int[] ws = s[1];
            Window window = spatial.window(ConvShapes.spatial(xs), spatial.kernel(ConvShapes.spatial(ws)));
            int[] out = ConvShapes.withBatchAndChannels(xs[0], ws[0], window.positions);
            if (!float32) {
                return new Plan(window, out, null, null, null);
            }
            DnnlConvolution dnnl = null;
            // oneDNN adds a residual of the result's own shape; a broadcast one is added afterwards
            boolean denseResidual = s[3] == null || java.util.Arrays.equals(s[3], out);
            PostOps post = epilogue.isNone() || !denseResidual ? null : epilogue.postOps(epilogue.residual());
            if (post != null) {
                dnnl = DnnlConvolution.create(xs, ws, out, group, hasBias, window.strides, window.dilations,
                        window.padBegin, window.padEnd, post, cl);
            }
            if (dnnl == null) {
                dnnl = DnnlConvolution.create(xs, ws, out, group, hasBias, window.strides, window.dilations,
                        window.padBegin, window.padEnd, PostOps.NONE, cl);
            }
            DepthwiseConv depthwise = dnnl == null && !cl && DepthwiseConv.applies(window, ws[1], group)
                    ? new DepthwiseConv(window, xs[0], group, ws[0] / group) : null;
            // inference only: the weights are constants, transformed once
            WinogradConvolution winograd = cl && constantWeights != null && denseResidual
                    && (post != null || epilogue.isNone())
                    ? WinogradConvolution.create(xs, ws, out, group, window.strides, window.dilations,
                            window.padBegin, window.padEnd, post == null ? PostOps.NONE : post, hasBias) : null;
            return new Plan(window, out, depthwise, dnnl, winograd);
        }, xShape, wShape, new int[] {float32 ? 1 : 0, cl ? 1 : 0}, zShape);
    }
}
