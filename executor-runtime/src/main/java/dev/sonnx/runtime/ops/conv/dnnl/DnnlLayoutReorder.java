package dev.sonnx.runtime.ops.conv.dnnl;

import dev.sonnx.runtime.tensor.Tensor;
import org.bytedeco.dnnl.dnnl_memory_desc;

/**
 * A float32 oneDNN reorder between an image's plain [N, C, spatial...] layout and channels-last
 * [N, spatial..., C], for one shape (jit code; a general transpose is several times slower).
 */
public final class DnnlLayoutReorder {
    private final DnnlPrimitive reorder;

    private DnnlLayoutReorder(DnnlPrimitive reorder) {
        this.reorder = reorder;
    }

    /**
     * The reorder of an image of logical shape {@code [N, C, spatial...]} (1 to 3 spatial dimensions)
     * into channels-last ({@code toChannelsLast}) or back; null without oneDNN or for empty images.
     */
    public static DnnlLayoutReorder create(int[] logicalShape, boolean toChannelsLast) {
        int r = logicalShape.length - 2;
        if (!Dnnl.available() || r < 1 || r > 3) {
            return null;
        }
        for (int v : logicalShape) {
            if (v <= 0) {
                return null;
            }
        }
        dnnl_memory_desc plain = Dnnl.desc(logicalShape, Layouts.data(r, false));
        dnnl_memory_desc last = Dnnl.desc(logicalShape, Layouts.data(r, true));
        return new DnnlLayoutReorder(toChannelsLast ? Dnnl.reorder(plain, last) : Dnnl.reorder(last, plain));
    }

    /** Copies {@code from} into {@code to} in the other layout. */
    public void run(Tensor from, Tensor to) {
        reorder.execute(from.pointer(), to.pointer());
    }
}
