package dev.sonnx.runtime.ops.math;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Set;

/**
 * An elementwise function of one tensor, y = f(x), with its derivative dy/dx written beside it
 * (as a function of x and y, whichever is cheaper), so backward is gx = gy * f'(x, y).
 */
final class UnaryOp extends Operator {

    /** dy/dx at one element, given x and y = f(x). */
    @FunctionalInterface
    interface Derivative {
        double at(double x, double y);
    }

    private final Set<DataType> allowed;
    private final UnaryFn fn;
    private final Derivative derivative;
    /** The hand-written float32 loop of this function, or null. */
    private final FloatLoops.Unary kernel;
    private final boolean relu;

    UnaryOp(Node node, Set<DataType> allowed, UnaryFn fn, Derivative derivative) {
        this(node, allowed, fn, derivative, (FloatLoops.Unary) null);
    }

    /** {@code relu}: float32 forward and backward use the hand-written loops of {@link FloatLoops}. */
    UnaryOp(Node node, Set<DataType> allowed, UnaryFn fn, Derivative derivative, boolean relu) {
        this(node, allowed, fn, derivative, relu ? FloatLoops.Unary.RELU : null);
    }

    /** {@code kernel}: float32 forward uses this loop of {@link FloatLoops} (the same function, vectorised in float32). */
    UnaryOp(Node node, Set<DataType> allowed, UnaryFn fn, Derivative derivative, FloatLoops.Unary kernel) {
        super(node);
        this.allowed = allowed;
        this.fn = fn;
        this.derivative = derivative;
        this.kernel = kernel;
        this.relu = kernel == FloatLoops.Unary.RELU;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, allowed, "input X");
        if (kernel != null && x.dtype() == DataType.FLOAT) {
            return outputs(FloatLoops.unary(kernel, x, ctx.device()));
        }
        return outputs(Elementwise.unary(x, x.dtype(), fn, ctx.device()));
    }

    @Override
    public boolean differentiable() {
        return derivative != null;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return new Tensor[1];
        }
        Tensor x = g.input(0);
        Tensor y = g.output(0);
        if (!x.dtype().isFloat()) {
            return new Tensor[1];
        }
        if (relu && x.dtype() == DataType.FLOAT && gy.dtype() == DataType.FLOAT) {
            return new Tensor[] {FloatLoops.reluBackward(x, gy, g.device())};
        }
        Tensor gx = Tensor.uninitialized(x.dtype(), x.shape());
        g.device().parallelFor(x.size(), 8, (s, e) -> {
            for (int i = s; i < e; i++) {
                gx.setDouble(i, gy.getDouble(i) * derivative.at(x.getDouble(i), y.getDouble(i)));
            }
        });
        return new Tensor[] {gx};
    }
}
