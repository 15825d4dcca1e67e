package dev.sonnx.runtime.model;

import dev.sonnx.runtime.autograd.Autograd;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.SyntheticNodes;
import dev.sonnx.runtime.opt.Parameter;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/** A 2-D convolution layer (NCHW, weights [out, in/group, k, k]), run as an ONNX Conv. */
public final class Conv2d extends Layer {
    private final int outChannels;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final int dilation;
    private final int group;
    private final boolean bias;
    private final long seed;
    private Tensor weight;
    private Tensor biasTensor;
    private Operator conv;
    private int inChannels = -1;

    public Conv2d(int outChannels, int kernel) {
        this(outChannels, kernel, 1, 0, 1, 1, true, 0);
    }

    public Conv2d(int outChannels, int kernel, int stride, int padding) {
        this(outChannels, kernel, stride, padding, 1, 1, true, 0);
    }

    public Conv2d(int outChannels, int kernel, int stride, int padding, int dilation, int group, boolean bias,
                  long seed) {
        if (outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0 || dilation <= 0 || group <= 0
                || outChannels % group != 0) {
            throw new IllegalArgumentException("bad Conv2d settings: out=" + outChannels + " kernel=" + kernel
                    + " stride=" + stride + " padding=" + padding + " dilation=" + dilation + " group=" + group);
        }
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.group = group;
        this.bias = bias;
        this.seed = seed;
    }

    private void initialize(int in) {
        if (in % group != 0) {
            throw new IllegalArgumentException("Conv2d with group " + group + " cannot take " + in + " channels");
        }
        inChannels = in;
        SplittableRandom r = new SplittableRandom(seed);
        double bound = 1 / Math.sqrt((double) in / group * kernel * kernel);
        weight = Initializers.uniform(r, bound, outChannels, in / group, kernel, kernel);
        biasTensor = bias ? Initializers.uniform(r, bound, outChannels) : null;
        conv = SyntheticNodes.node("Conv", name(), bias ? 3 : 2, 1)
                .attr("kernel_shape", kernel, kernel)
                .attr("strides", stride, stride)
                .attr("pads", padding, padding, padding, padding)
                .attr("dilations", dilation, dilation)
                .attr("group", group)
                .build();
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("Conv2d takes [N, C, H, W], got " + x.describe());
        }
        if (weight == null) {
            initialize(x.dim(1));
        } else if (x.dim(1) != inChannels) {
            throw new IllegalArgumentException("Conv2d expects " + inChannels + " channels, got " + x.describe());
        }
        return bias ? Autograd.apply1(conv, x, weight, biasTensor) : Autograd.apply1(conv, x, weight);
    }

    @Override
    public List<Parameter> parameters() {
        if (weight == null) {
            return List.of();
        }
        return bias ? List.of(new Parameter("W", weight, true), new Parameter("b", biasTensor, true))
                : List.of(new Parameter("W", weight, true));
    }
}
