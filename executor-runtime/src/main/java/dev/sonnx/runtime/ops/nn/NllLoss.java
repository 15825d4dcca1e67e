package dev.sonnx.runtime.ops.nn;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.ops.reduce.DoubleArrays;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.util.Set;

/**
 * NegativeLogLikelihoodLoss (12, 13): loss(n, d) = -input(n, target(n, d), d) * weight(target),
 * zero where the target equals {@code ignore_index}, then reduced ("none", "sum", or "mean" = sum
 * over the sum of the weights used). The input holds log-probabilities [N, C, d1...].
 */
final class NllLoss extends Operator {
    private static final String[] NAMES = {"input", "target", "weight"};

    private final Set<dev.sonnx.runtime.tensor.DataType> allowed;
    private final LossReduction reduction;
    private final Long ignoreIndex;

    NllLoss(Node node, Set<dev.sonnx.runtime.tensor.DataType> allowed) {
        super(node);
        this.allowed = allowed;
        var a = node.attributes();
        this.reduction = LossReduction.parse(a.getString("reduction", "mean"));
        this.ignoreIndex = a.has("ignore_index") ? a.getLong("ignore_index", 0) : null;
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, allowed, "input 'input'");
        ClassTargets t = ClassTargets.of(x, required(inputs, 1), tensor(inputs, 2), ignoreIndex, NAMES);
        return outputs(reduction.apply(t.losses(x), t, x.dtype()));
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    /** d loss / d input(n, c, d) = -(weighted loss gradient) at c = target(n, d), 0 elsewhere. */
    @Override
    public Tensor[] backward(BackwardContext g) {
        Tensor[] grads = new Tensor[node.inputCount()];
        if (!g.needsGrad(0)) {
            return grads;
        }
        Tensor x = g.input(0);
        ClassTargets t = ClassTargets.of(x, g.input(1), g.input(2), ignoreIndex, NAMES);
        double[] pg = reduction.positionGrads(g.gradOutput(0), t);
        double[] gx = new double[x.size()];
        for (int p = 0; p < pg.length; p++) {
            if (t.cls[p] >= 0) {
                gx[t.scoreOffset(p, t.cls[p])] = -pg[p];
            }
        }
        grads[0] = DoubleArrays.toTensor(gx, x.dtype(), x.shape());
        return grads;
    }
}
