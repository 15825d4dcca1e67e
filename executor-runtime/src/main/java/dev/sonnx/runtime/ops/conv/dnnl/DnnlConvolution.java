package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_direct;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_inference;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;

import dev.sonnx.runtime.tensor.Tensor;
import java.util.Arrays;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * A float32 oneDNN convolution forward for one shape, over tensors in their ONNX layouts (NC[D]HW
 * data, OI[D]HW weights, which oneDNN reads as GOIHW when grouped). Built once per input shape by
 * the Conv operator and shared by concurrent runs.
 */
public final class DnnlConvolution {
    private final DnnlPrimitive forward;

    private DnnlConvolution(DnnlPrimitive forward) {
        this.forward = forward;
    }

    /**
     * The primitive for a convolution of X {@code xShape} with W {@code wShape} into Y
     * {@code yShape}, or null when oneDNN is unavailable or cannot run this geometry (the caller then
     * uses its generic kernel).
     *
     * @param padBegin, padEnd paddings per spatial dimension (negative ones are left to the caller)
     * @param strides, dilations per spatial dimension, dilations in ONNX terms (1 = dense)
     */
    public static DnnlConvolution create(int[] xShape, int[] wShape, int[] yShape, int group, boolean bias,
                                         int[] strides, int[] dilations, int[] padBegin, int[] padEnd) {
        ConvDescs d = ConvDescs.of(xShape, wShape, yShape, group, strides, dilations, padBegin, padEnd);
        if (d == null) {
            return null;
        }
        dnnl_memory_desc biasDesc = bias ? Dnnl.desc(new int[] {yShape[1]}, org.bytedeco.dnnl.global.dnnl.dnnl_a)
                : null;
        dnnl_primitive_attr attr = Dnnl.userScratchpad();
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        try {
            int status = dnnl_convolution_forward_primitive_desc_create(pd, Dnnl.engine(), dnnl_forward_inference,
                    dnnl_convolution_direct, d.src, d.weights, biasDesc, d.dst, d.strides, d.dilations,
                    d.padBegin, d.padEnd, attr);
            if (status != org.bytedeco.dnnl.global.dnnl.dnnl_success) {
                d.release();
                if (biasDesc != null) {
                    dnnl_memory_desc_destroy(biasDesc);
                }
                return null;
            }
        } finally {
            dnnl_primitive_attr_destroy(attr);
        }
        return new DnnlConvolution(new DnnlPrimitive(pd,
                new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST},
                new dnnl_memory_desc[] {d.src, d.weights, biasDesc, d.dst}));
    }

    /** Y = conv(X, W) + B into {@code y} (float32 host tensors of the planned shapes; B may be null). */
    public void forward(Tensor x, Tensor w, Tensor b, Tensor y) {
        forward.execute(x.pointer(), w.pointer(), b == null ? null : b.pointer(), y.pointer());
    }

    /**
     * The memory descriptors and geometry arrays of a convolution in oneDNN terms, shared by the
     * forward and backward primitives.
     */
    static final class ConvDescs {
        final dnnl_memory_desc src;
        final dnnl_memory_desc weights;
        final dnnl_memory_desc dst;
        final long[] strides;
        final long[] dilations;
        final long[] padBegin;
        final long[] padEnd;

        private ConvDescs(dnnl_memory_desc src, dnnl_memory_desc weights, dnnl_memory_desc dst, long[] strides,
                          long[] dilations, long[] padBegin, long[] padEnd) {
            this.src = src;
            this.weights = weights;
            this.dst = dst;
            this.strides = strides;
            this.dilations = dilations;
            this.padBegin = padBegin;
            this.padEnd = padEnd;
        }

        /** Null when oneDNN cannot express the geometry (rank, empty or huge tensors, negative padding). */
        static ConvDescs of(int[] xShape, int[] wShape, int[] yShape, int group, int[] strides, int[] dilations,
                            int[] padBegin, int[] padEnd) {
            int r = xShape.length - 2;
            if (!Dnnl.available() || r < 1 || r > 3) {
                return null;
            }
            for (int[] s : new int[][] {xShape, wShape, yShape}) {
                for (int v : s) {
                    if (v <= 0) {
                        return null;
                    }
                }
            }
            long[] st = new long[r];
            long[] dil = new long[r];
            long[] pb = new long[r];
            long[] pe = new long[r];
            for (int i = 0; i < r; i++) {
                if (padBegin[i] < 0 || padEnd[i] < 0) {
                    return null;
                }
                st[i] = strides[i];
                dil[i] = dilations[i] - 1;     // oneDNN counts the gaps between taps
                pb[i] = padBegin[i];
                pe[i] = padEnd[i];
            }
            int[] weights = wShape;
            if (group > 1) {
                weights = new int[wShape.length + 1];
                weights[0] = group;
                weights[1] = wShape[0] / group;
                System.arraycopy(wShape, 1, weights, 2, wShape.length - 1);
            }
            dnnl_memory_desc src = Dnnl.desc(xShape, Layouts.data(r));
            dnnl_memory_desc w = Dnnl.desc(weights, Layouts.weights(r, group > 1));
            dnnl_memory_desc dst = Dnnl.desc(yShape, Layouts.data(r));
            return new ConvDescs(src, w, dst, st, dil, pb, pe);
        }

        void release() {
            for (dnnl_memory_desc md : Arrays.asList(src, weights, dst)) {
                dnnl_memory_desc_destroy(md);
            }
        }
    }
}
