package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.ops.conv.dnnl.ConstantWeights;
import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.ShapeCache;
import dev.sonnx.runtime.ops.conv.dnnl.PostOps;
import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.ops.kernel.SpecialFunctions;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * {@code dev.sonnx.FusedMatMul} (version 1), an internal operator that inference plans use in place of
 * a MatMul and the nodes around it: Y = Transpose(act((alpha * (A' @ B') + bias) + Z), perm_y),
 * A' = Transpose(A, perm_a) and B' = Transpose(B, perm_b).
 * <ul>
 *   <li>Inputs: A, B as MatMul's (numpy.matmul of A' and B'); bias (optional), Z (optional, the
 *   residual), each numpy-broadcast against the sum before it, as the Adds it replaces.</li>
 *   <li>Attributes: {@code perm_a}, {@code perm_b}, {@code perm_y}: the permutations of the
 *   Transposes it absorbed (absent: none); {@code alpha}: the constant the product was multiplied
 *   by (default 1); {@code activation}: "" (none) or "Gelu", with Gelu's {@code approximate}
 *   ("none" or "tanh").</li>
 * </ul>
 * oneDNN runs it as one matrix product: the transposes as strides of the operands' and the
 * result's descriptors (no copy), the bias, the residual as a binary-add post-op, and alpha or Gelu
 * as an eltwise post-op, where the bias is a vector over Y's last dimension, Z has Y's shape, and
 * alpha and perm_y come without the others (a transformer's projections and attention products).
 * A constant B is packed once. Anything else (other shapes, no oneDNN) transposes, multiplies,
 * then adds and activates in plain loops. The bias, residual, alpha and activation take float32
 * only; a product with transposes alone takes MatMul's types. The passes of {@code backend.passes}
 * write it at prepare; never in a model file.
 */
final class FusedMatMul extends Operator {
    static final String OP_TYPE = "FusedMatMul";
    static final String ACTIVATION = "activation";
    static final String PERM_A = "perm_a";
    static final String PERM_B = "perm_b";
    static final String PERM_Y = "perm_y";
    static final String ALPHA = "alpha";

    private final boolean gelu;
    private final boolean geluTanh;
    private final boolean hasBias;
    private final boolean hasResidual;
    private final int[] permA;
    private final int[] permB;
    private final int[] permY;
    private final float alpha;
    /** MatMul itself, for the types other than float32. */
    private final MatMul plain;
    /**
     * B when it is a float32 constant of an inference model: packed once per layout, the plain copy's
     * memory given back where this node is its only reader.
     */
    private final ConstantWeights constantB;
    private final ShapeCache<DnnlProduct> plans = new ShapeCache<>();

    FusedMatMul(Node node, BuildContext build) {
        super(node);
        String act = node.attributes().getString(ACTIVATION, "");
        String approximate = node.attributes().getString("approximate", "none");
        if (!act.isEmpty() && !act.equals("Gelu")) {
            throw new IllegalArgumentException("attribute '" + ACTIVATION + "' is '" + act + "', expected \"Gelu\" or none");
        }
        if (!approximate.equals("none") && !approximate.equals("tanh")) {
            throw new IllegalArgumentException("attribute 'approximate' must be \"none\" or \"tanh\", got \""
                    + approximate + "\"");
        }
        this.gelu = act.equals("Gelu");
        this.geluTanh = gelu && approximate.equals("tanh");
        this.hasBias = node.hasInput(2);
        this.hasResidual = node.hasInput(3);
        this.permA = permutation(node.attributes().getInts(PERM_A, null), PERM_A);
        this.permB = permutation(node.attributes().getInts(PERM_B, null), PERM_B);
        this.permY = permutation(node.attributes().getInts(PERM_Y, null), PERM_Y);
        this.alpha = node.attributes().getFloat(ALPHA, 1f);
        this.plain = new MatMul(node, null);
        Tensor b = build == null ? null : build.constantInput(1);
        this.constantB = b != null && b.dtype() == DataType.FLOAT ? new ConstantWeights(b) : null;
    }

    private static int[] permutation(int[] p, String name) {
        if (p == null) {
            return null;
        }
        boolean[] seen = new boolean[p.length];
        for (int v : p) {
            if (v < 0 || v >= p.length || seen[v]) {
                throw new IllegalArgumentException("attribute '" + name + "' " + Arrays.toString(p)
                        + " is not a permutation of 0.." + (p.length - 1));
            }
            seen[v] = true;
        }
        return p;
    }

    /** Whether anything but transposes goes with the product (all float32-only). */
    private boolean floatOnly() {
        return hasBias || hasResidual || gelu || alpha != 1;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor a = required(inputs, 0);
        Tensor b = required(inputs, 1);
        Tensor bias = hasBias ? required(inputs, 2) : null;
        Tensor z = hasResidual ? required(inputs, 3) : null;
        TypeCheck.require(a, MatMul.TYPES, "input A");
        TypeCheck.same(a, b);
        boolean float32 = a.dtype() == DataType.FLOAT;
        for (Tensor t : new Tensor[] {bias, z}) {
            if (t != null && (!float32 || t.dtype() != DataType.FLOAT)) {
                throw new IllegalArgumentException("the bias and the residual take float32 tensors, got "
                        + a.dtype().onnxName() + " and " + t.dtype().onnxName());
            }
        }
        if (!float32 && floatOnly()) {
            throw new IllegalArgumentException("alpha and the activation take float32 tensors, got "
                    + a.dtype().onnxName());
        }
        int[] aDims = permuted(a, permA, "A");
        int[] bDims = permuted(b, permB, "B");
        MatMulShape s = MatMulShape.of(aDims, bDims);
        int[] productShape = s.outShape;
        boolean permYFits = permY == null || permY.length == productShape.length;
        int[] yShape = permY == null || !permYFits ? productShape : permutedShape(productShape, permY);
        boolean biasRow = bias == null || bDims.length >= 2 && bias.rank() == 1 && bias.dim(0) == s.n;
        boolean plainZ = z == null || Shapes.equal(z.shape(), productShape);
        boolean extras = hasBias || hasResidual || gelu;
        boolean alone = (alpha == 1 && permY == null || !extras)
                && (permY == null || permYFits && aDims.length >= 2 && bDims.length >= 2);
        Device device = ctx.device();
        if (float32 && device.isHost() && biasRow && plainZ && alone && s.batch > 0 && s.m > 0 && s.n > 0 && s.k > 0) {
            boolean transposed = permA != null || permB != null || permY != null;
            DnnlProduct p = plans.get(sh -> transposed
                    ? DnnlProduct.strided(sh[0], permA, sh[1], permB, permY, s, hasBias, postOps())
                    : DnnlProduct.matMul(sh[0], sh[1], s, hasBias, constantB != null, postOps()), a.shape(), b.shape());
            if (p.dnnl != null) {
                // the primitive writes every element (the residual post-op reads Z, not Y)
                Tensor y = Tensor.uninitialized(DataType.FLOAT, yShape);
                // a strided product reads B's plain memory; a packed one reads the constant's packed copy
                ConstantWeights packedB = DnnlProduct.constant(constantB, b, transposed);
                p.run(a, b, transposed ? null : packedB, bias, z, y);
                return outputs(y);
            }
        }
        DnnlProduct.constant(constantB, b, true); // the kernels below read B's plain memory
        Tensor a2 = permute(a, permA, aDims);
        Tensor b2 = permute(b, permB, bDims);
        if (!float32) {
            return outputs(transposeResult(plain.forward(new Value[] {a2, b2}, ctx)[0].asTensor()));
        }
        Tensor y = Tensor.uninitialized(DataType.FLOAT, productShape);
        MatMul.multiply(a2, b2, y, s, device);
        if (alpha != 1) {
            FloatBuffer v = y.floats();
            for (int i = 0; i < y.size(); i++) {
                v.put(i, alpha * v.get(i));
            }
        }
        if (bias != null) {
            y = add(y, bias, device);
        }
        if (z != null) {
            y = add(y, z, device);
        }
        if (gelu) {
            activate(y, device);
        }
        return outputs(transposeResult(y));
    }

    /** The result transposed by perm_y (as it is without). */
    private Tensor transposeResult(Tensor y) {
        if (permY == null) {
            return y;
        }
        if (permY.length != y.rank()) {
            throw new IllegalArgumentException("attribute '" + PERM_Y + "' " + Arrays.toString(permY) + " has "
                    + permY.length + " axes, the result has rank " + y.rank());
        }
        return permute(y, permY, permutedShape(y.shape(), permY));
    }

    private static int[] permutedShape(int[] shape, int[] perm) {
        int[] d = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            d[i] = shape[perm[i]];
        }
        return d;
    }

    /** The shape of {@code x} transposed by {@code perm} (null: x's own). */
    private static int[] permuted(Tensor x, int[] perm, String name) {
        if (perm == null) {
            return x.shape();
        }
        if (perm.length != x.rank()) {
            throw new IllegalArgumentException("attribute 'perm_" + name.toLowerCase(java.util.Locale.ROOT) + "' "
                    + Arrays.toString(perm) + " has " + perm.length + " axes, input " + name + " has rank " + x.rank());
        }
        return permutedShape(x.shape(), perm);
    }

    /** {@code x} transposed by {@code perm} into a fresh row-major tensor of shape {@code dims} (any element type). */
    private static Tensor permute(Tensor x, int[] perm, int[] dims) {
        if (perm == null) {
            return x;
        }
        Tensor y = Tensor.uninitialized(x.dtype(), dims);
        int r = dims.length;
        int[] inStrides = Shapes.strides(x.shape());
        int[] step = new int[r];
        for (int d = 0; d < r; d++) {
            step[d] = inStrides[perm[d]];
        }
        int es = x.dtype().byteSize();
        ByteBuffer src = x.bytes();
        ByteBuffer dst = y.bytes();
        int[] idx = new int[r];
        int off = 0;
        for (int i = 0; i < y.size(); i++) {
            for (int k = 0; k < es; k++) {
                dst.put(i * es + k, src.get(off * es + k));
            }
            for (int d = r - 1; d >= 0; d--) {
                off += step[d];
                if (++idx[d] < dims[d]) {
                    break;
                }
                off -= step[d] * dims[d];
                idx[d] = 0;
            }
        }
        return y;
    }

    private PostOps postOps() {
        if (alpha != 1) {
            return PostOps.of(false, PostOps.Eltwise.LINEAR, alpha, 0);
        }
        PostOps.Eltwise e = !gelu ? PostOps.Eltwise.NONE : geluTanh ? PostOps.Eltwise.GELU_TANH : PostOps.Eltwise.GELU_ERF;
        return PostOps.of(hasResidual, e, 0, 0);
    }

    /** y + t with numpy broadcasting, into y where the result has y's shape. */
    private static Tensor add(Tensor y, Tensor t, Device device) {
        Broadcast bc = Broadcast.of(y.shape(), t.shape());
        Tensor out = Shapes.equal(bc.outShape(), y.shape()) ? y : Tensor.uninitialized(DataType.FLOAT, bc.outShape());
        FloatBuffer yb = y.floats();
        FloatBuffer tb = t.floats();
        FloatBuffer ob = out.floats();
        int sy = bc.rowStride(0);
        int st = bc.rowStride(1);
        bc.forEachRow(device, 1, (o, in, len) -> {
            for (int j = 0; j < len; j++) {
                ob.put(o + j, yb.get(in[0] + j * sy) + tb.get(in[1] + j * st));
            }
        });
        return out;
    }

    /** Gelu in place, as ONNX defines it (in double, rounded once). */
    private void activate(Tensor y, Device device) {
        FloatBuffer v = y.floats();
        boolean tanh = geluTanh;
        device.parallelFor(y.size(), 30, (s, e) -> {
            for (int i = s; i < e; i++) {
                double x = v.get(i);
                double phi = tanh ? 0.5 * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
                        : 0.5 * (1 + SpecialFunctions.erf(x * INV_SQRT_2));
                v.put(i, (float) (x * phi));
            }
        });
    }

    private static final double SQRT_2_OVER_PI = 0.7978845608028654;
    private static final double INV_SQRT_2 = 0.7071067811865476;
}
