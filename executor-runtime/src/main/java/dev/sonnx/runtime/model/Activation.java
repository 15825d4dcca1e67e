package dev.sonnx.runtime.model;

import dev.sonnx.runtime.autograd.Autograd;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.SyntheticNodes;
import dev.sonnx.runtime.opt.Parameter;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.List;

/**
 * A layer without parameters around one operator: ReLU, Flatten, Dropout, max and average pooling.
 * Built by the factory methods, which write the node an exporter would.
 */
public final class Activation extends Layer {
    private final Operator op;
    private final Tensor extraInput;

    private Activation(String name, Operator op, Tensor extraInput) {
        this.op = op;
        this.extraInput = extraInput;
        setName(name);
    }

    public static Activation relu() {
        return new Activation("relu", SyntheticNodes.node("Relu", "relu", 1, 1).build(), null);
    }

    public static Activation flatten() {
        return new Activation("flatten", SyntheticNodes.node("Flatten", "flatten", 1, 1).attr("axis", 1L).build(),
                null);
    }

    /** Drops each element with probability {@code ratio} in training; identity in evaluation. */
    public static Activation dropout(float ratio) {
        if (ratio < 0 || ratio >= 1) {
            throw new IllegalArgumentException("dropout ratio must be in [0, 1), got " + ratio);
        }
        return new Activation("dropout", SyntheticNodes.node("Dropout", "dropout", 2, 1).build(),
                Tensor.scalar(ratio));
    }

    public static Activation maxPool2d(int kernel, int stride, int padding) {
        return new Activation("maxpool", pool("MaxPool", kernel, stride, padding), null);
    }

    public static Activation avgPool2d(int kernel, int stride, int padding) {
        return new Activation("avgpool", pool("AveragePool", kernel, stride, padding), null);
    }

    public static Activation globalAvgPool() {
        return new Activation("globalavgpool", SyntheticNodes.node("GlobalAveragePool", "gap", 1, 1).build(), null);
    }

    private static Operator pool(String op, int kernel, int stride, int padding) {
        return SyntheticNodes.node(op, op.toLowerCase(java.util.Locale.ROOT), 1, 1)
                .attr("kernel_shape", kernel, kernel)
                .attr("strides", stride, stride)
                .attr("pads", padding, padding, padding, padding)
                .build();
    }

    @Override
    public Tensor forward(Tensor x) {
        return extraInput == null ? Autograd.apply1(op, x) : Autograd.apply1(op, x, extraInput);
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }
}
