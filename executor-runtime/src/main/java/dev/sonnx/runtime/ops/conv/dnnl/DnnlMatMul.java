package dev.sonnx.runtime.ops.conv.dnnl;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_1;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_format_tag_any;
import static org.bytedeco.dnnl.global.dnnl.dnnl_matmul_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_create_with_strides;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_attr_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;
import static org.bytedeco.dnnl.global.dnnl.dnnl_unimplemented;

import dev.sonnx.runtime.tensor.Tensor;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.javacpp.Pointer;

/**
 * A float32 oneDNN matrix product for one shape: Y[..., M, N] = op(A)[..., M, K] op(B)[..., K, N]
 * (+ bias [N]), then {@link PostOps}, on row-major tensors of equal rank (batch dimensions of size 1
 * broadcast), op(X) = X or X^T on the last two dimensions. oneDNN's kernels are generated for the
 * shape, so they beat a general BLAS on the small products of transformers; constant weights go
 * into the primitive's packed layout once ({@link #prepareWeights}). Shared by concurrent runs.
 */
public final class DnnlMatMul {
    private final DnnlPrimitive primitive;
    /** B in ONNX's layout to the primitive's; null when the primitive reads B as it is. */
    private final PackedWeights weights;
    private final PostOps postOps;

    private DnnlMatMul(DnnlPrimitive primitive, DnnlPrimitive weightsReorder, long weightsBytes, PostOps postOps) {
        this.primitive = primitive;
        this.weights = new PackedWeights(weightsReorder, weightsBytes);
        this.postOps = postOps;
    }

    /**
     * The primitive, or null when oneDNN is unavailable or refuses the problem (or would run it with
     * its reference kernel). {@code aShape}, {@code bShape} and {@code yShape} have the same rank (at
     * least 2) and are the tensors' own shapes (so transposed operands have their dimensions swapped);
     * {@code packB}: B will come through {@link #prepareWeights}, so the primitive may choose its layout.
     */
    public static DnnlMatMul create(int[] aShape, boolean transA, int[] bShape, boolean transB, int[] yShape,
                                    boolean bias, boolean packB, PostOps postOps) {
        int r = yShape.length;
        if (!Dnnl.available() || r < 2 || r > 6 || aShape.length != r || bShape.length != r
                || !positive(aShape, bShape, yShape)) {
            return null;
        }
        dnnl_memory_desc a = matrix(aShape, transA);
        dnnl_memory_desc bPlain = matrix(bShape, transB);
        dnnl_memory_desc bAny = packB ? Dnnl.anyDesc(logical(bShape, transB)) : null;
        dnnl_memory_desc y = Dnnl.desc(yShape, Layouts.plain(r));
        dnnl_memory_desc biasDesc = bias ? biasDesc(yShape) : null;
        dnnl_primitive_desc pd = describe(a, packB ? bAny : bPlain, biasDesc, y, postOps, a, bPlain, bAny, y, biasDesc);
        if (pd == null) {
            return null;
        }
        dnnl_memory_desc chosen = Dnnl.queried(pd, dnnl_query_weights_md);
        DnnlPrimitive reorder = Dnnl.reorderUnlessSame(bPlain, chosen);
        Dnnl.destroy(bAny);
        long bytes = Dnnl.size(chosen);
        DnnlPrimitive p = primitive(pd, a, chosen, biasDesc, y, postOps,
                OpenMpTeam.work(multiplyAdds(aShape, transA, yShape), bytes));
        return new DnnlMatMul(p, reorder, bytes, postOps);
    }

    /**
     * The product of operands that oneDNN reads through strides rather than packed rows: transposed
     * views of row-major tensors (an attention head's Q, K and V inside [N, T, H, D] activations),
     * so the transposes need no copy. {@code aDims}/{@code bDims}: the logical dimensions of A and B
     * (equal ranks, batch dimensions of size 1 broadcast); {@code aStrides}/{@code bStrides}: each
     * dimension's stride in elements; {@code yStrides} likewise for Y (null: row-major), which may be
     * written transposed too. B is read as it is. Null when oneDNN is unavailable, refuses the problem
     * or would run it with its reference kernel.
     */
    public static DnnlMatMul createStrided(int[] aDims, long[] aStrides, int[] bDims, long[] bStrides, int[] yShape,
                                           long[] yStrides, boolean bias, PostOps postOps) {
        int r = yShape.length;
        if (!Dnnl.available() || r < 2 || r > 6 || aDims.length != r || bDims.length != r
                || aStrides.length != r || bStrides.length != r || yStrides != null && yStrides.length != r
                || !positive(aDims, bDims, yShape)) {
            return null;
        }
        dnnl_memory_desc a = Dnnl.strided(aDims, aStrides);
        dnnl_memory_desc b = Dnnl.strided(bDims, bStrides);
        dnnl_memory_desc y = yStrides == null ? Dnnl.desc(yShape, Layouts.plain(r)) : Dnnl.strided(yShape, yStrides);
        dnnl_memory_desc biasDesc = bias ? biasDesc(yShape) : null;
        dnnl_primitive_desc pd = describe(a, b, biasDesc, y, postOps, a, b, y, biasDesc);
        if (pd == null) {
            return null;
        }
        DnnlPrimitive p = primitive(pd, a, b, biasDesc, y, postOps,
                OpenMpTeam.work(multiplyAdds(aDims, false, yShape), Dnnl.size(b)));
        return new DnnlMatMul(p, null, 0, postOps);
    }

