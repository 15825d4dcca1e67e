package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_direct;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_inference;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;

import dev.sonnx.runtime.tensor.Tensor;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.Pointer;

/**
 * A float32 oneDNN convolution forward for one shape. Data stay in ONNX's NC[D]HW layout (oneDNN
 * reorders internally where its kernels want blocks); the weights are reordered on each call from
 * OI[D]HW into the layout the primitive chose, because with plain weights oneDNN falls back to its
 * slow reference kernel, and the weights may change between calls (training), so the reordered
 * copy is not kept. Built once per input shape by the Conv operator and shared by concurrent runs.
 */
public final class DnnlConvolution {
    private final ConvGeometry geometry;
    private final DnnlPrimitive forward;
    /** Plain OI[D]HW to the primitive's weight layout; null when they coincide. */
    private final DnnlPrimitive weightsReorder;
    private final long weightsBytes;
    /** Built on the first backward call; {@link #NO_BACKWARD} when oneDNN refused it. */
    private volatile Object backward;
    private static final Object NO_BACKWARD = new Object();

    private DnnlConvolution(ConvGeometry geometry, DnnlPrimitive forward, DnnlPrimitive weightsReorder,
                            long weightsBytes) {
        this.geometry = geometry;
        this.forward = forward;
        this.weightsReorder = weightsReorder;
        this.weightsBytes = weightsBytes;
    }

    /**
     * The primitive for a convolution of X {@code xShape} with W {@code wShape} into Y
     * {@code yShape}, or null when oneDNN is unavailable or cannot run this geometry (the caller then
     * uses its generic kernel). Strides, dilations (ONNX's: 1 = dense) and paddings are per spatial
     * dimension.
     */
    public static DnnlConvolution create(int[] xShape, int[] wShape, int[] yShape, int group, boolean bias,
                                         int[] strides, int[] dilations, int[] padBegin, int[] padEnd) {
        ConvDescs d = ConvDescs.of(xShape, wShape, yShape, group, strides, dilations, padBegin, padEnd);
        if (d == null) {
            return null;
        }
        dnnl_memory_desc biasDesc = bias ? Dnnl.desc(new int[] {yShape[1]}, Layouts.vector()) : null;
        dnnl_primitive_attr attr = Dnnl.userScratchpad();
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        try {
            int status = dnnl_convolution_forward_primitive_desc_create(pd, Dnnl.engine(), dnnl_forward_inference,
                    dnnl_convolution_direct, d.src, d.anyWeights, biasDesc, d.dst, d.strides, d.dilations,
                    d.padBegin, d.padEnd, attr);
            if (status != dnnl_success) {
                d.release();
                Dnnl.destroy(biasDesc);
                return null;
            }
        } finally {
            dnnl_primitive_attr_destroy(attr);
        }
        dnnl_memory_desc chosen = Dnnl.queried(pd, dnnl_query_weights_md);
        DnnlPrimitive reorder = null;
        if (!Dnnl.sameLayout(chosen, d.weights)) {
            reorder = Dnnl.reorder(d.weights, Dnnl.copy(chosen));
        } else {
            Dnnl.destroy(d.weights);
        }
        Dnnl.destroy(d.anyWeights);
        long bytes = Dnnl.size(chosen);
        DnnlPrimitive fwd = new DnnlPrimitive(pd,
                new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST},
                new dnnl_memory_desc[] {d.src, chosen, biasDesc, d.dst});
        ConvGeometry geometry = new ConvGeometry(xShape, wShape, yShape, group, strides, dilations, padBegin, padEnd);
        return new DnnlConvolution(geometry, fwd, reorder, bytes);
    }

    /** Y = conv(X, W) + B into {@code y} (float32 host tensors of the planned shapes; B may be null). */
    public void forward(Tensor x, Tensor w, Tensor b, Tensor y) {
        Pointer bias = b == null ? null : b.pointer();
        if (weightsReorder == null) {
            forward.execute(x.pointer(), w.pointer(), bias, y.pointer());
            return;
        }
        Pointer weights = Scratch.get(Scratch.WEIGHTS, weightsBytes);
        weightsReorder.execute(w.pointer(), weights);
        forward.execute(x.pointer(), weights, bias, y.pointer());
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
