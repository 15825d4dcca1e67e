package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlBinary;
import dev.sonnx.runtime.ops.kernel.Broadcast;
import dev.sonnx.runtime.ops.kernel.SumTo;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Arrays;
import java.util.Set;

/**
 * An elementwise function of two tensors of one type with numpy broadcasting (or, before opset 7,
 * the limited broadcasting of {@link LegacyBroadcast}): arithmetic (output of the inputs' type) or
 * comparison and logic (output bool). Its partial derivatives, where it has them, sit beside it;
 * backward sums them back over broadcast dimensions.
 */
final class BinaryOp extends Operator {

    /** dy/da and dy/db at one element, given a, b and y. */
    interface Partials {
        double da(double a, double b, double y);

        double db(double a, double b, double y);

        /** Constant partials (Add, Sub): the gradients are gy scaled, with no elementwise pass. */
        static Partials linear(double ca, double cb) {
            return new Linear(ca, cb);
        }
    }

    record Linear(double ca, double cb) implements Partials {
        @Override
        public double da(double a, double b, double y) {
            return ca;
        }

        @Override
        public double db(double a, double b, double y) {
            return cb;
        }
    }

    /** y = a * b, where ga = gy * b and gb = gy * a run through the operator's own (fast) product. */
    enum Product implements Partials {
        INSTANCE;

        @Override
        public double da(double a, double b, double y) {
            return b;
        }

        @Override
        public double db(double a, double b, double y) {
            return a;
        }
    }

    /**
     * What one operator computes: the types it accepts (and a hint for the error when a type is
     * refused), the function, whether it answers bool, and its partials (null: not differentiable).
     */
    record Spec(Set<DataType> allowed, String typeHint, BinaryFn fn, boolean boolOutput, Partials partials) {
        static Spec arithmetic(Set<DataType> allowed, BinaryFn fn, Partials partials) {
            return new Spec(allowed, null, fn, false, partials);
        }

        static Spec predicate(Set<DataType> allowed, BinaryFn fn) {
            return new Spec(allowed, null, fn, true, null);
        }
    }

    private final Spec spec;
    private final LegacyBroadcast legacy;
    /** The broadcast plan of the latest input shapes: a model feeds a node the same shapes run after run. */
    private volatile ShapesPlan latest;

    /**
     * The plan of one pair of shapes, and the oneDNN primitive that runs it where the Java loops are
     * slow (null elsewhere), reading its operands swapped when {@code swap}.
     */
    private record ShapesPlan(int[] a, int[] b, Broadcast plan, DnnlBinary dnnl, boolean swap) {
    }

    /**
     * The fewest elements of a result worth a oneDNN call (a few microseconds); below, the Java
     * loops finish first.
     */
    private static final int DNNL_MIN_ELEMENTS = 1 << 14;

    /** {@code legacyBroadcast}: the operator's version predates numpy broadcasting (opset < 7). */
    BinaryOp(Node node, Spec spec, boolean legacyBroadcast) {
        super(node);
        this.spec = spec;
        this.legacy = legacyBroadcast ? new LegacyBroadcast(node) : null;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor a = required(inputs, 0);
        Tensor b = required(inputs, 1);
        if (!spec.allowed().contains(a.dtype())) {
            throw new IllegalArgumentException("input A has type " + a.dtype().onnxName()
                    + ", which this operator does not accept" + (spec.typeHint() == null ? "" : ": " + spec.typeHint()));
        }
        DataType t = TypeCheck.same(a, b);
        if (legacy != null) {
            b = legacy.align(a, b);
        }
        boolean host = ctx.device().isHost();
        ShapesPlan p = plan(a.shape(), b.shape(), host && t == DataType.FLOAT && !spec.boolOutput());
        if (p.dnnl() != null && host) {
            // every element of the result is written
            Tensor y = Tensor.uninitialized(DataType.FLOAT, p.plan().outShape());
            p.dnnl().forward(p.swap() ? b : a, p.swap() ? a : b, y);
            return outputs(y);
        }
        return outputs(Elementwise.binary(a, b, p.plan(), spec.boolOutput() ? DataType.BOOL : t, spec.fn(),
                ctx.device()));
    }

    private ShapesPlan plan(int[] a, int[] b, boolean float32) {
        ShapesPlan p = latest;
        if (p != null && Arrays.equals(p.a(), a) && Arrays.equals(p.b(), b)) {
            return p;
        }
        Broadcast plan = Broadcast.of(a, b);
        p = float32 ? withDnnl(a, b, plan) : null;
        p = p != null ? p : new ShapesPlan(a.clone(), b.clone(), plan, null, false);
        latest = p;
        return p;
    }

