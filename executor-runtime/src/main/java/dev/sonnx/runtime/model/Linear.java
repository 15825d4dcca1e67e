package dev.sonnx.runtime.model;

import dev.sonnx.runtime.autograd.Autograd;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.SyntheticNodes;
import dev.sonnx.runtime.opt.Parameter;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A fully connected layer y = x W + b with W of shape [in, out] (SINGA's layout), run as an ONNX Gemm.
 * {@code new Linear(out)} takes its input size from the first batch it sees.
 */
public final class Linear extends Layer {
    private final int outFeatures;
    private final boolean bias;
    private final long seed;
    private int inFeatures;
    private Tensor weight;
    private Tensor biasTensor;
    private Operator gemm;

    public Linear(int outFeatures) {
        this(-1, outFeatures, true, 0);
    }

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, 0);
    }

    public Linear(int inFeatures, int outFeatures, boolean bias, long seed) {
        if (outFeatures <= 0) {
            throw new IllegalArgumentException("Linear needs a positive output size, got " + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        this.bias = bias;
        this.seed = seed;
        if (inFeatures > 0) {
            initialize(inFeatures);
        }
    }

    private void initialize(int in) {
        this.inFeatures = in;
        SplittableRandom r = new SplittableRandom(seed);
        double bound = 1 / Math.sqrt(in);
        weight = Initializers.uniform(r, bound, in, outFeatures);
        biasTensor = bias ? Initializers.uniform(r, bound, outFeatures) : null;
        gemm = SyntheticNodes.node("Gemm", name(), bias ? 3 : 2, 1).build();
    }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() != 2) {
            throw new IllegalArgumentException("Linear takes [N, features], got " + x.describe());
        }
        if (weight == null) {
            initialize(x.dim(1));
        } else if (x.dim(1) != inFeatures) {
            throw new IllegalArgumentException("Linear expects " + inFeatures + " input features, got " + x.describe());
        }
        return bias ? Autograd.apply1(gemm, x, weight, biasTensor) : Autograd.apply1(gemm, x, weight);
    }

    @Override
    public List<Parameter> parameters() {
        if (weight == null) {
            return List.of();
        }
        return bias ? List.of(new Parameter("W", weight, true), new Parameter("b", biasTensor, true))
                : List.of(new Parameter("W", weight, true));
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }
}
