package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_backward_data_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_backward_weights_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_direct;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;

import dev.sonnx.runtime.tensor.Tensor;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.Pointer;

/**
 * The float32 oneDNN backward passes of one convolution: dX from dY and W (backward data) and dW from
 * X and dY (backward weights), over tensors in ONNX's layouts. As in the forward, the weights (and
 * the weight gradient) travel through the layout oneDNN chose, reordered on each call.
 */
final class DnnlConvolutionBackward {
    private final DnnlPrimitive data;
    private final DnnlPrimitive dataWeightsReorder;
    private final long dataWeightsBytes;
    private final DnnlPrimitive weights;
    /** The chosen weight-gradient layout back to OI[D]HW; null when they coincide. */
    private final DnnlPrimitive gradientReorder;
    private final long gradientBytes;

    private DnnlConvolutionBackward(DnnlPrimitive data, DnnlPrimitive dataWeightsReorder, long dataWeightsBytes,
                                    DnnlPrimitive weights, DnnlPrimitive gradientReorder, long gradientBytes) {
        this.data = data;
        this.dataWeightsReorder = dataWeightsReorder;
        this.dataWeightsBytes = dataWeightsBytes;
        this.weights = weights;
        this.gradientReorder = gradientReorder;
        this.gradientBytes = gradientBytes;
    }

    /** The backward primitives, or null when oneDNN refuses them for this geometry. */
    static DnnlConvolutionBackward create(ConvGeometry g) {
        return create(g.descs());
    }

    /** The same for these descriptors (released here), or null. */
    static DnnlConvolutionBackward create(ConvDescs d) {
        if (d == null) {
            return null;
        }
        dnnl_primitive_attr attr = Dnnl.userScratchpad();
        dnnl_primitive_desc hint = new dnnl_primitive_desc();
        dnnl_primitive_desc dataPd = new dnnl_primitive_desc();
        dnnl_primitive_desc weightsPd = new dnnl_primitive_desc();
        try {
            if (dnnl_convolution_forward_primitive_desc_create(hint, Dnnl.engine(), dnnl_forward_training,
                    dnnl_convolution_direct, d.src, d.anyWeights, null, d.dst, d.strides, d.dilations, d.padBegin,
                    d.padEnd, attr) != dnnl_success) {
                return null;
            }
            if (dnnl_convolution_backward_data_primitive_desc_create(dataPd, Dnnl.engine(), dnnl_convolution_direct,
                    d.src, d.anyWeights, d.dst, d.strides, d.dilations, d.padBegin, d.padEnd, hint,
                    attr) != dnnl_success) {
                return null;
            }
            if (dnnl_convolution_backward_weights_primitive_desc_create(weightsPd, Dnnl.engine(),
                    dnnl_convolution_direct, d.src, d.anyWeights, null, d.dst, d.strides, d.dilations, d.padBegin,
                    d.padEnd, hint, attr) != dnnl_success) {
                return null;
            }
            dnnl_memory_desc dataWeights = Dnnl.queried(dataPd, dnnl_query_weights_md);
            DnnlPrimitive dataReorder = Dnnl.sameLayout(dataWeights, d.weights) ? null
                    : Dnnl.reorder(Dnnl.copy(d.weights), Dnnl.copy(dataWeights));
            dnnl_primitive_desc owned = dataPd;
            dataPd = null;   // the primitive owns it from here, even if its creation fails
            DnnlPrimitive dataPrimitive = new DnnlPrimitive(owned,
                    new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC},
                    new dnnl_memory_desc[] {Dnnl.copy(d.dst), dataWeights, Dnnl.copy(d.src)});
            dnnl_memory_desc gradient = Dnnl.queried(weightsPd, dnnl_query_diff_weights_md);
            DnnlPrimitive gradientReorder = Dnnl.sameLayout(gradient, d.weights) ? null
                    : Dnnl.reorder(Dnnl.copy(gradient), Dnnl.copy(d.weights));
            owned = weightsPd;
            weightsPd = null;
            DnnlPrimitive weightsPrimitive = new DnnlPrimitive(owned,
                    new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS},
                    new dnnl_memory_desc[] {Dnnl.copy(d.src), Dnnl.copy(d.dst), gradient});
            return new DnnlConvolutionBackward(dataPrimitive, dataReorder, Dnnl.size(dataWeights), weightsPrimitive,
                    gradientReorder, Dnnl.size(gradient));
        } finally {
            dnnl_primitive_attr_destroy(attr);
            for (dnnl_primitive_desc pd : new dnnl_primitive_desc[] {hint, dataPd, weightsPd}) {
                if (pd != null && !pd.isNull()) {
                    dnnl_primitive_desc_destroy(pd);
                }
            }
            d.release();
        }
    }

    /** dX = conv_backward_data(dY, W) into {@code gx}. */
    void data(Tensor gy, Tensor w, Tensor gx) {
        Pointer weights = w.pointer();
        if (dataWeightsReorder != null) {
            weights = Scratch.get(Scratch.WEIGHTS, dataWeightsBytes);
            dataWeightsReorder.execute(w.pointer(), weights);
        }
        data.execute(gy.pointer(), weights, gx.pointer());
    }

    /** dW = conv_backward_weights(X, dY) into {@code gw} (OI[D]HW). */
    void weights(Tensor x, Tensor gy, Tensor gw) {
        if (gradientReorder == null) {
            weights.execute(x.pointer(), gy.pointer(), gw.pointer());
            return;
        }
        Pointer gradient = Scratch.get(Scratch.EXTRA, gradientBytes);
        weights.execute(x.pointer(), gy.pointer(), gradient);
        gradientReorder.execute(gradient, gw.pointer());
    }
}
