package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.dnnl_format_tag_any;

import org.bytedeco.dnnl.dnnl_memory_desc;

/**
 * The memory descriptors and geometry of a convolution in oneDNN terms: data in ONNX's plain layouts,
 * weights both plain (as the tensor holds them) and "any" (for the primitive to choose), dilations
 * counted as oneDNN does (gaps between taps), paddings as longs. The caller takes ownership of the
 * descriptors.
 */
final class ConvDescs {
    final dnnl_memory_desc src;
    final dnnl_memory_desc weights;
    final dnnl_memory_desc anyWeights;
    final dnnl_memory_desc dst;
    final long[] strides;
    final long[] dilations;
    final long[] padBegin;
    final long[] padEnd;

    private ConvDescs(dnnl_memory_desc src, dnnl_memory_desc weights, dnnl_memory_desc anyWeights,
                      dnnl_memory_desc dst, long[] strides, long[] dilations, long[] padBegin, long[] padEnd) {
        this.src = src;
        this.weights = weights;
        this.anyWeights = anyWeights;
        this.dst = dst;
        this.strides = strides;
        this.dilations = dilations;
        this.padBegin = padBegin;
        this.padEnd = padEnd;
    }

    /**
     * Null when oneDNN cannot express the geometry: oneDNN unavailable, 0 or more than 3 spatial
     * dimensions, empty tensors, negative padding.
     */
    static ConvDescs of(int[] xShape, int[] wShape, int[] yShape, int group, int[] strides, int[] dilations,
                        int[] padBegin, int[] padEnd) {
        return of(xShape, wShape, yShape, group, strides, dilations, padBegin, padEnd, false);
    }

    /**
     * The same with data channels-last when {@code channelsLast} (X and Y hold N, spatial..., C; the
     * shapes here stay N, C, spatial...).
     */
    static ConvDescs of(int[] xShape, int[] wShape, int[] yShape, int group, int[] strides, int[] dilations,
                        int[] padBegin, int[] padEnd, boolean channelsLast) {
        int r = xShape.length - 2;
        if (!Dnnl.available() || r < 1 || r > 3) {
            return null;
        }
        return of(xShape, wShape, yShape, group, strides, dilations, padBegin, padEnd, Layouts.data(r, channelsLast));
    }

    /** The same with X and Y in the oneDNN layout {@code dataTag}. */
    static ConvDescs of(int[] xShape, int[] wShape, int[] yShape, int group, int[] strides, int[] dilations,
                        int[] padBegin, int[] padEnd, int dataTag) {
        if (xShape.length < 3 || xShape.length > 5) {
            return null;
        }
        // grouped weights [G*O, I, k...] are the same bytes as oneDNN's [G, O, I, k...]
        int[] weights = wShape;
        if (group > 1) {
            weights = new int[wShape.length + 1];
            weights[0] = group;
            weights[1] = wShape[0] / group;
            System.arraycopy(wShape, 1, weights, 2, wShape.length - 1);
        }
        return of(xShape, wShape, weights, Layouts.weights(xShape.length - 2, group > 1), yShape, strides, dilations,
                padBegin, padEnd, dataTag);
    }

    /**
     * A transposed convolution's (oneDNN's deconvolution) in the plain layouts: W as ONNX holds it,
     * [I, O/G, k...], which oneDNN reads as O, I, k... (G, O/G, I/G, k...) with I first in memory;
     * {@code padEnd} as oneDNN counts it, net of the output padding. Null where {@link #of} is.
     */
    static ConvDescs transposed(int[] xShape, int[] wShape, int[] yShape, int group, int[] strides,
                                int[] dilations, int[] padBegin, int[] padEnd) {
        int r = xShape.length - 2;
        if (r < 1 || r > 3) {
            return null;
        }
        int g = group > 1 ? 1 : 0;
        int[] weights = new int[wShape.length + g];
        if (group > 1) {
            weights[0] = group;
        }
        weights[g] = wShape[1];
        weights[g + 1] = wShape[0] / group;
        System.arraycopy(wShape, 2, weights, g + 2, r);
        return of(xShape, wShape, weights, Layouts.transposedWeights(r, group > 1), yShape, strides, dilations,
                padBegin, padEnd, Layouts.data(r));
    }

    /** {@code weights}: W's dimensions as oneDNN counts them, held in the layout {@code weightsTag}. */
    private static ConvDescs of(int[] xShape, int[] wShape, int[] weights, int weightsTag, int[] yShape,
                                int[] strides, int[] dilations, int[] padBegin, int[] padEnd, int dataTag) {
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
            dil[i] = dilations[i] - 1;
            pb[i] = padBegin[i];
            pe[i] = padEnd[i];
        }
        return new ConvDescs(Dnnl.desc(xShape, dataTag), Dnnl.desc(weights, weightsTag),
                Dnnl.desc(weights, dnnl_format_tag_any), Dnnl.desc(yShape, dataTag), st, dil, pb, pe);
    }

    void release() {
        Dnnl.destroy(src);
        Dnnl.destroy(weights);
        Dnnl.destroy(anyWeights);
        Dnnl.destroy(dst);
    }
}
