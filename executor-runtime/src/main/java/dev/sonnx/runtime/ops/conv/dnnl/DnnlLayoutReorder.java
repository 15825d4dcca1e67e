package dev.sonnx.runtime.ops.conv.dnnl;

import dev.sonnx.runtime.tensor.Tensor;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.javacpp.Pointer;

/**
 * A float32 oneDNN reorder between an image's plain [N, C, spatial...] layout and channels-last
 * [N, spatial..., C], for one shape (jit code; a general transpose is several times slower).
 *
 * <p>Images of up to {@link #ALONE_CHANNELS} channels (a network's input) are reordered on the
 * calling thread alone: oneDNN's second thread gains nothing there, and on a loaded machine the
 * call then waits for it. 3-channel images into a zero border, warm, medians of 300 calls: 224 x 224
 * 18-23 us alone against 27-62 on two threads, 416 x 416 87-91 against 181-187, and at batch 8
 * 204-213 against 219-227 and 673 against 712. In resnet18's run at batch 1 on a loaded machine
 * (a busy loop per core at nice 10), the team's reorder took 0.41 ms.
 */
public final class DnnlLayoutReorder {
    /** Most channels of an image reordered on the calling thread alone. */
    static final int ALONE_CHANNELS = 4;

    private final DnnlPrimitive reorder;
    /** Where the image starts in the destination, in bytes (past a zero border; 0 without one). */
    private final long destinationOffset;

    private DnnlLayoutReorder(DnnlPrimitive reorder, long destinationOffset) {
        this.reorder = reorder;
        this.destinationOffset = destinationOffset;
    }

    /**
     * The reorder of an image of logical shape {@code [N, C, spatial...]} (1 to 3 spatial dimensions)
     * into channels-last ({@code toChannelsLast}) or back; null without oneDNN or for empty images.
     */
    public static DnnlLayoutReorder create(int[] logicalShape, boolean toChannelsLast) {
        if (!reorderable(logicalShape)) {
            return null;
        }
        int r = logicalShape.length - 2;
        dnnl_memory_desc plain = Dnnl.desc(logicalShape, Layouts.data(r, false));
        dnnl_memory_desc last = Dnnl.desc(logicalShape, Layouts.data(r, true));
        boolean alone = logicalShape[1] <= ALONE_CHANNELS;
        return new DnnlLayoutReorder(toChannelsLast ? Dnnl.reorder(plain, last, alone)
                : Dnnl.reorder(last, plain, alone), 0);
    }

    /**
     * The reorder of a plain image of logical shape {@code [N, C, spatial...]} into the middle of a
     * channels-last image grown by {@code pads} ([begin..., end...] per spatial axis), whose border
     * the caller zeroes; null without oneDNN or for empty images.
     */
    public static DnnlLayoutReorder createPadded(int[] logicalShape, int[] pads) {
        int r = logicalShape.length - 2;
        if (!reorderable(logicalShape) || pads.length != 2 * r) {
            return null;
        }
        int c = logicalShape[1];
        // strides of the grown [N, spatial..., C] buffer, in elements, for the logical axes
        long[] strides = new long[r + 2];
        strides[1] = 1;
        long step = c;
        for (int d = r - 1; d >= 0; d--) {
            strides[d + 2] = step;
            step *= logicalShape[d + 2] + pads[d] + pads[r + d];
        }
        strides[0] = step;
        long offset = 0;
        for (int d = 0; d < r; d++) {
            offset += pads[d] * strides[d + 2];
        }
        dnnl_memory_desc plain = Dnnl.desc(logicalShape, Layouts.data(r, false));
        return new DnnlLayoutReorder(Dnnl.reorder(plain, Dnnl.strided(logicalShape, strides), c <= ALONE_CHANNELS),
                offset * Float.BYTES);
    }

    /** Whether oneDNN is here and takes images of this shape: 1 to 3 spatial dimensions, none empty. */
    private static boolean reorderable(int[] logicalShape) {
        int r = logicalShape.length - 2;
        if (!Dnnl.available() || r < 1 || r > 3) {
            return false;
        }
        for (int v : logicalShape) {
            if (v <= 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether it runs on the calling thread alone. */
    boolean runsAlone() {
        return reorder.serial();
    }

    /** Copies {@code from} into {@code to} in the other layout (into its middle, for a padded reorder). */
    public void run(Tensor from, Tensor to) {
        Pointer destination = to.pointer();
        reorder.execute(from.pointer(), destinationOffset == 0 ? destination
                : destination.position(destination.position() + destinationOffset));
    }
}