    private static boolean positive(int[]... shapes) {
        for (int[] s : shapes) {
            for (int v : s) {
                if (v <= 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The bias, broadcast along Y's leading dimensions: [1, ..., 1, N]. */
    private static dnnl_memory_desc biasDesc(int[] yShape) {
        int r = yShape.length;
        int[] biasShape = new int[r];
        java.util.Arrays.fill(biasShape, 1);
        biasShape[r - 1] = yShape[r - 1];
        return Dnnl.desc(biasShape, Layouts.plain(r));
    }

    /**
     * The matmul's primitive descriptor with {@code postOps}, or null when oneDNN refuses it or would
     * run it with its reference kernel; then every descriptor of {@code owned} is released.
     */
    private static dnnl_primitive_desc describe(dnnl_memory_desc a, dnnl_memory_desc b, dnnl_memory_desc bias,
                                                dnnl_memory_desc y, PostOps postOps, dnnl_memory_desc... owned) {
        dnnl_primitive_attr attr = postOps.attributes(y, PostOps.ResidualMode.BINARY);
        dnnl_primitive_desc pd = new dnnl_primitive_desc();
        int status = attr == null ? dnnl_unimplemented : dnnl_matmul_primitive_desc_create(pd, Dnnl.engine(), a, b,
                bias, y, attr);
        if (attr != null) {
            dnnl_primitive_attr_destroy(attr);
        }
        if (status != dnnl_success || Dnnl.isReference(pd)) {
            if (status == dnnl_success) {
                dnnl_primitive_desc_destroy(pd);
            }
            release(owned);
            return null;
        }
        return pd;
    }

    /** The primitive over A, B (in {@code weights}' layout), the bias, Y and the residual post-op's Z. */
    private static DnnlPrimitive primitive(dnnl_primitive_desc pd, dnnl_memory_desc a, dnnl_memory_desc weights,
                                           dnnl_memory_desc bias, dnnl_memory_desc y, PostOps postOps, long work) {
        return new DnnlPrimitive(pd,
                new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST,
                        DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE | DNNL_ARG_SRC_1},
                new dnnl_memory_desc[] {a, weights, bias, y, postOps.residual() ? Dnnl.copy(y) : null}, work);
    }

    /** Y's elements times the inner dimension. */
    private static long multiplyAdds(int[] aShape, boolean transA, int[] yShape) {
        long n = aShape[aShape.length - (transA ? 2 : 1)];
        for (int v : yShape) {
            n *= v;
        }
        return n;
    }

    private static void release(dnnl_memory_desc... descs) {
        for (dnnl_memory_desc d : descs) {
            Dnnl.destroy(d);
        }
    }

    /** The logical dimensions of op(X) for a tensor of shape {@code s}. */
    private static int[] logical(int[] s, boolean trans) {
        int[] d = s.clone();
        if (trans) {
            int r = s.length;
            d[r - 2] = s[r - 1];
            d[r - 1] = s[r - 2];
        }
        return d;
    }

    /** op(X) described over X's row-major bytes: X^T is X with the last two strides swapped. */
    private static dnnl_memory_desc matrix(int[] shape, boolean trans) {
        if (!trans) {
            return Dnnl.desc(shape, Layouts.plain(shape.length));
        }
        int r = shape.length;
        long[] strides = new long[r];
        long s = 1;
        for (int i = r - 1; i >= 0; i--) {
            strides[i] = s;
            s *= shape[i];
        }
        int[] dims = logical(shape, true);
        long tmp = strides[r - 1];
        strides[r - 1] = strides[r - 2];
        strides[r - 2] = tmp;
        long[] d = new long[r];
        for (int i = 0; i < r; i++) {
            d[i] = dims[i];
        }
        dnnl_memory_desc md = new dnnl_memory_desc();
        Dnnl.check(dnnl_memory_desc_create_with_strides(md, r, d, dnnl_f32, strides), "memory descriptor creation");
        return md;
    }

    /**
     * The primitive (arguments A, B in {@link #packedWeights}' layout, bias, Y, the residual), for a
     * caller that brings A as a native pointer (an unfolded convolution's scratch).
     */
    DnnlPrimitive primitive() {
        return primitive;
    }

    /** How the weights reach the primitive's layout (for {@link ConstantWeights}). */
    PackedWeights packedWeights() {
        return weights;
    }

    public PostOps postOps() {
        return postOps;
    }

    /** Y = post-ops(op(A) op(B) + bias [, Z]) with B in ONNX's layout (reordered per call if needed). */
    public void forward(Tensor a, Tensor b, Tensor bias, Tensor z, Tensor y) {
        run(a, weights.forCall(b), bias, z, y);
    }

    /**
     * B in the primitive's layout: {@code b} itself when no reorder is needed, else a copy allocated
     * outside any run, for the caller to keep while B stays the same.
     */
    public Tensor prepareWeights(Tensor b) {
        return weights.prepare(b);
    }

    /** {@link #forward} with B from {@link #prepareWeights}. */
    public void forwardPrepared(Tensor a, Tensor prepared, Tensor bias, Tensor z, Tensor y) {
        run(a, prepared.pointer(), bias, z, y);
    }

    private void run(Tensor a, Pointer packed, Tensor bias, Tensor z, Tensor y) {
        if ((z != null) != postOps.residual()) {
            throw new IllegalArgumentException(postOps.residual() ? "the residual input is missing"
                    : "this product takes no residual input");
        }
        primitive.execute(a.pointer(), packed, bias == null ? null : bias.pointer(), y.pointer(),
                z == null ? null : z.pointer());
    }
}
