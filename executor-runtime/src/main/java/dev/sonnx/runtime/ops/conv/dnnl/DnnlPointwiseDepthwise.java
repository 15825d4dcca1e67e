package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_ATTR_POST_OP_DW;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_direct;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_inference;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_exec_arg_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;

import dev.sonnx.runtime.tensor.Tensor;
import java.util.concurrent.atomic.LongAdder;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.Pointer;

/**
 * A channels-last 1 x 1 convolution and the 3 x 3 depthwise convolution over its result (stride 1
 * or 2, padding 1: the expansion and the depthwise layer of a MobileNet block) as one oneDNN
 * primitive, its depthwise post-op: the kernel computes a few rows of the 1 x 1 result into its
 * cache and convolves them at once, so that result, the block's largest tensor, never goes to
 * memory. oneDNN has a real kernel for this pair only for some shapes (at batch 8 for MobileNet v2's
 * first blocks, not at batch 1); elsewhere it offers a reference one, which {@link #create} refuses.
 * Its kernel is older than the separate 1 x 1 one, so {@link #create} also times the two against
 * each other ({@link KernelTrial}). Built once per input shape and shared by concurrent runs.
 */
public final class DnnlPointwiseDepthwise {
    private static final LongAdder CALLS = new LongAdder();

    private final DnnlPrimitive primitive;
    private final PackedWeights pointwiseWeights;
    private final PackedWeights depthwiseWeights;

    /** Y's logical shape [N, C, OH, OW]. */
    private final int[] yShape;

    private DnnlPointwiseDepthwise(DnnlPrimitive primitive, PackedWeights pointwiseWeights,
                                   PackedWeights depthwiseWeights, int[] yShape) {
        this.primitive = primitive;
        this.pointwiseWeights = pointwiseWeights;
        this.depthwiseWeights = depthwiseWeights;
        this.yShape = yShape;
    }

