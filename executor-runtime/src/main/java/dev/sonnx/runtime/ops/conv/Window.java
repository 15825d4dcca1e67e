package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.tensor.Shapes;
import java.util.Arrays;

/**
 * A sliding window resolved for one input shape: the spatial dimensions of the image it slides over,
 * the kernel, strides, dilations, begin/end paddings and the number of window positions along each
 * dimension. Convolution and pooling read the image at the window's taps; transposed convolution and
 * Col2Im write it (there the image is the output and the positions are the input).
 *
 * <p>{@link #table()} flattens the geometry once: for every kernel tap and window position, the
 * offset of the image element it touches, or -1 where the tap falls into padding. Every kernel of
 * this package (im2col, col2im, pooling) is then a plain gather or scatter over that table, whatever
 * the spatial rank.
 */
public final class Window {
    final int rank;
    final int[] image;
    final int[] kernel;
    final int[] strides;
    final int[] dilations;
    final int[] padBegin;
    final int[] padEnd;
    final int[] positions;
    final int imageSize;
    final int kernelSize;
    final int positionCount;
    private volatile int[] table;
    private volatile int[] paddedPositions;

    Window(int[] image, int[] kernel, int[] strides, int[] dilations, int[] padBegin, int[] padEnd,
           int[] positions) {
        this.rank = image.length;
        this.image = image.clone();
        this.kernel = kernel.clone();
        this.strides = strides.clone();
        this.dilations = dilations.clone();
        this.padBegin = padBegin.clone();
        this.padEnd = padEnd.clone();
        this.positions = positions.clone();
        this.imageSize = Shapes.size(image);
        this.kernelSize = Shapes.size(kernel);
        this.positionCount = Shapes.size(positions);
        if ((long) kernelSize * positionCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a kernel of " + kernelSize + " taps over " + positionCount
                    + " window positions is too large");
        }
    }

    public int rank() {
        return rank;
    }

    /** Window positions per spatial dimension: the output spatial shape of a convolution or pool. */
    public int[] positions() {
        return positions.clone();
    }

    public int positionCount() {
        return positionCount;
    }

    public int imageSize() {
        return imageSize;
    }

    public int kernelSize() {
        return kernelSize;
    }

    public int[] image() {
        return image.clone();
    }

    public int[] kernel() {
        return kernel.clone();
    }

    public int[] strides() {
        return strides.clone();
    }

    public int[] dilations() {
        return dilations.clone();
    }

    public int[] padBegin() {
        return padBegin.clone();
    }

    public int[] padEnd() {
        return padEnd.clone();
    }

    /**
     * End paddings that make floor((image + begin + end - extent) / stride) + 1 give exactly the
     * window positions: the given end padding plus whatever a ceil-mode last window overhangs it.
     */
    public int[] padEndCoveringPositions() {
        int[] r = new int[rank];
        for (int d = 0; d < rank; d++) {
            r[d] = Math.max(padEnd[d], (positions[d] - 1) * strides[d] + extent(d) - image[d] - padBegin[d]);
        }
        return r;
    }

    /** The effective (dilated) kernel extent along dimension {@code d}. */
    int extent(int d) {
        return (kernel[d] - 1) * dilations[d] + 1;
    }

    /**
     * True when the window is the identity map (1-tap kernel, stride 1, no padding): im2col of the
     * image is the image itself, so callers skip the copy.
     */
    boolean isIdentity() {
        for (int d = 0; d < rank; d++) {
            if (kernel[d] != 1 || strides[d] != 1 || padBegin[d] != 0 || positions[d] != image[d]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Image coordinate of kernel tap {@code k} at window position {@code p} along dimension {@code d}
     * (may fall outside the image, in padding).
     */
    int coordinate(int d, int k, int p) {
        return p * strides[d] - padBegin[d] + k * dilations[d];
    }

    /**
     * The gather table, {@code kernelSize * positionCount} entries laid out tap-major: entry
     * {@code k * positionCount + p} is the image offset read by tap {@code k} at position {@code p},
     * or -1 in padding. Built on first use and kept (a Window is cached per input shape).
     */
    public int[] table() {
        int[] t = table;
        if (t == null) {
            t = buildTable();
            table = t;
        }
        return t;
    }

    /**
     * The flat indices (row-major over the positions, ascending) of the window positions with a tap
     * in the padding. Built on first use and kept.
     */
    public int[] paddedPositions() {
        int[] r = paddedPositions;
        if (r == null) {
            r = buildPaddedPositions();
            paddedPositions = r;
        }
        return r;
    }

    private int[] buildPaddedPositions() {
        // per dimension, whether position p's window reaches outside the image
        boolean[][] out = new boolean[rank][];
        for (int d = 0; d < rank; d++) {
            out[d] = new boolean[positions[d]];
            for (int p = 0; p < positions[d]; p++) {
                out[d][p] = coordinate(d, 0, p) < 0 || coordinate(d, kernel[d] - 1, p) >= image[d];
            }
        }
        int[] r = new int[positionCount];
        int n = 0;
        int[] pos = new int[rank];
        for (int flat = 0; flat < positionCount; flat++) {
            boolean padded = false;
            for (int d = 0; d < rank && !padded; d++) {
                padded = out[d][pos[d]];
            }
            if (padded) {
                r[n++] = flat;
            }
            for (int d = rank - 1; d >= 0 && ++pos[d] == positions[d]; d--) {
                pos[d] = 0;
            }
        }
        return Arrays.copyOf(r, n);
    }

    private int[] buildTable() {
        int[] t = new int[kernelSize * positionCount];
        if (t.length == 0) {
            return t;
        }
        int[] imageStrides = Shapes.strides(image);
        int last = rank - 1;
        int inner = positions[last];
        int outer = positionCount / inner;
        // offsets[d][p]: image offset contributed by dimension d at position p for the current tap, -1 outside
        int[][] offsets = new int[rank][];
        for (int d = 0; d < rank; d++) {
            offsets[d] = new int[positions[d]];
        }
        int[] tap = new int[rank];
        int[] pos = new int[rank];
        for (int k = 0; k < kernelSize; k++) {
            for (int d = 0; d < rank; d++) {
                for (int p = 0; p < positions[d]; p++) {
                    int c = coordinate(d, tap[d], p);
                    offsets[d][p] = c >= 0 && c < image[d] ? c * imageStrides[d] : -1;
                }
            }
            int at = k * positionCount;
            Arrays.fill(pos, 0);
            int[] lastOffsets = offsets[last];
            for (int o = 0; o < outer; o++) {
                int base = 0;
                for (int d = 0; d < last && base >= 0; d++) {
                    int v = offsets[d][pos[d]];
                    base = v < 0 ? -1 : base + v;
                }
                if (base < 0) {
                    Arrays.fill(t, at, at + inner, -1);
                } else {
                    for (int j = 0; j < inner; j++) {
                        int v = lastOffsets[j];
                        t[at + j] = v < 0 ? -1 : base + v;
                    }
                }
                at += inner;
                for (int d = last - 1; d >= 0 && ++pos[d] == positions[d]; d--) {
                    pos[d] = 0;
                }
            }
            for (int d = last; d >= 0 && ++tap[d] == kernel[d]; d--) {
                tap[d] = 0;
            }
        }
        return t;
    }

    @Override
    public String toString() {
        return "Window{image=" + Arrays.toString(image) + ", kernel=" + Arrays.toString(kernel) + ", strides="
                + Arrays.toString(strides) + ", dilations=" + Arrays.toString(dilations) + ", pads="
                + Arrays.toString(padBegin) + Arrays.toString(padEnd) + ", positions="
                + Arrays.toString(positions) + "}";
    }
}
