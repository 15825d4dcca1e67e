package dev.sonnx.runtime.ops.linalg;

import dev.sonnx.runtime.ops.BuildContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.ShapeCache;
import dev.sonnx.runtime.ops.conv.dnnl.PostOps;
import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.ops.kernel.SpecialFunctions;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.FloatBuffer;

/**
 * {@code dev.sonnx.FusedMatMul} (version 1), an internal operator that inference plans use in place of
 * a float32 MatMul and the elementwise nodes after it: Y = act((A @ B + bias) + Z).
 * <ul>
 *   <li>Inputs: A, B as MatMul's (numpy.matmul); bias (optional), Z (optional, the residual), each
 *   numpy-broadcast against the sum before it, as the Adds it replaces.</li>
 *   <li>Attributes: {@code activation}: "" (none) or "Gelu", with Gelu's {@code approximate}
 *   ("none" or "tanh").</li>
 * </ul>
 * oneDNN runs it as one matrix product with the bias, the residual as a binary-add post-op and Gelu as
 * an eltwise post-op, where the bias is a vector over Y's last dimension and Z has Y's shape (a
 * transformer's projections); a constant B is packed once. Anything else (other shapes, no oneDNN)
 * computes the product, then the adds and the activation in plain loops. float32 only: the passes of
 * {@code backend.passes} write it at prepare, for products whose B is a float32 constant; never in a
 * model file.
 */
final class FusedMatMul extends Operator {
    static final String OP_TYPE = "FusedMatMul";
    static final String ACTIVATION = "activation";

    private final boolean gelu;
    private final boolean geluTanh;
    private final boolean hasBias;
    private final boolean hasResidual;
    /** B when it is a constant of an inference model: packed once per plan. */
    private final Tensor constantB;
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
        Tensor b = build == null ? null : build.constantInput(1);
        this.constantB = b != null && b.dtype() == DataType.FLOAT ? b : null;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor a = required(inputs, 0);
        Tensor b = required(inputs, 1);
        Tensor bias = hasBias ? required(inputs, 2) : null;
        Tensor z = hasResidual ? required(inputs, 3) : null;
        for (Tensor t : new Tensor[] {a, b, bias, z}) {
            if (t != null && t.dtype() != DataType.FLOAT) {
                throw new IllegalArgumentException("takes float32 tensors, got " + t.dtype().onnxName());
            }
        }
        MatMulShape s = MatMulShape.of(a.shape(), b.shape());
        int[] yShape = s.outShape;
        boolean biasRow = bias == null || b.rank() >= 2 && bias.rank() == 1 && bias.dim(0) == s.n;
        boolean plainZ = z == null || Shapes.equal(z.shape(), yShape);
        Device device = ctx.device();
        if (device.isHost() && biasRow && plainZ && s.batch > 0 && s.m > 0 && s.n > 0 && s.k > 0) {
            DnnlProduct p = plans.get(sh -> DnnlProduct.matMul(sh[0], sh[1], s, hasBias, constantB != null,
                    postOps()), a.shape(), b.shape());
            if (p.dnnl != null) {
                // the primitive writes every element (the residual post-op reads Z, not Y)
                Tensor y = Tensor.uninitialized(DataType.FLOAT, yShape);
                p.run(a, b, b == constantB, bias, z, y);
                return outputs(y);
            }
        }
        Tensor y = Tensor.zeros(DataType.FLOAT, yShape);
        MatMul.multiply(a, b, y, s, device);
        if (bias != null) {
            y = add(y, bias, device);
        }
        if (z != null) {
            y = add(y, z, device);
        }
        if (gelu) {
            activate(y, device);
        }
        return outputs(y);
    }

    private PostOps postOps() {
        PostOps.Eltwise e = !gelu ? PostOps.Eltwise.NONE : geluTanh ? PostOps.Eltwise.GELU_TANH : PostOps.Eltwise.GELU_ERF;
        return PostOps.of(hasResidual, e, 0, 0);
    }

    /** y + t with numpy broadcasting, into y where the result has y's shape. */
    private static Tensor add(Tensor y, Tensor t, Device device) {
        Broadcast bc = Broadcast.of(y.shape(), t.shape());
        Tensor out = Shapes.equal(bc.outShape(), y.shape()) ? y : Tensor.zeros(DataType.FLOAT, bc.outShape());
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
