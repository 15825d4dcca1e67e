package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.ops.conv.dnnl.ConstantWeights;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlMatMul;
import dev.sonnx.runtime.ops.conv.dnnl.PostOps;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.Arrays;

/**
 * A float32 product planned for oneDNN for one pair of operand shapes (see {@link DnnlMatMul}): the
 * oneDNN view of the operands and, for a B that never changes, B packed once in the primitive's
 * layout. oneDNN's shape-specialised kernels take a half to a quarter of OpenBLAS's time on the small
 * products of transformers.
 */
final class DnnlProduct {
    /** The cached answer "oneDNN does not take this shape". */
    static final DnnlProduct NONE = new DnnlProduct(null);

    final DnnlMatMul dnnl;
    /** The constant B in this primitive's layout, looked up on first use. */
    private volatile Tensor prepared;

    private DnnlProduct(DnnlMatMul dnnl) {
        this.dnnl = dnnl;
    }

    /**
     * MatMul's product of A {@code a} and B {@code b} ({@code s} their numpy.matmul shapes) with an
     * optional bias of length N and post-ops; {@link #NONE} when oneDNN does not take it.
     */
    static DnnlProduct matMul(int[] a, int[] b, MatMulShape s, boolean bias, boolean constantB, PostOps post) {
        int[] a2;
        int[] b2;
        int[] y2;
        if (s.foldsIntoOneProduct()) {
            // a batch of A rows over one B: a single (batch * m) x k by k x n product
            a2 = new int[] {s.batch * s.m, s.k};
            b2 = new int[] {s.k, s.n};
            y2 = new int[] {s.batch * s.m, s.n};
        } else {
            int r = s.batchShape.length + 2;
            a2 = withMatrix(batchOf(a, r - 2), s.m, s.k);
            b2 = withMatrix(batchOf(b, r - 2), s.k, s.n);
            y2 = withMatrix(s.batchShape, s.m, s.n);
        }
        DnnlMatMul d = DnnlMatMul.create(a2, false, b2, false, y2, bias, constantB, post);
        return d == null ? NONE : new DnnlProduct(d);
    }

    /**
     * The product of transposed views, read and written through strides without copying: A' = A
     * transposed by {@code permA} (null: as it is), likewise B', {@code s} the numpy.matmul shapes of
     * A' and B' (matrices or batches of them), and the result stored transposed by {@code permY}
     * (null: as it is); with an optional bias of length N and post-ops. {@link #NONE} when oneDNN
     * does not take it.
     */
    static DnnlProduct strided(int[] a, int[] permA, int[] b, int[] permB, int[] permY, MatMulShape s, boolean bias,
                               PostOps post) {
        int r = s.batchShape.length + 2;
        long[] aStrides = new long[r];
        long[] bStrides = new long[r];
        int[] a2 = view(a, permA, true, r, aStrides);
        int[] b2 = view(b, permB, false, r, bStrides);
        int[] y = withMatrix(s.batchShape, s.m, s.n);
        long[] yStrides = null;
        if (permY != null) {
            // logical axis permY[j] of the product is axis j of the stored result
            int[] stored = new int[r];
            for (int j = 0; j < r; j++) {
                stored[j] = y[permY[j]];
            }
            long st = 1;
            yStrides = new long[r];
            for (int j = r - 1; j >= 0; j--) {
                yStrides[permY[j]] = st;
                st *= stored[j];
            }
        }
        DnnlMatMul d = DnnlMatMul.createStrided(a2, aStrides, b2, bStrides, y, yStrides, bias, post);
        return d == null ? NONE : new DnnlProduct(d);
    }

    /**
     * The logical dimensions of {@code shape} transposed by {@code perm} (a vector: a row for A, a
     * column for B), left-padded with 1s to {@code rank}; their element strides into {@code strides}.
     */
    private static int[] view(int[] shape, int[] perm, boolean isA, int rank, long[] strides) {
        int n = shape.length;
        long[] own = new long[n];
        long st = 1;
        for (int i = n - 1; i >= 0; i--) {
            own[i] = st;
            st *= shape[i];
        }
        int[] dims;
        long[] ds;
        if (n == 1) {
            dims = isA ? new int[] {1, shape[0]} : new int[] {shape[0], 1};
            ds = isA ? new long[] {shape[0], 1} : new long[] {1, 1};
        } else {
            dims = new int[n];
            ds = new long[n];
            for (int i = 0; i < n; i++) {
                int from = perm == null ? i : perm[i];
                dims[i] = shape[from];
                ds[i] = own[from];
            }
        }
        int pad = rank - dims.length;
        int[] r = new int[rank];
        java.util.Arrays.fill(r, 0, pad, 1);
        java.util.Arrays.fill(strides, 0, pad, st);
        System.arraycopy(dims, 0, r, pad, dims.length);
        System.arraycopy(ds, 0, strides, pad, ds.length);
        return r;
    }

    /** Gemm's Y = op(A) op(B) (+ bias [N]) on matrices; {@link #NONE} when oneDNN does not take it. */
    static DnnlProduct gemm(int[] a, boolean transA, int[] b, boolean transB, int m, int n, boolean bias,
                            boolean constantB, PostOps post) {
        DnnlMatMul d = DnnlMatMul.create(a, transA, b, transB, new int[] {m, n}, bias, constantB, post);
        return d == null ? NONE : new DnnlProduct(d);
    }

    /** The batch dimensions of an operand (none for vectors), left-padded with 1s to {@code rank}. */
    private static int[] batchOf(int[] shape, int rank) {
        int own = Math.max(0, shape.length - 2);
        int[] r = new int[rank];
        Arrays.fill(r, 1);
        System.arraycopy(shape, 0, r, rank - own, own);
        return r;
    }

    private static int[] withMatrix(int[] batch, int rows, int cols) {
        int[] r = Arrays.copyOf(batch, batch.length + 2);
        r[batch.length] = rows;
        r[batch.length + 1] = cols;
        return r;
    }

    /**
     * y = post-ops(op(a) op(b) + bias [, z]); {@code constant}: the node's constant B when b is it (its
     * packed form is made once per layout), else null.
     */
    void run(Tensor a, Tensor b, ConstantWeights constant, Tensor bias, Tensor z, Tensor y) {
        if (constant != null) {
            dnnl.forwardPrepared(a, prepared(constant), bias, z, y);
        } else {
            dnnl.forward(a, b, bias, z, y);
        }
    }

    private Tensor prepared(ConstantWeights b) {
        Tensor p = prepared;
        if (p == null) {
            p = b.forProduct(dnnl);
            prepared = p;
        }
        return p;
    }

    /**
     * The node's constant B when {@code b} is it, else null; {@code direct}: a kernel other than a
     * oneDNN primitive reads b, so its plain memory must stay.
     */
    static ConstantWeights constant(ConstantWeights constantB, Tensor b, boolean direct) {
        if (constantB == null || b != constantB.plain()) {
            return null;
        }
        if (direct) {
            constantB.readPlain();
        }
        return constantB;
    }
}
