package dev.sonnx.runtime.cuda;

import dev.sonnx.runtime.ops.kernel.SumTo;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;

/** Reductions over any set of axes with {@code reduce_f32}: ReduceSum/Mean/Max/Min and gradient sums. */
final class CudaReduce {
    private CudaReduce() {
    }

    /** Op codes of kernels.cu's R_*. */
    enum Op {
        SUM(0), MAX(1), MIN(2), SUM_SQUARE(3), SUM_ABS(4);

        final int code;

        Op(int code) {
            this.code = code;
        }
    }

    /**
     * Reduces {@code x} over the axes flagged in {@code reduced} (one flag per axis of x), multiplying
     * sums by {@code scale}; the result has x's shape with reduced axes dropped, viewed as {@code outShape}.
     * Null when x has more axes than the kernel takes.
     */
    static Tensor reduce(CudaDevice d, Op op, Tensor x, boolean[] reduced, float scale, int[] outShape) {
        // collapse: drop unit axes; merge neighbours with the same reduced flag
        int rank = x.rank();
        long[] dims = new long[rank];
        boolean[] flags = new boolean[rank];
        int n = 0;
        long nOut = 1;
        long nReduced = 1;
        for (int k = 0; k < rank; k++) {
            long dk = x.dim(k);
            if (reduced[k]) {
                nReduced *= dk;
            } else {
                nOut *= dk;
            }
            if (dk == 1) {
                continue;
            }
            if (n > 0 && flags[n - 1] == reduced[k]) {
                dims[n - 1] *= dk;
            } else {
                dims[n] = dk;
                flags[n] = reduced[k];
                n++;
            }
        }
        if (n > LaunchArgs.MAX_RANK) {
            return null;
        }
        Tensor y = d.uninitialized(DataType.FLOAT, outShape);
        if (nOut == 0) {
            return y;
        }
        if (nReduced == 0) {
            // an empty reduction: the sum of nothing, or the identity of max/min
            float v = op == Op.MAX ? Float.NEGATIVE_INFINITY : op == Op.MIN ? Float.POSITIVE_INFINITY : 0f;
            CudaFill.fill(d, y, v);
            return y;
        }
        int mask = 0;
        for (int k = 0; k < n; k++) {
            if (flags[k]) {
                mask |= 1 << k;
            }
        }
        long[] dd = java.util.Arrays.copyOf(dims, Math.max(n, 1));
        if (n == 0) {
            dd[0] = 1;
            n = 1;
        }
        CudaKernels k = d.kernels();
        k.launchPerBlock("reduce_f32", nOut, k.args().i32(op.code).ptr(CudaDevice.address(x))
                .ptr(CudaDevice.address(y)).i64(nOut).i64(nReduced).f32(scale).i32(n).dims(dd).i32(mask));
        return y;
    }

    /** {@code g} summed down to {@code shape} (the reverse of broadcasting {@code shape} up to g's). */
    static Tensor sumTo(CudaDevice d, Tensor g, int[] shape) {
        if (Shapes.equal(g.shape(), shape)) {
            return g;
        }
        int rank = g.rank();
        int off = rank - shape.length;
        boolean[] reduced = new boolean[rank];
        for (int k = 0; k < rank; k++) {
            reduced[k] = k < off ? true : shape[k - off] == 1 && g.dim(k) != 1;
        }
        Tensor r = reduce(d, Op.SUM, g, reduced, 1f, shape);
        if (r != null) {
            return r;
        }
        return d.on(SumTo.sumTo(g.toHost(), shape, dev.sonnx.runtime.cpu.CpuDevice.get()));
    }
}
