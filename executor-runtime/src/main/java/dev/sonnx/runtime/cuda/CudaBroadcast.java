package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.tensor.Shapes;

/**
 * The index plan of a broadcasting kernel: the output dims and, for each operand, the element
 * stride along each output axis (0 where it broadcasts). Adjacent axes along which every operand is
 * laid out contiguously are merged, so that most shapes fit the kernels' {@link LaunchArgs#MAX_RANK}.
 */
final class CudaBroadcast {
    final long[] dims;
    final long[][] strides;

    private CudaBroadcast(long[] dims, long[][] strides) {
        this.dims = dims;
        this.strides = strides;
    }

    /** The plan for operands of {@code shapes} read in the broadcast shape {@code out}; null above MAX_RANK. */
    static CudaBroadcast of(int[] out, int[]... shapes) {
        int rank = out.length;
        long[][] st = new long[shapes.length][];
        for (int s = 0; s < shapes.length; s++) {
            int[] b = Shapes.broadcastStrides(shapes[s], out);
            st[s] = new long[rank];
            for (int k = 0; k < rank; k++) {
                st[s][k] = out[k] == 1 ? 0 : b[k];
            }
        }
        long[] dims = new long[rank];
        for (int k = 0; k < rank; k++) {
            dims[k] = out[k];
        }
        // merge axis k into k-1 where every operand's stride chains: s[k-1] == s[k] * d[k]
        int n = 0;
        long[] md = new long[rank];
        long[][] ms = new long[shapes.length][rank];
        for (int k = 0; k < rank; k++) {
            if (dims[k] == 1) {
                continue;   // a unit axis moves nothing
            }
            boolean merge = n > 0;
            for (int s = 0; s < shapes.length && merge; s++) {
                merge = ms[s][n - 1] == st[s][k] * dims[k];
            }
            if (merge) {
                md[n - 1] *= dims[k];
                for (int s = 0; s < shapes.length; s++) {
                    ms[s][n - 1] = st[s][k];
                }
            } else {
                md[n] = dims[k];
                for (int s = 0; s < shapes.length; s++) {
                    ms[s][n] = st[s][k];
                }
                n++;
            }
        }
        if (n == 0) {
            n = 1;
            md[0] = 1;
        }
        if (n > LaunchArgs.MAX_RANK) {
            return null;
        }
        long[] d = java.util.Arrays.copyOf(md, n);
        long[][] s = new long[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            s[i] = java.util.Arrays.copyOf(ms[i], n);
        }
        return new CudaBroadcast(d, s);
    }

    int rank() {
        return dims.length;
    }
}
