package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_1;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_direct;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_deconvolution_direct;
import static org.bytedeco.dnnl.global.dnnl.dnnl_deconvolution_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_inference;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;

import dev.sonnx.runtime.tensor.Tensor;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.Pointer;

/**
 * A float32 oneDNN convolution forward for one shape, optionally with post-ops (a residual add and an
 * activation, {@link PostOps}). Data stay in ONNX's NC[D]HW layout (oneDNN reorders internally where
 * its kernels want blocks); the weights go into the layout the primitive chose, because with plain
 * weights oneDNN falls back to its slow reference kernel: once, through {@link #prepareWeights}, for
 * weights that never change (an inference model's initializers), else on each call (training
 * changes them between calls). Built once per input shape by the Conv operator and shared by
 * concurrent runs.
 */
public final class DnnlConvolution {
    /**
     * Multiply-adds below which a convolution runs on the calling thread alone (a 32nd of
     * {@link OpenMpTeam#SERIAL_WORK}): within a network the team is awake from the convolution
     * before, and mobilenetv2's convolutions of 0.4 to 8M multiply-adds ran faster on two threads
     * (3.1-3.8 ms a run at batch 1 against 5.0-5.3 with all of them alone); a convolution of 70K
     * after other work waited for the sleeping thread (40 to 60 us against 9 alone).
     * {@code -Dsonnx.dnnl.serialConvWork=N} sets another bound.
     */
    private static final long SERIAL_CONV_WORK = Long.getLong("sonnx.dnnl.serialConvWork", 1L << 18);
    private final ConvGeometry geometry;
    private final DnnlPrimitive forward;
    /** Plain OI[D]HW to the primitive's weight layout; null when they coincide. */
    private final PackedWeights weights;
    private final PostOps postOps;
    /** How the residual reaches the primitive (null without one). */
    private final PostOps.ResidualMode residualMode;
    /**
     * The convolution with a sum post-op, which adds what the destination already holds, when there
     * is a residual: {@link #forward} itself in {@link PostOps.ResidualMode#SUM} mode, else a twin of
     * it over the same packed weights (null when oneDNN refuses one). It runs when the caller may
     * overwrite Z ({@link #forwardAccumulating}): reading and writing one buffer streams a third less
     * memory than reading Z and writing a fresh Y, and the sum mode's copy of Z into Y goes away.
     */
    private final DnnlPrimitive accumulating;
    /** The reorders around a channels-last convolution run on blocked data; null for none. */
    private final BlockedDetour detour;
    /** For a convolution run as a matrix product ({@link #forward} is then a matmul): X's unfolding; else null. */
    private final UnfoldedInput unfolded;
    /** Built on the first backward call; {@link #NO_BACKWARD} when oneDNN refused it. */
    private volatile Object backward;
    private static final Object NO_BACKWARD = new Object();

    private DnnlConvolution(ConvGeometry geometry, DnnlPrimitive forward, DnnlPrimitive accumulating,
                            PackedWeights weights, PostOps postOps, PostOps.ResidualMode residualMode,
                            BlockedDetour detour, UnfoldedInput unfolded) {
        this.geometry = geometry;
        this.detour = detour;
        this.unfolded = unfolded;
        this.forward = forward;
        this.accumulating = accumulating;
        this.weights = weights;
        this.postOps = postOps;
        this.residualMode = residualMode;
    }

    /**
     * The primitive for a convolution of X {@code xShape} with W {@code wShape} into Y
     * {@code yShape}, or null when oneDNN is unavailable or cannot run this geometry (the caller then
     * uses its generic kernel). Strides, dilations (ONNX's: 1 = dense) and paddings are per spatial
     * dimension.
     */
    public static DnnlConvolution create(int[] xShape, int[] wShape, int[] yShape, int group, boolean bias,
                                         int[] strides, int[] dilations, int[] padBegin, int[] padEnd) {
        return create(xShape, wShape, yShape, group, bias, strides, dilations, padBegin, padEnd, PostOps.NONE,
                false);
    }

