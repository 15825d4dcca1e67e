package dev.sonnx.runtime.autograd;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.SyntheticNodes;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;

/** The training losses, recorded on the current tape like any operator: SINGA's autograd losses. */
public final class Losses {
    private Losses() {
    }

    /**
     * Mean softmax cross-entropy of {@code logits} [N, C] against {@code labels}: class indices [N]
     * (any integer type) or one-hot / soft targets [N, C] (float). Returns a scalar.
     */
    public static Tensor softmaxCrossEntropy(Tensor logits, Tensor labels) {
        return Autograd.apply1(new SoftmaxCrossEntropy(), logits, labels);
    }

    /** Mean squared error mean((prediction - target)^2) over all elements. Returns a scalar. */
    public static Tensor mse(Tensor prediction, Tensor target) {
        return Autograd.apply1(new MeanSquaredError(), prediction, target);
    }

    /** A gradient computed on the host, placed where its input lives. */
    private static Tensor onDeviceOf(Tensor grad, Tensor input) {
        return input.isHost() ? grad : grad.to(input.device());
    }

    private static Node lossNode(String name) {
        return new Node(SyntheticNodes.node("Identity", name, 2, 1).proto(), SyntheticNodes.OPSET);
    }

    /** Softmax cross-entropy with its gradient (softmax - target) / N beside it. */
    static final class SoftmaxCrossEntropy extends Operator {
        SoftmaxCrossEntropy() {
            super(lossNode("softmax_cross_entropy"));
        }

        @Override
        public Value[] forward(Value[] inputs, OpContext ctx) {
            // a loss reads a few numbers per row: a GPU model's logits come to the host for it
            Tensor x = required(inputs, 0).toHost();
            Tensor y = required(inputs, 1).toHost();
            if (x.rank() != 2) {
                throw new IllegalArgumentException("logits must be [N, C], got " + x.describe());
            }
            int n = x.dim(0);
            int c = x.dim(1);
            boolean indices = !y.dtype().isFloat();
            if (indices ? y.size() != n : y.rank() != 2 || y.dim(0) != n || y.dim(1) != c) {
                throw new IllegalArgumentException("labels " + y.describe() + " do not match logits " + x.describe()
                        + " (expected [" + n + "] class indices or [" + n + ", " + c + "] targets)");
            }
            Tensor probs = Tensor.uninitialized(DataType.FLOAT, n, c);
            double total = 0;
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < c; j++) {
                    max = Math.max(max, x.getDouble(i * c + j));
                }
                double sum = 0;
                for (int j = 0; j < c; j++) {
                    sum += Math.exp(x.getDouble(i * c + j) - max);
                }
                double logSum = max + Math.log(sum);
                for (int j = 0; j < c; j++) {
                    double logP = x.getDouble(i * c + j) - logSum;
                    probs.setDouble(i * c + j, Math.exp(logP));
                    total -= target(y, indices, i, j, c) * logP;
                }
            }
            if (ctx.recording()) {
                ctx.saveForBackward(probs);
            }
            return outputs(Tensor.scalar(x.dtype(), n == 0 ? 0 : total / n));
        }

        private static double target(Tensor y, boolean indices, int i, int j, int c) {
            if (!indices) {
                return y.getDouble(i * c + j);
            }
            long label = y.getLong(i);
            if (label < 0 || label >= c) {
                throw new IllegalArgumentException("label " + label + " of row " + i + " is outside [0, " + c + ")");
            }
            return label == j ? 1 : 0;
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        @Override
        public boolean differentiableInput(int index) {
            return index == 0;
        }

        @Override
        public Tensor[] backward(BackwardContext g) {
            Tensor x = g.input(0).toHost();
            Tensor y = g.input(1).toHost();
            Tensor probs = (Tensor) g.saved();
            int n = x.dim(0);
            int c = x.dim(1);
            boolean indices = !y.dtype().isFloat();
            double scale = g.gradOutput(0).getDouble(0) / Math.max(n, 1);
            Tensor gx = Tensor.uninitialized(x.dtype(), x.shape());
            for (int i = 0; i < n; i++) {
                double rowTargets = 0;
                for (int j = 0; j < c; j++) {
                    rowTargets += target(y, indices, i, j, c);
                }
                for (int j = 0; j < c; j++) {
                    double p = probs.getDouble(i * c + j);
                    gx.setDouble(i * c + j, scale * (rowTargets * p - target(y, indices, i, j, c)));
                }
            }
            return new Tensor[] {onDeviceOf(gx, g.input(0)), null};
        }
    }

    /** Mean squared error with its gradient 2 (p - t) / n beside it. */
    static final class MeanSquaredError extends Operator {
        MeanSquaredError() {
            super(lossNode("mse"));
        }

        @Override
        public Value[] forward(Value[] inputs, OpContext ctx) {
            Tensor p = required(inputs, 0).toHost();
            Tensor t = required(inputs, 1).toHost();
            if (p.size() != t.size()) {
                throw new IllegalArgumentException("prediction " + p.describe() + " and target " + t.describe()
                        + " differ in size");
            }
            double sum = 0;
            for (int i = 0; i < p.size(); i++) {
                double d = p.getDouble(i) - t.getDouble(i);
                sum += d * d;
            }
            return outputs(Tensor.scalar(p.dtype(), p.size() == 0 ? 0 : sum / p.size()));
        }

        @Override
        public boolean differentiable() {
            return true;
        }

        @Override
        public boolean differentiableInput(int index) {
            return index == 0;
        }

        @Override
        public Tensor[] backward(BackwardContext g) {
            Tensor p = g.input(0).toHost();
            Tensor t = g.input(1).toHost();
            double scale = 2 * g.gradOutput(0).getDouble(0) / Math.max(p.size(), 1);
            Tensor gp = Tensor.uninitialized(p.dtype(), p.shape());
            for (int i = 0; i < p.size(); i++) {
                gp.setDouble(i, scale * (p.getDouble(i) - t.getDouble(i)));
            }
            return new Tensor[] {onDeviceOf(gp, g.input(0)), null};
        }
    }
}
