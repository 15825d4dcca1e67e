package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.ShapeCache;
import dev.sonnx.runtime.ops.conv.dnnl.ConstantWeights;
import dev.sonnx.runtime.ops.conv.dnnl.PostOps;
import dev.sonnx.runtime.ops.kernel.SumTo;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Set;

/**
 * Gemm: Y = alpha * op(A) op(B) + beta * C with op(X) = X or X^T. Versions: 1/6 (C required; broadcast
 * to M x N only when the {@code broadcast} attribute says so), 7/9 (C required, unidirectional
 * broadcasting), 11/13 (C optional). Floats: Y starts as the broadcast C and one BLAS call does the rest,
 * with the transposes passed as flags. Integers (from 9): exact products, scaled in 64-bit integers
 * when alpha and beta are whole numbers, else in double.
 */
final class Gemm extends Operator {
    static final Set<DataType> TYPES = MatMul.TYPES;

    private final boolean transA;
    private final boolean transB;
    private final double alpha;
    private final double beta;
    /** Opset < 7: C must already be M x N unless the broadcast attribute is set. */
    private final boolean exactC;
    private final boolean cOptional;

    /**
     * B when it is a float32 constant of an inference model: packed once per layout, the plain copy's
     * memory given back where this node is its only reader.
     */
    private final ConstantWeights constantB;
    private final ShapeCache<DnnlProduct> plans = new ShapeCache<>();

    /** {@code since}: the version entry the node bound to (1, 7 or 11). */
    Gemm(Node node, BuildContext build, int since) {
        super(node);
        Tensor cb = build == null ? null : build.constantInput(1);
        this.constantB = cb != null && cb.dtype() == DataType.FLOAT ? new ConstantWeights(cb) : null;
        var at = node.attributes();
        this.transA = flag(at.getLong("transA", 0), "transA");
        this.transB = flag(at.getLong("transB", 0), "transB");
        this.alpha = at.getFloat("alpha", 1f);
        this.beta = at.getFloat("beta", 1f);
        this.exactC = since < 7 && at.getLong("broadcast", 0) == 0;
        this.cOptional = since >= 11;
        if (!cOptional && !node.hasInput(2)) {
            throw new IllegalArgumentException("input C is required before opset 11");
        }
    }

    private static boolean flag(long v, String name) {
        if (v != 0 && v != 1) {
            throw new IllegalArgumentException("attribute '" + name + "' must be 0 or 1, got " + v);
        }
        return v == 1;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor a = required(inputs, 0);
        Tensor b = required(inputs, 1);
        Tensor c = tensor(inputs, 2);
        TypeCheck.require(a, TYPES, "input A");
        TypeCheck.same(a, b, c);
        Dims d = dims(a, b, c);
        if (a.dtype().isInteger()) {
            return outputs(integerGemm(a, b, c, d, ctx));
        }
        Tensor fast = oneDnn(a, b, c, d, ctx);
        if (fast != null) {
            return outputs(fast);
        }
        DnnlProduct.constant(constantB, b, true); // the kernels below read B's plain memory
        Tensor ca = MatrixKernels.toCompute(a);
        Tensor cb = MatrixKernels.toCompute(b);
        // C broadcast into Y, or beta 0 (BLAS then assigns every element)
        Tensor y = Tensor.uninitialized(ca.dtype(), d.m, d.n);
        boolean withC = c != null && beta != 0;
        if (withC) {
            fillBroadcast(MatrixKernels.toCompute(c), y, d);
        }
        MatrixKernels.gemm(transA, transB, d.m, d.n, d.k, alpha, ca, 0, cb, 0, withC ? beta : 0, y, 0);
        return outputs(MatrixKernels.convert(y, a.dtype()));
    }

