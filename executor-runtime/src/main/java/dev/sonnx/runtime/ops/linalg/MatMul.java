package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.ShapeCache;
import dev.sonnx.runtime.ops.conv.dnnl.ConstantWeights;
import dev.sonnx.runtime.ops.conv.dnnl.PostOps;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.EnumSet;
import java.util.Set;

/**
 * MatMul (1, 9, 13): numpy.matmul. float32 goes to oneDNN ({@link DnnlProduct}; a constant B packed
 * once); other floats, and float32 where oneDNN is unavailable, to BLAS on the operands' own buffers:
 * a batch of A's over a shared 2-D B (the usual activations-times-weights) is a single product, other
 * batches run product by product, in parallel when each is small. Integers are exact and wrap to
 * their type.
 */
final class MatMul extends Operator {
    static final Set<DataType> TYPES = TypeCheck.union(TypeCheck.FLOATS,
            EnumSet.of(DataType.INT32, DataType.INT64, DataType.UINT32, DataType.UINT64));

    /**
     * B when it is a float32 constant of an inference model: packed once per layout, the plain copy's
     * memory given back where this node is its only reader.
     */
    private final ConstantWeights constantB;
    private final ShapeCache<DnnlProduct> plans = new ShapeCache<>();
    /** dA = dY B^T and dB = A^T dY of float32 batches as one oneDNN product each (see {@link #dnnlGradient}). */
    private final ShapeCache<DnnlProduct> gradientA = new ShapeCache<>();
    private final ShapeCache<DnnlProduct> gradientB = new ShapeCache<>();

    MatMul(Node node, BuildContext build) {
        super(node);
        Tensor b = build == null ? null : build.constantInput(1);
        this.constantB = b != null && b.dtype() == DataType.FLOAT ? new ConstantWeights(b) : null;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor a = required(inputs, 0);
        Tensor b = required(inputs, 1);
        TypeCheck.require(a, TYPES, "input A");
        TypeCheck.same(a, b);
        MatMulShape s = MatMulShape.of(a.shape(), b.shape());
        if (a.dtype().isInteger()) {
            return outputs(integerProduct(a, b, s, ctx.device()));
        }
        if (a.dtype() == DataType.FLOAT && ctx.device().isHost() && s.batch > 0 && s.m > 0 && s.n > 0 && s.k > 0) {
            DnnlProduct p = plans.get(sh -> DnnlProduct.matMul(sh[0], sh[1], s, false, constantB != null,
                    PostOps.NONE), a.shape(), b.shape());
            if (p.dnnl != null) {
                // the primitive writes every element (no post-op reads Y)
                Tensor y = Tensor.uninitialized(DataType.FLOAT, s.outShape);
                p.run(a, b, DnnlProduct.constant(constantB, b, false), null, null, y);
                return outputs(y);
            }
        }
        DnnlProduct.constant(constantB, b, true); // the kernels below read B's plain memory
        Tensor ca = MatrixKernels.toCompute(a);
        Tensor cb = MatrixKernels.toCompute(b);
        Tensor y = Tensor.uninitialized(ca.dtype(), s.outShape);
        multiply(ca, cb, y, s, ctx.device());
        return outputs(MatrixKernels.convert(y, a.dtype()));
    }

    /**
     * A float32 gradient as one oneDNN product, the operand read transposed: dA = dY B^T ({@code ofA}:
     * {@code x} is dY, {@code y} is B) or dB = A^T dY ({@code x} is A, {@code y} is dY). A product
     * that folds into one matrix product (a batch of A over one B: a linear layer over tokens) takes
     * [batch m, n] x [n, k] or [k, batch m] x [batch m, n]; a batch of products (attention's) one
     * product over the batch through strides, where the BLAS took one call per matrix. Null where the
     * result is not exactly {@code like}'s shape (a broadcast operand's gradient sums over the batch:
     * the kernels below do that), for other types, or where oneDNN declines.
     */
    private static Tensor dnnlGradient(ShapeCache<DnnlProduct> cache, Tensor x, Tensor y, boolean ofA, Tensor like,
                                       MatMulShape s) {
        if (x.dtype() != DataType.FLOAT || y.dtype() != DataType.FLOAT || like.dtype() != DataType.FLOAT
                || !x.isHost() || s.batch * s.m == 0 || s.n == 0 || s.k == 0) {
            return null;
        }
        DnnlProduct p = cache.get(sh -> s.foldsIntoOneProduct() ? folded(s, ofA) : batched(sh, ofA),
                x.shape(), y.shape(), like.shape());
        if (p.dnnl == null) {
            return null;
        }
        Tensor grad = Tensor.uninitialized(DataType.FLOAT, like.shape());   // the primitive writes every element
        p.run(x, y, null, null, null, grad);
        return grad;
    }

    /** The folded gradient's matrix product. */
    private static DnnlProduct folded(MatMulShape s, boolean ofA) {
        int rows = s.batch * s.m;
        return ofA
                ? DnnlProduct.gemm(new int[] {rows, s.n}, false, new int[] {s.k, s.n}, true, rows, s.k, false, false,
                        PostOps.NONE)
                : DnnlProduct.gemm(new int[] {rows, s.k}, true, new int[] {rows, s.n}, false, s.k, s.n, false, false,
                        PostOps.NONE);
    }

