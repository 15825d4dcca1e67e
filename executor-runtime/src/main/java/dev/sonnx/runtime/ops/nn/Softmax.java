package dev.sonnx.runtime.ops.nn;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.ShapeCache;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlSoftmax;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.ops.reduce.AxisLayout;
import dev.sonnx.runtime.ops.reduce.DoubleArrays;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Optional;
import java.util.Set;

/**
 * Softmax and LogSoftmax. Opsets 1-12 coerce the input to 2-D at {@code axis} (default 1) and
 * normalize each row of {@code shape[axis] * ... * shape[rank-1]} elements together; opset 13
 * normalizes along the one axis {@code axis} (default -1). float32 on the host runs oneDNN's kernel
 * ({@link DnnlSoftmax}), else the Java loops of {@link SoftmaxKernel}.
 */
final class Softmax extends Operator {
    private final boolean log;
    private final boolean coerce2d;
    private final Set<DataType> allowed;
    private final int axis;
    /** oneDNN's kernels per input shape (empty where oneDNN declines), for float32. */
    private final ShapeCache<Optional<DnnlSoftmax>> primitives = new ShapeCache<>();

    Softmax(Node node, boolean log, boolean coerce2d, Set<DataType> allowed) {
        super(node);
        this.log = log;
        this.coerce2d = coerce2d;
        this.allowed = allowed;
        this.axis = node.attributes().getInt("axis", coerce2d ? 1 : -1);
    }

    /** The layout to normalize along: the 2-D coercion, or one axis. */
    static AxisLayout layout(Tensor x, int axis, boolean coerce2d, String op) {
        int rank = x.rank();
        if (rank == 0) {
            return new AxisLayout(1, 1, 1);
        }
        if (axis < -rank || axis >= rank) {
            throw new IllegalArgumentException(op + ": attribute 'axis' = " + axis
                    + " is out of range for input of rank " + rank);
        }
        int a = axis < 0 ? axis + rank : axis;
        return coerce2d ? AxisLayout.coerced2d(x.shape(), a) : AxisLayout.around(x.shape(), a);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, allowed, "input 'input'");
        AxisLayout l = layout(x, axis, coerce2d, node.opType());
        if (ctx.recording()) {
            ctx.saveForBackward(l);
        }
        if (x.dtype() == DataType.FLOAT) {
            Tensor y = Tensor.uninitialized(DataType.FLOAT, x.shape()); // the kernels write every element
            DnnlSoftmax dnnl = ctx.device().isHost() && x.size() > 0
                    ? primitives.get(s -> Optional.ofNullable(DnnlSoftmax.create(l.outer(), l.length(), l.inner(), log)),
                            x.shape()).orElse(null)
                    : null;
            if (dnnl != null) {
                dnnl.forward(x, y);
            } else {
                SoftmaxKernel.run(x.floats(), y.floats(), l, log, ctx.device());
            }
            return outputs(y);
        }
        double[] y = new double[x.size()];
        SoftmaxKernel.run(DoubleArrays.of(x), y, l, log, ctx.device());
        return outputs(DoubleArrays.toTensor(y, x.dtype(), x.shape()));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor gy = g.gradOutput(0);
        if (gy == null || !g.needsGrad(0)) {
            return new Tensor[1];
        }
        Tensor y = g.output(0);
        double[] gx = SoftmaxKernel.backward(DoubleArrays.of(y), DoubleArrays.of(gy), (AxisLayout) g.saved(), log,
                g.device());
        return new Tensor[] {DoubleArrays.toTensor(gx, y.dtype(), y.shape())};
    }
}