    /**
     * Y through oneDNN for float32 with alpha 1 and either no C or a bias row (C of [N] or [1, N], beta
     * 1); null where that does not apply.
     */
    private Tensor oneDnn(Tensor a, Tensor b, Tensor c, Dims d, OpContext ctx) {
        boolean withC = c != null && beta != 0;
        boolean biasRow = withC && beta == 1 && c.size() == d.n && c.rank() >= 1 && c.dim(-1) == d.n;
        if (a.dtype() != DataType.FLOAT || !ctx.device().isHost() || alpha != 1 || withC && !biasRow
                || d.m == 0 || d.n == 0 || d.k == 0) {
            return null;
        }
        DnnlProduct p = plans.get(sh -> DnnlProduct.gemm(sh[0], transA, sh[1], transB, d.m, d.n, biasRow,
                constantB != null, PostOps.NONE), a.shape(), b.shape(), new int[] {biasRow ? 1 : 0});
        if (p.dnnl == null) {
            return null;
        }
        Tensor y = Tensor.uninitialized(DataType.FLOAT, d.m, d.n);
        p.run(a, b, DnnlProduct.constant(constantB, b, false), biasRow ? c : null, null, y);
        return y;
    }

    /** The product's sizes, after checking A, B and C against each other. */
    private record Dims(int m, int n, int k) {
    }

    private Dims dims(Tensor a, Tensor b, Tensor c) {
        if (a.rank() != 2 || b.rank() != 2) {
            throw new IllegalArgumentException("A and B must be matrices, got A " + Shapes.toString(a.shape())
                    + " and B " + Shapes.toString(b.shape()));
        }
        int m = transA ? a.dim(1) : a.dim(0);
        int k = transA ? a.dim(0) : a.dim(1);
        int kb = transB ? b.dim(1) : b.dim(0);
        int n = transB ? b.dim(0) : b.dim(1);
        if (k != kb) {
            throw new IllegalArgumentException("op(A) is " + m + " x " + k + " but op(B) is " + kb + " x " + n
                    + " (A " + Shapes.toString(a.shape()) + ", transA=" + (transA ? 1 : 0) + "; B "
                    + Shapes.toString(b.shape()) + ", transB=" + (transB ? 1 : 0) + ")");
        }
        if (c != null) {
            int[] cs = c.shape();
            boolean ok = cs.length <= 2;
            if (exactC) {
                ok = cs.length == 2 && cs[0] == m && cs[1] == n;
            } else if (ok) {
                int c0 = cs.length == 2 ? cs[0] : 1;
                int c1 = cs.length >= 1 ? cs[cs.length - 1] : 1;
                ok = (c0 == 1 || c0 == m) && (c1 == 1 || c1 == n);
            }
            if (!ok) {
                throw new IllegalArgumentException("input C has shape " + Shapes.toString(cs)
                        + ", which does not broadcast to the product's shape [" + m + ", " + n + "]"
                        + (exactC ? " (broadcast=0: C must be exactly M x N)" : ""));
            }
        }
        return new Dims(m, n, k);
    }

    /** y[i, j] = C broadcast to M x N (y and c float32 or float64). */
    private static void fillBroadcast(Tensor c, Tensor y, Dims d) {
        int[] cs = c.shape();
        int c0 = cs.length == 2 ? cs[0] : 1;
        int c1 = cs.length >= 1 ? cs[cs.length - 1] : 1;
        int rowStep = c0 == 1 ? 0 : c1;
        boolean fullRows = c1 == d.n;
        if (y.dtype() == DataType.FLOAT) {
            FloatBuffer yf = y.floats();
            FloatBuffer cf = c.floats();
            for (int i = 0; i < d.m; i++) {
                if (fullRows) {
                    yf.put(i * d.n, cf, i * rowStep, d.n);
                } else {
                    float v = cf.get(i * rowStep);
                    for (int j = 0; j < d.n; j++) {
                        yf.put(i * d.n + j, v);
                    }
                }
            }
        } else {
            DoubleBuffer yd = y.doubles();
            DoubleBuffer cd = c.doubles();
            for (int i = 0; i < d.m; i++) {
                if (fullRows) {
                    yd.put(i * d.n, cd, i * rowStep, d.n);
                } else {
                    double v = cd.get(i * rowStep);
                    for (int j = 0; j < d.n; j++) {
                        yd.put(i * d.n + j, v);
                    }
                }
            }
        }
    }