    /**
     * The fused primitive for X of logical shape {@code xShape} [N, I, H, W] (stored channels-last),
     * pointwise weights [C, I, 1, 1] and their post-ops, then depthwise weights [C, 1, 3, 3] of
     * stride {@code stride} and their post-ops; null where oneDNN has no jit kernel for it. Both
     * convolutions take a bias (the caller passes zeros for none): oneDNN 3.11's kernel reads past
     * its buffers when the 1 x 1 convolution has none.
     */
    public static DnnlPointwiseDepthwise create(int[] xShape, int channels, PostOps pointwisePost, int stride,
                                                PostOps depthwisePost) {
        if (!Dnnl.available() || xShape.length != 4 || stride < 1
                || KernelTrial.choice(KernelTrial.Candidate.FUSED_DEPTHWISE) == KernelTrial.Choice.NEVER) {
            return null;
        }
        int[] midShape = {xShape[0], channels, xShape[2], xShape[3]};
        int[] one = {1, 1};
        int[] zero = {0, 0};
        ConvDescs d = ConvDescs.of(xShape, new int[] {channels, xShape[1], 1, 1}, midShape, 1, one, one, zero, zero,
                true);
        if (d == null) {
            return null;
        }
        dnnl_memory_desc bias = Dnnl.desc(new int[] {channels}, Layouts.vector());
        dnnl_primitive_attr attr = pointwisePost.withDepthwise(depthwisePost, stride);
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        boolean made = false;
        if (attr != null) {
            try {
                made = dnnl_convolution_forward_primitive_desc_create(pd, Dnnl.engine(), dnnl_forward_inference,
                        dnnl_convolution_direct, d.src, d.anyWeights, bias, d.dst, d.strides, d.dilations,
                        d.padBegin, d.padEnd, attr) == dnnl_success;
            } finally {
                dnnl_primitive_attr_destroy(attr);
            }
        }
        // "ref_fused_convolution" runs the two primitives one after the other through a scratch
        // tensor: slower than running them as two nodes
        if (made && Dnnl.isReference(pd)) {
            dnnl_primitive_desc_destroy(pd);
            made = false;
        }
        if (!made) {
            d.release();
            Dnnl.destroy(bias);
            return null;
        }
        Dnnl.destroy(d.anyWeights);
        Dnnl.destroy(d.dst);
        dnnl_memory_desc pointwiseLayout = Dnnl.queried(pd, dnnl_query_weights_md);
        dnnl_memory_desc depthwiseLayout = Dnnl.copy(dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md,
                DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS));
        PackedWeights pointwise = new PackedWeights(Dnnl.reorderUnlessSame(d.weights, pointwiseLayout),
                Dnnl.size(pointwiseLayout));
        // the depthwise weights [C, 1, 3, 3] are oneDNN's grouped [C, 1, 1, 3, 3]
        PackedWeights depthwise = new PackedWeights(Dnnl.reorderUnlessSame(
                Dnnl.desc(new int[] {channels, 1, 1, 3, 3}, Layouts.weights(2, true)), depthwiseLayout),
                Dnnl.size(depthwiseLayout));
        DnnlPrimitive primitive = new DnnlPrimitive(pd,
                new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST,
                        DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS, DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_BIAS},
                new dnnl_memory_desc[] {d.src, pointwiseLayout, bias, Dnnl.queried(pd, dnnl_query_dst_md),
                        depthwiseLayout, Dnnl.desc(new int[] {channels}, Layouts.vector())});
        int[] yShape = {xShape[0], channels, (xShape[2] - 1) / stride + 1, (xShape[3] - 1) / stride + 1};
        DnnlPointwiseDepthwise fused = new DnnlPointwiseDepthwise(primitive, pointwise, depthwise, yShape);
        return KernelTrial.choice(KernelTrial.Candidate.FUSED_DEPTHWISE) == KernelTrial.Choice.ALWAYS
                || fasterThanSeparate(fused, xShape, midShape, pointwisePost, stride, depthwisePost)
                ? fused : null;
    }

    /** Whether the fused primitive beats the two convolutions run as separate primitives ({@link KernelTrial}). */
    private static boolean fasterThanSeparate(DnnlPointwiseDepthwise fused, int[] xShape, int[] midShape,
                                              PostOps pointwisePost, int stride, PostOps depthwisePost) {
        int[] one = {1, 1};
        int[] zero = {0, 0};
        int channels = midShape[1];
        DnnlConvolution pointwise = DnnlConvolution.create(xShape, new int[] {channels, xShape[1], 1, 1}, midShape,
                1, true, one, one, zero, zero, pointwisePost, true);
        DnnlConvolution depthwise = DnnlConvolution.create(midShape, new int[] {channels, 1, 3, 3}, fused.yShape,
                channels, true, new int[] {stride, stride}, one, one, one, depthwisePost, true);
        return pointwise == null || depthwise == null
                || KernelTrial.fusedIsFaster(fused, pointwise, depthwise, xShape, midShape, fused.yShape);
    }

    /** Y's shape as stored, channels-last: [N, OH, OW, C]. */
    public int[] channelsLastOutput() {
        return new int[] {yShape[0], yShape[2], yShape[3], yShape[1]};
    }

    /** The pointwise weights' layout (for {@link ConstantWeights}). */
    PackedWeights pointwiseWeights() {
        return pointwiseWeights;
    }

    /** The depthwise weights' layout (for {@link ConstantWeights}). */
    PackedWeights depthwiseWeights() {
        return depthwiseWeights;
    }

    /**
     * Y = post(depthwise(post(X * W1 + B1), W2) + B2) into {@code y} (channels-last float32 host
     * tensors of the planned shapes): W1 and W2 prepared by {@link ConstantWeights#forPointwise} and
     * {@link ConstantWeights#forDepthwise}, B1 and B2 never null.
     */
    public void forward(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2, Tensor y) {
        CALLS.increment();
        run(x, w1.pointer(), b1, w2.pointer(), b2, y);
    }

    /** {@link #forward} with the weights at native addresses. */
    void run(Tensor x, Pointer w1, Tensor b1, Pointer w2, Tensor b2, Tensor y) {
        primitive.execute(x.pointer(), w1, b1.pointer(), y.pointer(), w2, b2.pointer());
    }

    /** How many fused calls ran in this process (tests check that the fused path was taken). */
    public static long calls() {
        return CALLS.sum();
    }
}