    /**
     * The oneDNN primitive for float32 Add, Sub, Mul and Div where one operand has the result's shape,
     * the other broadcasts into it, and the broadcast plan's rows are shorter than the Java loops'
     * blocks (a channels-last image times its channel weights); null elsewhere. A commutative
     * operation reads its operands swapped when the first one broadcasts.
     */
    private ShapesPlan withDnnl(int[] a, int[] b, Broadcast plan) {
        FloatLoops.Binary kernel = spec.fn().kernel();
        int[] out = plan.outShape();
        if (kernel == null || Arrays.equals(a, b) || plan.size() < DNNL_MIN_ELEMENTS
                || plan.rowLength() >= FloatLoops.Block.LENGTH) {
            return null;
        }
        boolean commutative = kernel == FloatLoops.Binary.ADD || kernel == FloatLoops.Binary.MUL;
        boolean swap = !Arrays.equals(a, out);
        if (swap && (!commutative || !Arrays.equals(b, out))) {
            return null;
        }
        DnnlBinary dnnl = DnnlBinary.create(DnnlBinary.Op.valueOf(kernel.name()), out,
                Shapes.leftPadded(swap ? a : b, out.length));
        return dnnl == null ? null : new ShapesPlan(a.clone(), b.clone(), plan, dnnl, swap);
    }

    @Override
    public boolean differentiable() {
        return spec.partials() != null;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        Tensor[] r = new Tensor[2];
        Tensor a = g.input(0);
        if (gy == null || !a.dtype().isFloat()) {
            return r;
        }
        Tensor b = g.input(1);
        Tensor bAligned = legacy != null ? legacy.align(a, b) : b;
        Partials p = spec.partials();
        if (p instanceof Linear l) {
            if (g.needsGrad(0)) {
                r[0] = sumTo(l.ca() == 1 ? gy : Elementwise.scale(gy, l.ca(), g.device()), a, g);
            }
            if (g.needsGrad(1)) {
                r[1] = sumTo(l.cb() == 1 ? gy : Elementwise.scale(gy, l.cb(), g.device()), bAligned, g)
                        .reshape(b.shape());
                if (r[0] != null && r[1].storage() == r[0].storage()) {
                    r[1] = r[1].copy(); // each input gets its own tensor, free to accumulate into
                }
            }
            return r;
        }
        if (p instanceof Product) {
            if (g.needsGrad(0)) {
                r[0] = sumTo(Elementwise.binary(gy, bAligned, gy.dtype(), spec.fn(), g.device()), a, g);
            }
            if (g.needsGrad(1)) {
                r[1] = sumTo(Elementwise.binary(gy, a, gy.dtype(), spec.fn(), g.device()), bAligned, g)
                        .reshape(b.shape());
            }
            return r;
        }
        Tensor y = g.output(0);
        Broadcast bc = Broadcast.to(y.shape(), a.shape(), bAligned.shape());
        int sa = bc.rowStride(0);
        int sb = bc.rowStride(1);
        Tensor ga = g.needsGrad(0) ? Tensor.uninitialized(y.dtype(), y.shape()) : null;
        Tensor gb = g.needsGrad(1) ? Tensor.uninitialized(y.dtype(), y.shape()) : null;
        Spans.forEach(bc, 2, g.device(), 8, (oo, off, len) -> {
            int ia = off[0];
            int ib = off[1];
            for (int j = 0; j < len; j++, ia += sa, ib += sb) {
                double av = a.getDouble(ia);
                double bv = bAligned.getDouble(ib);
                double yv = y.getDouble(oo + j);
                double gv = gy.getDouble(oo + j);
                if (ga != null) {
                    ga.setDouble(oo + j, gv * p.da(av, bv, yv));
                }
                if (gb != null) {
                    gb.setDouble(oo + j, gv * p.db(av, bv, yv));
                }
            }
        });
        if (ga != null) {
            r[0] = sumTo(ga, a, g);
        }
        if (gb != null) {
            r[1] = sumTo(gb, bAligned, g).reshape(b.shape());
        }
        return r;
    }

    private static Tensor sumTo(Tensor grad, Tensor input, BackwardContext g) {
        return SumTo.sumTo(grad, input.shape(), g.device());
    }
}