    private Tensor integerGemm(Tensor a, Tensor b, Tensor c, Dims d, OpContext ctx) {
        long[] ab = new long[d.m * d.n];
        int[] zero = {0};
        MatrixKernels.longBatched(ctx.device(), transA, transB, d.m, d.n, d.k, a.toLongArray(), zero,
                b.toLongArray(), zero, ab, zero, 1);
        Tensor y = Tensor.uninitialized(a.dtype(), d.m, d.n);
        boolean whole = alpha == Math.rint(alpha) && beta == Math.rint(beta);
        int[] cs = c == null ? null : c.shape();
        int c0 = cs == null || cs.length < 2 ? 1 : cs[0];
        int c1 = cs == null || cs.length == 0 ? 1 : cs[cs.length - 1];
        int rowStep = c0 == 1 ? 0 : c1;
        int colStep = c1 == 1 ? 0 : 1;
        for (int i = 0; i < d.m; i++) {
            for (int j = 0; j < d.n; j++) {
                int o = i * d.n + j;
                int ci = i * rowStep + j * colStep;
                if (whole) {
                    long v = (long) alpha * ab[o] + (c == null ? 0 : (long) beta * c.getLong(ci));
                    y.setLong(o, v);
                } else {
                    y.setDouble(o, alpha * ab[o] + (c == null ? 0 : beta * c.getDouble(ci)));
                }
            }
        }
        return y;
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /**
     * With Y = alpha op(A) op(B) + beta C: d op(A) = alpha dY op(B)^T and d op(B) = alpha op(A)^T dY,
     * each transposed back when the operand was; dC = beta dY summed over C's broadcast dimensions.
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] r = new Tensor[3];
        Tensor gy = g.gradOutput(0);
        Tensor a = g.input(0);
        Tensor b = g.input(1);
        DnnlProduct.constant(constantB, b, true); // the gradients read B's plain memory
        Tensor c = g.input(2);
        if (gy == null || !a.dtype().isFloat()) {
            return r;
        }
        Tensor cy = MatrixKernels.toCompute(gy);
        Tensor ca = MatrixKernels.toCompute(a);
        Tensor cb = MatrixKernels.toCompute(b);
        int m = gy.dim(0);
        int n = gy.dim(1);
        int k = transA ? a.dim(0) : a.dim(1);
        if (g.needsGrad(0)) {
            Tensor ga = Tensor.uninitialized(cy.dtype(), a.shape());
            if (!transA) {
                MatrixKernels.gemm(false, !transB, m, k, n, alpha, cy, 0, cb, 0, 0, ga, 0);
            } else {
                MatrixKernels.gemm(transB, true, k, m, n, alpha, cb, 0, cy, 0, 0, ga, 0);
            }
            r[0] = MatrixKernels.convert(ga, a.dtype());
        }
        if (g.needsGrad(1)) {
            Tensor gb = Tensor.uninitialized(cy.dtype(), b.shape());
            if (!transB) {
                MatrixKernels.gemm(!transA, false, k, n, m, alpha, ca, 0, cy, 0, 0, gb, 0);
            } else {
                MatrixKernels.gemm(true, transA, n, k, m, alpha, cy, 0, ca, 0, 0, gb, 0);
            }
            r[1] = MatrixKernels.convert(gb, b.dtype());
        }
        if (c != null && g.needsGrad(2)) {
            Tensor summed = SumTo.sumTo(gy, c.shape(), g.device());
            Tensor gc = Tensor.uninitialized(c.dtype(), c.shape());
            for (int i = 0; i < gc.size(); i++) {
                gc.setDouble(i, beta * summed.getDouble(i));
            }
            r[2] = gc;
        }
        return r;
    }
}