    /**
     * The same with {@code postOps} applied to the result, and X, Y (and the residual) channels-last
     * when {@code channelsLast} (the shapes given stay N, C, spatial...); null also when oneDNN
     * refuses these post-ops for this geometry (the caller may then run the plain primitive and its
     * own epilogue). Only primitives with plain layouts go backward.
     */
    public static DnnlConvolution create(int[] xShape, int[] wShape, int[] yShape, int group, boolean bias,
                                         int[] strides, int[] dilations, int[] padBegin, int[] padEnd,
                                         PostOps postOps, boolean channelsLast) {
        KernelTrial.Choice unfold = KernelTrial.choice(KernelTrial.Candidate.UNFOLDED);
        DnnlConvolution unfolded = null;
        if (unfold != KernelTrial.Choice.NEVER && UnfoldedInput.pays(xShape, wShape, yShape, group, channelsLast)) {
            unfolded = createUnfolded(xShape, wShape, yShape, bias, strides, dilations, padBegin, padEnd, postOps);
        }
        DnnlConvolution c = unfold == KernelTrial.Choice.ALWAYS ? unfolded : null;
        if (c == null && BlockedDetour.pays(xShape, wShape, group, channelsLast, postOps)) {
            c = create(xShape, wShape, yShape, group, bias, strides, dilations, padBegin, padEnd, postOps,
                    PostOps.ResidualMode.BINARY, channelsLast, true);
        }
        if (c == null) {
            c = create(xShape, wShape, yShape, group, bias, strides, dilations, padBegin, padEnd, postOps,
                    PostOps.ResidualMode.BINARY, channelsLast, false);
        }
        if (c == null && postOps.residual()) {
            c = create(xShape, wShape, yShape, group, bias, strides, dilations, padBegin, padEnd, postOps,
                    PostOps.ResidualMode.SUM, channelsLast, false);
        }
        if (unfolded != null && c != unfolded) {
            c = c == null ? unfolded : KernelTrial.faster(unfolded, c, xShape, yShape, bias);
        }
        return c;
    }

    private static DnnlConvolution create(int[] xShape, int[] wShape, int[] yShape, int group, boolean bias,
                                          int[] strides, int[] dilations, int[] padBegin, int[] padEnd,
                                          PostOps postOps, PostOps.ResidualMode mode, boolean channelsLast,
                                          boolean blocked) {
        // a tiny convolution runs on the calling thread alone, and is made for it: oneDNN's plain-
        // layout wrapper (jit_uni_ncsp) fixes its thread count when it is created
        long work = serialWork(work(xShape, wShape, yShape, group));
        return OpenMpTeam.createdFor(work, () -> build(xShape, wShape, yShape, group, bias, strides, dilations,
                padBegin, padEnd, postOps, mode, channelsLast, blocked, work));
    }

    /**
     * ConvTranspose of X {@code xShape} (plain layout) with W {@code wShape} as ONNX holds it ([I,
     * O/group, k...]) into Y {@code yShape}: oneDNN's deconvolution, forward only. {@code padEnd} is
     * what oneDNN counts, the pads net of the output padding (the positions past the full output
     * that ONNX's output_padding adds); null where that or the geometry is out of oneDNN's reach.
     */
    public static DnnlConvolution createTransposed(int[] xShape, int[] wShape, int[] yShape, int group, boolean bias,
                                                   int[] strides, int[] dilations, int[] padBegin, int[] padEnd) {
        // the multiply-adds of the convolution whose input gradient it is: that one maps Y to X with W
        long work = serialWork(work(yShape, wShape, xShape, group));
        return OpenMpTeam.createdFor(work, () -> buildTransposed(xShape, wShape, yShape, group, bias, strides,
                dilations, padBegin, padEnd, work));
    }

