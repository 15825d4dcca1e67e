package dev.sonnx.runtime.model;

import dev.sonnx.runtime.autograd.Autograd;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.SyntheticNodes;
import dev.sonnx.runtime.opt.Parameter;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.List;

/**
 * Batch normalization over the channels of NCHW input, run as an ONNX BatchNormalization: batch
 * statistics in training (updating the running ones with {@code momentum}, ONNX's convention:
 * running = momentum * running + (1 - momentum) * batch), running statistics in evaluation.
 */
public final class BatchNorm2d extends Layer {
    private final float momentum;
    private final float epsilon;
    private Tensor scale;
    private Tensor bias;
    private Tensor runningMean;
    private Tensor runningVar;
    private Operator bn;

    public BatchNorm2d() {
        this(0.9f, 1e-5f);
    }

    public BatchNorm2d(float momentum, float epsilon) {
        this.momentum = momentum;
        this.epsilon = epsilon;
    }

    private void initialize(int channels) {
        scale = Initializers.filled(1f, channels);
        bias = Tensor.zeros(DataType.FLOAT, channels);
        runningMean = Tensor.zeros(DataType.FLOAT, channels);
        runningVar = Initializers.filled(1f, channels);
        bn = SyntheticNodes.node("BatchNormalization", name(), 5, 1)
                .attr("momentum", momentum).attr("epsilon", epsilon).build();
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() < 2) {
            throw new IllegalArgumentException("BatchNorm2d takes [N, C, ...], got " + x.describe());
        }
        if (scale == null) {
            initialize(x.dim(1));
        } else if (x.dim(1) != scale.size()) {
            throw new IllegalArgumentException("BatchNorm2d has " + scale.size() + " channels, got " + x.describe());
        }
        return Autograd.apply1(bn, x, scale, bias, runningMean, runningVar);
    }

    @Override
    public List<Parameter> parameters() {
        return scale == null ? List.of()
                : List.of(new Parameter("scale", scale, true), new Parameter("bias", bias, true));
    }

    @Override
    public List<Parameter> buffers() {
        return scale == null ? List.of()
                : List.of(new Parameter("running_mean", runningMean, false),
                new Parameter("running_var", runningVar, false));
    }
}
