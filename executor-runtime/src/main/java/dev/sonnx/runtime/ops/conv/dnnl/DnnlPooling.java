package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_inference;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_avg_exclude_padding;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_avg_include_padding;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_pooling_max;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;

import dev.sonnx.runtime.tensor.Tensor;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * A float32 oneDNN pooling forward (inference) for one shape, over NC[D]HW tensors. Built once per
 * input shape by MaxPool and AveragePool and shared by concurrent runs; they keep their own kernels
 * for the Indices output, for backward and for other types.
 */
public final class DnnlPooling {
    /** The pooling function. */
    public enum Kind {
        MAX,
        /** The mean over the taps inside the image. */
        AVERAGE_EXCLUDING_PADDING,
        /** The sum over the window divided by its full tap count (padding counted). */
        AVERAGE_INCLUDING_PADDING
    }

    /**
     * Multiply-add equivalents an element read or written counts as: a pool streams its image and
     * does little else. At 16, tinyyolov2's last three pools at batch 1 (52 x 52 x 128 and smaller
     * images) run on the calling thread: on a busy host they took 0.12-0.15 ms a call alone against
     * 0.16-0.21 on the team (per-node profiles, 40 runs). At 4, its 208 x 208 x 32 pool ran alone
     * too, and took 0.39 ms against 0.28.
     */
    private static final long WORK_PER_ELEMENT = 16;

    private final DnnlPrimitive forward;

    private DnnlPooling(DnnlPrimitive forward) {
        this.forward = forward;
    }

    /**
     * The primitive pooling X {@code xShape} into Y {@code yShape}, or null when oneDNN is unavailable
     * or cannot express the geometry. {@code padEnd} may exceed the attribute's end padding by a
     * ceil-mode overhang (the extent the last window runs past the padded image), which oneDNN treats
     * as padding: ignored by MAX and AVERAGE_EXCLUDING_PADDING, which is why the caller must not ask
     * for AVERAGE_INCLUDING_PADDING with an overhang.
     */
    public static DnnlPooling create(Kind kind, int[] xShape, int[] yShape, int[] kernel, int[] strides,
                                     int[] dilations, int[] padBegin, int[] padEnd) {
        return create(kind, xShape, yShape, kernel, strides, dilations, padBegin, padEnd, false);
    }

    /** The same over channels-last data when {@code channelsLast} (the shapes given stay N, C, spatial...). */
    public static DnnlPooling create(Kind kind, int[] xShape, int[] yShape, int[] kernel, int[] strides,
                                     int[] dilations, int[] padBegin, int[] padEnd, boolean channelsLast) {
        Geometry g = Geometry.of(xShape, yShape, kernel, strides, dilations, padBegin, padEnd);
        if (g == null) {
            return null;
        }
        long work = work(xShape, yShape, kernel);
        return OpenMpTeam.createdFor(work, () -> build(kind, xShape, yShape, g, channelsLast, work));
    }

    /**
     * The work of a pooling in multiply-add equivalents (for {@link OpenMpTeam#serial}): each element
     * read or written, and a tap for each output's window. Waking the team costs more than a small
     * pool takes.
     */
    private static long work(int[] xShape, int[] yShape, int[] kernel) {
        long in = 1;
        long out = 1;
        for (int i = 0; i < xShape.length; i++) {
            in *= xShape[i];
            out *= yShape[i];
        }
        long taps = 1;
        for (int k : kernel) {
            taps *= k;
        }
        return WORK_PER_ELEMENT * (in + out) + out * taps;
    }

    private static DnnlPooling build(Kind kind, int[] xShape, int[] yShape, Geometry g, boolean channelsLast,
                                     long work) {
        int r = g.spatialRank();
        int alg = kind == Kind.MAX ? dnnl_pooling_max
                : kind == Kind.AVERAGE_EXCLUDING_PADDING ? dnnl_pooling_avg_exclude_padding
                : dnnl_pooling_avg_include_padding;
        dnnl_memory_desc src = Dnnl.desc(xShape, Layouts.data(r, channelsLast));
        dnnl_memory_desc dst = Dnnl.desc(yShape, Layouts.data(r, channelsLast));
        dnnl_primitive_attr attr = Dnnl.userScratchpad();
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        try {
            if (dnnl_pooling_forward_primitive_desc_create(pd, Dnnl.engine(), dnnl_forward_inference, alg, src, dst,
                    g.strides, g.kernel, g.dilations, g.padBegin, g.padEnd, attr) != dnnl_success) {
                Dnnl.destroy(src);
                Dnnl.destroy(dst);
                return null;
            }
        } finally {
            dnnl_primitive_attr_destroy(attr);
        }
        return new DnnlPooling(new DnnlPrimitive(pd, new int[] {DNNL_ARG_SRC, DNNL_ARG_DST},
                new dnnl_memory_desc[] {src, dst}, work));
    }

    /** A pooling window in oneDNN's terms (dilations counted from 0). */
    record Geometry(long[] kernel, long[] strides, long[] dilations, long[] padBegin, long[] padEnd) {
        int spatialRank() {
            return kernel.length;
        }

        /** The window for X {@code xShape} pooled into {@code yShape}, or null where oneDNN cannot take it. */
        static Geometry of(int[] xShape, int[] yShape, int[] kernel, int[] strides, int[] dilations, int[] padBegin,
                           int[] padEnd) {
            int r = xShape.length - 2;
            if (!Dnnl.available() || r < 1 || r > 3) {
                return null;
            }
            for (int[] s : new int[][] {xShape, yShape}) {
                for (int v : s) {
                    if (v <= 0) {
                        return null;
                    }
                }
            }
            Geometry g = new Geometry(new long[r], new long[r], new long[r], new long[r], new long[r]);
            for (int i = 0; i < r; i++) {
                if (padBegin[i] < 0 || padEnd[i] < 0) {
                    return null;
                }
                g.kernel[i] = kernel[i];
                g.strides[i] = strides[i];
                g.dilations[i] = dilations[i] - 1;
                g.padBegin[i] = padBegin[i];
                g.padEnd[i] = padEnd[i];
            }
            return g;
        }
    }

    /** Whether it runs on the calling thread alone (a small pool) rather than on the OpenMP team. */
    boolean runsAlone() {
        return forward.serial();
    }

    /** Y = pool(X) into {@code y} (float32 host tensors of the planned shapes). */
    public void forward(Tensor x, Tensor y) {
        forward.execute(x.pointer(), y.pointer());
    }
}