    private static DnnlConvolution buildTransposed(int[] xShape, int[] wShape, int[] yShape, int group, boolean bias,
                                                   int[] strides, int[] dilations, int[] padBegin, int[] padEnd,
                                                   long work) {
        ConvDescs d = ConvDescs.transposed(xShape, wShape, yShape, group, strides, dilations, padBegin, padEnd);
        if (d == null) {
            return null;
        }
        dnnl_memory_desc biasDesc = bias ? Dnnl.desc(new int[] {yShape[1]}, Layouts.vector()) : null;
        dnnl_primitive_attr attr = Dnnl.userScratchpad();
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        try {
            int status = dnnl_deconvolution_forward_primitive_desc_create(pd, Dnnl.engine(), dnnl_forward_inference,
                    dnnl_deconvolution_direct, d.src, d.anyWeights, biasDesc, d.dst, d.strides, d.dilations,
                    d.padBegin, d.padEnd, attr);
            if (refused(status, pd, true, d, biasDesc)) {
                return null;
            }
        } finally {
            dnnl_primitive_attr_destroy(attr);
        }
        ChosenWeights weights = ChosenWeights.of(d, pd);
        DnnlPrimitive fwd = new DnnlPrimitive(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST},
                new dnnl_memory_desc[] {d.src, weights.desc, biasDesc, d.dst}, work);
        // no geometry: the backward primitives are convolutions', which this is not
        return new DnnlConvolution(null, fwd, null, weights.packed, PostOps.NONE, null, null, null);
    }

    /** The weights' layout a primitive chose, and the reorder into it from ONNX's. */
    private record ChosenWeights(dnnl_memory_desc desc, PackedWeights packed) {
        /** {@code pd}'s choice; releases {@code d}'s "any" descriptor, which served to ask for it. */
        static ChosenWeights of(ConvDescs d, dnnl_primitive_desc pd) {
            dnnl_memory_desc chosen = Dnnl.queried(pd, dnnl_query_weights_md);
            DnnlPrimitive reorder = Dnnl.reorderUnlessSame(d.weights, chosen);
            Dnnl.destroy(d.anyWeights);
            return new ChosenWeights(chosen, new PackedWeights(reorder, Dnnl.size(chosen)));
        }
    }

    /**
     * Whether a primitive descriptor's creation failed or, where {@code refuseReference}, fell to
     * oneDNN's reference kernel; the descriptors are then released.
     */
    private static boolean refused(int status, dnnl_primitive_desc pd, boolean refuseReference, ConvDescs d,
                                   dnnl_memory_desc biasDesc) {
        if (status == dnnl_success && !(refuseReference && Dnnl.isReference(pd))) {
            return false;
        }
        if (status == dnnl_success) {
            dnnl_primitive_desc_destroy(pd);
        }
        d.release();
        Dnnl.destroy(biasDesc);
        return true;
    }

    /** {@code work} where it is below {@link #SERIAL_CONV_WORK}, else a work no team runs alone. */
    private static long serialWork(long work) {
        return work < SERIAL_CONV_WORK ? work : Long.MAX_VALUE;
    }

    /** A convolution's multiply-adds, or the weights it streams ({@link OpenMpTeam#work}). */
    static long work(int[] xShape, int[] wShape, int[] yShape, int group) {
        long outputs = 1;
        for (int d : yShape) {
            outputs *= d;
        }
        long perOutput = xShape[1] / group;
        long weights = wShape[0] * (long) wShape[1];
        for (int i = 2; i < wShape.length; i++) {
            perOutput *= wShape[i];
            weights *= wShape[i];
        }
        return OpenMpTeam.work(outputs * perOutput, weights * Float.BYTES);
    }

    private static DnnlConvolution build(int[] xShape, int[] wShape, int[] yShape, int group, boolean bias,
                                         int[] strides, int[] dilations, int[] padBegin, int[] padEnd,
                                         PostOps postOps, PostOps.ResidualMode mode, boolean channelsLast,
                                         boolean blocked, long work) {
        ConvDescs d = blocked
                ? ConvDescs.of(xShape, wShape, yShape, group, strides, dilations, padBegin, padEnd,
                        BlockedDetour.tag(xShape.length - 2))
                : ConvDescs.of(xShape, wShape, yShape, group, strides, dilations, padBegin, padEnd, channelsLast);
        if (d == null) {
            return null;
        }
        dnnl_memory_desc biasDesc = bias ? Dnnl.desc(new int[] {yShape[1]}, Layouts.vector()) : null;
        dnnl_primitive_attr attr = postOps.attributes(d.dst, mode);
        if (attr == null) {
            d.release();
            Dnnl.destroy(biasDesc);
            return null;
        }
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        try {
            int status = dnnl_convolution_forward_primitive_desc_create(pd, Dnnl.engine(), dnnl_forward_inference,
                    dnnl_convolution_direct, d.src, d.anyWeights, biasDesc, d.dst, d.strides, d.dilations,
                    d.padBegin, d.padEnd, attr);
            // post-ops that only the reference kernel supports are better applied separately, and a
            // detour to blocked data only pays for a fast kernel
            if (refused(status, pd, !postOps.isNone() || blocked, d, biasDesc)) {
                return null;
            }
        } finally {
            dnnl_primitive_attr_destroy(attr);
        }
        ChosenWeights weights = ChosenWeights.of(d, pd);
        dnnl_memory_desc chosen = weights.desc;
        boolean binary = postOps.residual() && mode == PostOps.ResidualMode.BINARY;
        DnnlPrimitive sumTwin = binary ? accumulating(d, chosen, biasDesc, postOps, work) : null;
        DnnlPrimitive fwd = new DnnlPrimitive(pd,
                new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST,
                        DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE | DNNL_ARG_SRC_1},
                new dnnl_memory_desc[] {d.src, chosen, biasDesc, d.dst, binary ? Dnnl.copy(d.dst) : null}, work);
        ConvGeometry geometry = new ConvGeometry(xShape, wShape, yShape, group, strides, dilations, padBegin, padEnd,
                channelsLast);
        DnnlPrimitive accumulating = !postOps.residual() ? null : binary ? sumTwin : fwd;
        return new DnnlConvolution(geometry, fwd, accumulating, weights.packed, postOps,
                postOps.residual() ? mode : null, blocked ? BlockedDetour.create(xShape, yShape) : null, null);
    }

    /**
     * The convolution as one matrix product over X unfolded ({@link UnfoldedInput}): [N*OH*OW, KH*KW*I]
     * x [KH*KW*I, O] into Y's channels-last bytes, with the same post-ops (a residual Z, also
     * channels-last, is the product's [N*OH*OW, O] too). Null where oneDNN refuses it or would run
     * its reference kernel.
     */
    private static DnnlConvolution createUnfolded(int[] xShape, int[] wShape, int[] yShape, boolean bias,
                                                  int[] strides, int[] dilations, int[] padBegin, int[] padEnd,
                                                  PostOps postOps) {
        for (int i = 0; i < padBegin.length; i++) {
            if (padBegin[i] < 0 || padEnd[i] < 0) {
                return null;
            }
        }
        UnfoldedInput unfolded = UnfoldedInput.create(xShape, wShape, yShape, strides, dilations, padBegin);
        int rows = unfolded.rows();
        int depth = unfolded.depth();
        int oc = wShape[0];
        DnnlMatMul product = DnnlMatMul.create(new int[] {rows, depth}, false, new int[] {depth, oc}, false,
                new int[] {rows, oc}, bias, true, postOps);
        if (product == null) {
            return null;
        }
        // OIHW read as [KH, KW, I, O]: its plain copy is the product's [KH*KW*I, O] matrix
        int kh = wShape[2];
        int kw = wShape[3];
        int ic = wShape[1];
        DnnlPrimitive permute = Dnnl.reorder(
                Dnnl.strided(new int[] {kh, kw, ic, oc}, new long[] {kw, 1, (long) kh * kw, (long) ic * kh * kw}),
                Dnnl.desc(new int[] {kh, kw, ic, oc}, Layouts.plain(4)));
        PackedWeights weights = product.packedWeights().after(permute, (long) depth * oc * Float.BYTES);
        // the backward primitives are convolutions over the same channels-last images
        ConvGeometry geometry = new ConvGeometry(xShape, wShape, yShape, 1, strides, dilations, padBegin, padEnd, true);
        return new DnnlConvolution(geometry, product.primitive(), null, weights, postOps,
                postOps.residual() ? PostOps.ResidualMode.BINARY : null, null, unfolded);
    }

    /**
     * The sum post-op twin of a binary-add primitive with weights fixed to its {@code packed} layout
     * (so one packed copy serves both); null when oneDNN refuses it or would run its reference kernel.
     * The descriptors are copied: the caller keeps its own.
     */
    private static DnnlPrimitive accumulating(ConvDescs d, dnnl_memory_desc packed, dnnl_memory_desc biasDesc,
                                              PostOps postOps, long work) {
        dnnl_primitive_attr attr = postOps.attributes(d.dst, PostOps.ResidualMode.SUM);
        if (attr == null) {
            return null;
        }
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        try {
            int status = dnnl_convolution_forward_primitive_desc_create(pd, Dnnl.engine(), dnnl_forward_inference,
                    dnnl_convolution_direct, d.src, packed, biasDesc, d.dst, d.strides, d.dilations,
                    d.padBegin, d.padEnd, attr);
            if (status != dnnl_success) {
                return null;
            }
            if (Dnnl.isReference(pd)) {
                dnnl_primitive_desc_destroy(pd);
                return null;
            }
        } finally {
            dnnl_primitive_attr_destroy(attr);
        }
        return new DnnlPrimitive(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST},
                new dnnl_memory_desc[] {Dnnl.copy(d.src), Dnnl.copy(packed),
                        biasDesc == null ? null : Dnnl.copy(biasDesc), Dnnl.copy(d.dst)}, work);
    }

    /** Whether this channels-last convolution runs on oneDNN's channel-blocked layout ({@link BlockedDetour}). */
    public boolean runsOnBlockedData() {
        return detour != null;
    }

    /** Whether this channels-last convolution runs as a matrix product over its unfolded input ({@link UnfoldedInput}). */
    public boolean runsUnfolded() {
        return unfolded != null;
    }

    /** Whether {@link #forwardAccumulating} can run. */
    public boolean canAccumulate() {
        return accumulating != null;
    }

    /**
     * Y = post-ops(conv(X, W) + B + Z) computed over {@code zy}, which holds Z on entry and Y on
     * return; W from {@link #prepareWeights}. Only where {@link #canAccumulate}.
     */
    public void forwardAccumulatingPrepared(Tensor x, Tensor prepared, Tensor b, Tensor zy) {
        accumulate(x, prepared.pointer(), b, zy);
    }

    /** {@link #forwardAccumulatingPrepared} with W in ONNX's layout. */
    public void forwardAccumulating(Tensor x, Tensor w, Tensor b, Tensor zy) {
        accumulate(x, weights.forCall(w), b, zy);
    }

    private void accumulate(Tensor x, Pointer packed, Tensor b, Tensor zy) {
        if (accumulating == null) {
            throw new IllegalStateException("this convolution has no accumulating form");
        }
        accumulating.execute(x.pointer(), packed, b == null ? null : b.pointer(), zy.pointer());
    }

    /** How the weights reach the primitive's layout (for {@link ConstantWeights}). */
    PackedWeights packedWeights() {
        return weights;
    }

    /** The post-ops this primitive applies. */
    public PostOps postOps() {
        return postOps;
    }

    /** Y = conv(X, W) + B into {@code y} (float32 host tensors of the planned shapes; B may be null). */
    public void forward(Tensor x, Tensor w, Tensor b, Tensor y) {
        forward(x, w, b, null, y);
    }

    /**
     * Y = post-ops(conv(X, W) + B [, Z]) into {@code y}: {@code z} (the residual, of Y's shape) is
     * required exactly when the post-ops have one; W in ONNX's layout.
     */
    public void forward(Tensor x, Tensor w, Tensor b, Tensor z, Tensor y) {
        run(x, weights.forCall(w), b, z, y);
    }

    /**
     * W in the primitive's own layout, for {@link #forwardPrepared}: {@code w} itself when the layouts
     * coincide, else a copy allocated outside any run (the caller keeps it as long as the weights
     * stay the same).
     */
    public Tensor prepareWeights(Tensor w) {
        return weights.prepare(w);
    }

    /** {@link #forward(Tensor, Tensor, Tensor, Tensor, Tensor)} with weights from {@link #prepareWeights}. */
    public void forwardPrepared(Tensor x, Tensor prepared, Tensor b, Tensor z, Tensor y) {
        run(x, prepared.pointer(), b, z, y);
    }

    /** Bytes of the weights in this primitive's layout. */
    long packedBytes() {
        return weights.bytes();
    }

    /** Y = post-ops(conv(X, W) + B [, Z]) with W already in this primitive's layout at {@code packed}. */
    void run(Tensor x, Pointer packed, Tensor b, Tensor z, Tensor y) {
        if ((z != null) != postOps.residual()) {
            throw new IllegalArgumentException(postOps.residual() ? "the residual input is missing"
                    : "this convolution takes no residual input");
        }
        Pointer bias = b == null ? null : b.pointer();
        if (unfolded != null) {
            forward.execute(unfolded.unfold(x), packed, bias, y.pointer(), z == null ? null : z.pointer());
        } else if (detour != null) {
            Pointer blockedY = detour.blockedOutput();
            forward.execute(detour.blockedInput(x), packed, bias, blockedY, null);
            detour.unblock(blockedY, y);
        } else if (residualMode == PostOps.ResidualMode.SUM) {
            // the sum post-op adds what the destination holds
            y.bytes().put(0, z.bytes(), 0, y.size() * Float.BYTES);
            forward.execute(x.pointer(), packed, bias, y.pointer(), null);
        } else {
            forward.execute(x.pointer(), packed, bias, y.pointer(), z == null ? null : z.pointer());
        }
    }

    /** Whether oneDNN has backward primitives for this geometry (so the two calls below write). */
    public boolean hasBackward() {
        return backward() != null;
    }

    /**
     * dX = the gradient of the convolution with respect to X, from dY and W, into {@code gx}; false
     * (nothing written) when oneDNN has no backward primitive for this geometry.
     */
    public boolean backwardData(Tensor gy, Tensor w, Tensor gx) {
        DnnlConvolutionBackward b = backward();
        if (b == null) {
            return false;
        }
        b.data(gy, w, gx);
        return true;
    }

    /** dW from X and dY into {@code gw} (OI[D]HW); false (nothing written) without a backward primitive. */
    public boolean backwardWeights(Tensor x, Tensor gy, Tensor gw) {
        DnnlConvolutionBackward b = backward();
        if (b == null) {
            return false;
        }
        b.weights(x, gy, gw);
        return true;
    }

    private DnnlConvolutionBackward backward() {
        if (geometry == null) {
            return null;
        }
        Object b = backward;
        if (b == null) {
            synchronized (this) {
                b = backward;
                if (b == null) {
                    DnnlConvolutionBackward created = DnnlConvolutionBackward.create(geometry);
                    b = created == null ? NO_BACKWARD : created;
                    backward = b;
                }
            }
        }
        return b == NO_BACKWARD ? null : (DnnlConvolutionBackward) b;
    }
}
