package dev.sonnx.runtime.ops.nn;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.ops.reduce.AxisLayout;
import dev.sonnx.runtime.ops.reduce.DoubleArrays;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Set;

/**
 * SoftmaxCrossEntropyLoss (12, 13): the negative log-likelihood loss of log_softmax(scores) along
 * the class axis 1, with NegativeLogLikelihoodLoss's weights, ignore_index and reduction; the
 * log-probabilities are the optional second output.
 */
final class SoftmaxCrossEntropyLoss extends Operator {
    private static final String[] NAMES = {"scores", "labels", "weights"};

    private final Set<DataType> allowed;
    private final LossReduction reduction;
    private final Long ignoreIndex;

    SoftmaxCrossEntropyLoss(Node node, Set<DataType> allowed) {
        super(node);
        this.allowed = allowed;
        var a = node.attributes();
        this.reduction = LossReduction.parse(a.getString("reduction", "mean"));
        this.ignoreIndex = a.has("ignore_index") ? a.getLong("ignore_index", 0) : null;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, allowed, "input 'scores'");
        ClassTargets t = ClassTargets.of(x, required(inputs, 1), tensor(inputs, 2), ignoreIndex, NAMES);
        Tensor logProb = logSoftmax(x, classAxis(t), ctx);
        if (ctx.recording()) {
            ctx.saveForBackward(logProb);
        }
        return outputs(reduction.apply(t.losses(logProb), t, x.dtype()), node.hasOutput(1) ? logProb : null);
    }

    /** log_softmax along the class axis, in the scores' type (float32 straight on its buffers). */
    private static Tensor logSoftmax(Tensor x, AxisLayout classes, OpContext ctx) {
        if (x.dtype() == DataType.FLOAT) {
            Tensor y = Tensor.uninitialized(DataType.FLOAT, x.shape()); // the kernel writes every element
            SoftmaxKernel.run(x.floats(), y.floats(), classes, true, ctx.device());
            return y;
        }
        double[] y = new double[x.size()];
        SoftmaxKernel.run(DoubleArrays.of(x), y, classes, true, ctx.device());
        return DoubleArrays.toTensor(y, x.dtype(), x.shape());
    }

    private static AxisLayout classAxis(ClassTargets t) {
        return new AxisLayout(t.batch, t.classes, t.spatial);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /**
     * With G the gradient reaching the log-probabilities (from the log_prob output, plus -weighted
     * loss gradient at each target class), d/dscores = G - softmax * sum over classes of G.
     */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] grads = new Tensor[node.inputCount()];
        if (!g.needsGrad(0)) {
            return grads;
        }
        Tensor x = g.input(0);
        ClassTargets t = ClassTargets.of(x, g.input(1), g.input(2), ignoreIndex, NAMES);
        double[] logp = DoubleArrays.of((Tensor) g.saved());
        Tensor glp = g.gradOutput(1);
        double[] gl = glp == null ? new double[x.size()] : DoubleArrays.of(glp);
        double[] pg = reduction.positionGrads(g.gradOutput(0), t);
        for (int p = 0; p < pg.length; p++) {
            if (t.cls[p] >= 0) {
                gl[t.scoreOffset(p, t.cls[p])] -= pg[p];
            }
        }
        double[] gx = SoftmaxKernel.backward(logp, gl, classAxis(t), true, g.device());
        grads[0] = DoubleArrays.toTensor(gx, x.dtype(), x.shape());
        return grads;
    }
}