    /** The batched gradient's product for shapes x, y and the gradient's ({@code sh}), or NONE. */
    private static DnnlProduct batched(int[][] sh, boolean ofA) {
        if (sh[0].length < 2 || sh[1].length < 2) {
            return DnnlProduct.NONE;   // vectors
        }
        MatMulShape t = MatMulShape.of(ofA ? sh[0] : transposed(sh[0]), ofA ? transposed(sh[1]) : sh[1]);
        if (!java.util.Arrays.equals(t.outShape, sh[2])) {
            return DnnlProduct.NONE;
        }
        return DnnlProduct.strided(sh[0], ofA ? null : swapLast(sh[0].length), sh[1],
                ofA ? swapLast(sh[1].length) : null, null, t, false, PostOps.NONE);
    }

    /** A shape with its last two dimensions swapped. */
    private static int[] transposed(int[] shape) {
        int[] t = shape.clone();
        t[t.length - 2] = shape[shape.length - 1];
        t[t.length - 1] = shape[shape.length - 2];
        return t;
    }

    /** The permutation that swaps the last two of {@code rank} axes. */
    private static int[] swapLast(int rank) {
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) {
            p[i] = i;
        }
        p[rank - 2] = rank - 1;
        p[rank - 1] = rank - 2;
        return p;
    }

    /** y = a @ b on compute-type tensors (beta 0: every element of y is assigned). */
    static void multiply(Tensor a, Tensor b, Tensor y, MatMulShape s, Device device) {
        if (s.foldsIntoOneProduct()) {
            MatrixKernels.gemm(false, false, s.batch * s.m, s.n, s.k, 1, a, 0, b, 0, 0, y, 0);
        } else {
            MatrixKernels.batched(device, false, false, s.m, s.n, s.k, 1, a, s.aOffsets, b, s.bOffsets, 0,
                    y, s.outOffsets, true, s.batch);
        }
    }

    private static Tensor integerProduct(Tensor a, Tensor b, MatMulShape s, Device device) {
        long[] out = new long[s.batch * s.m * s.n];
        MatrixKernels.longBatched(device, false, false, s.m, s.n, s.k, a.toLongArray(), s.aOffsets,
                b.toLongArray(), s.bOffsets, out, s.outOffsets, s.batch);
        return Tensor.fromLongs(a.dtype(), out, s.outShape);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /**
     * dA = dY @ B^T and dB = A^T @ dY per output matrix, summed over the batch dimensions where an
     * operand was broadcast; a vector operand's gradient is the vector.
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] r = new Tensor[2];
        Tensor gy = g.gradOutput(0);
        Tensor a = g.input(0);
        Tensor b = g.input(1);
        DnnlProduct.constant(constantB, b, true); // the gradients read B's plain memory
        if (gy == null || !a.dtype().isFloat()) {
            return r;
        }
        MatMulShape s = MatMulShape.of(a.shape(), b.shape());
        Tensor cy = MatrixKernels.toCompute(gy);
        Tensor ca = MatrixKernels.toCompute(a);
        Tensor cb = MatrixKernels.toCompute(b);
        Device device = g.device();
        Tensor fastA = g.needsGrad(0) ? dnnlGradient(gradientA, gy, b, true, a, s) : null;
        Tensor fastB = g.needsGrad(1) ? dnnlGradient(gradientB, a, gy, false, b, s) : null;
        if (fastA != null) {
            r[0] = fastA;
        } else if (g.needsGrad(0)) {
            // a broadcast A sums its products into zeros; otherwise each product assigns its own matrix
            boolean own = s.aCoversBatch();
            Tensor ga = own ? Tensor.uninitialized(cy.dtype(), a.shape()) : Tensor.zeros(cy.dtype(), a.shape());
            if (s.foldsIntoOneProduct()) {
                MatrixKernels.gemm(false, true, s.batch * s.m, s.k, s.n, 1, cy, 0, cb, 0, 0, ga, 0);
            } else {
                MatrixKernels.batched(device, false, true, s.m, s.k, s.n, 1, cy, s.outOffsets, cb, s.bOffsets,
                        own ? 0 : 1, ga, s.aOffsets, own, s.batch);
            }
            r[0] = MatrixKernels.convert(ga, a.dtype());
        }
        if (fastB != null) {
            r[1] = fastB;
        } else if (g.needsGrad(1)) {
            boolean own = s.bCoversBatch();
            Tensor gb = own ? Tensor.uninitialized(cy.dtype(), b.shape()) : Tensor.zeros(cy.dtype(), b.shape());
            if (s.foldsIntoOneProduct()) {
                MatrixKernels.gemm(true, false, s.k, s.n, s.batch * s.m, 1, ca, 0, cy, 0, 0, gb, 0);
            } else {
                MatrixKernels.batched(device, true, false, s.k, s.n, s.m, 1, ca, s.aOffsets, cy, s.outOffsets,
                        own ? 0 : 1, gb, s.bOffsets, own, s.batch);
            }
            r[1] = MatrixKernels.convert(gb, b.dtype());
        }
        return r;
    }
}
