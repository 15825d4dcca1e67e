package dev.sonnx.runtime.ops.norm;

import dev.sonnx.runtime.tensor.Shapes;

/** Walks of a row-major index space. */
final class IndexSpace {
    private IndexSpace() {
    }

    /**
     * For every point of the index space {@code dims}, in row-major order, the sum of its indices times
     * {@code strides}: where that point lies in a strided (possibly broadcast, stride 0) view.
     */
    static int[] offsets(int[] dims, int[] strides) {
        int count = Shapes.size(dims);
        int[] r = new int[count];
        int[] idx = new int[dims.length];
        int off = 0;
        for (int i = 0; i < count; i++) {
            r[i] = off;
            for (int d = dims.length - 1; d >= 0; d--) {
                off += strides[d];
                if (++idx[d] < dims[d]) {
                    break;
                }
                off -= strides[d] * dims[d];
                idx[d] = 0;
            }
        }
        return r;
    }
}
