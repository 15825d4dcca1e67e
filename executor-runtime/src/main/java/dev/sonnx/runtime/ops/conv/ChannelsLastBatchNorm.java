package dev.sonnx.runtime.ops.conv;

import dev.sonnx.runtime.ops.BackwardContext;
import dev.sonnx.runtime.ops.Node;
import dev.sonnx.runtime.ops.OpContext;
import dev.sonnx.runtime.ops.Operator;
import dev.sonnx.runtime.ops.conv.dnnl.DnnlBatchNorm;
import dev.sonnx.runtime.ops.kernel.TypeCheck;
import dev.sonnx.runtime.ops.norm.NormOps;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.nio.FloatBuffer;
import java.util.Optional;

/**
 * {@code dev.sonnx.NhwcBatchNormalization} (version 1): BatchNormalization's inference form,
 * Y = (X - mean) / sqrt(var + epsilon) * scale + B per channel, over float32 images stored
 * {@link ChannelsLast} ([N, spatial..., C] in and out). Inference plans put it between channels-last
 * convolutions where a normalization does not follow a convolution it could fold into (DenseNet
 * normalizes each concatenation of features before its ReLU and convolution). Inputs as
 * BatchNormalization's (scale, B, mean and var of C elements); attributes {@code epsilon} and
 * {@code activation} ("Relu" applies max(0, y) in the same pass, else none). oneDNN's kernel makes
 * one pass over X; without oneDNN a loop does.
 *
 * <p>In training runs it is BatchNormalization over the stored images, batch statistics, running
 * statistics' update (attribute {@code momentum}) and backward included, the ReLU too: training
 * plans keep their convolutions and normalizations channels-last ({@code ChannelsLastRegions.forTraining}).
 */
final class ChannelsLastBatchNorm extends Operator {
    /** BatchNormalization's inputs after X, as its errors name them. */
    private static final String[] PARAMETERS = {"scale", "B", "input_mean", "input_var"};
    private static final java.util.Set<DataType> FLOAT32 = java.util.Set.of(DataType.FLOAT);

    private final float epsilon;
    private final boolean relu;
    private final ShapeCache<Optional<DnnlBatchNorm>> primitives = new ShapeCache<>();
    /** BatchNormalization's training form over channels-last images. */
    private final Operator training;

    ChannelsLastBatchNorm(Node node) {
        super(node);
        this.epsilon = node.attributes().getFloat("epsilon", 1e-5f);
        String activation = node.attributes().getString(FusedConv.ACTIVATION, "");
        if (!activation.isEmpty() && !activation.equals("Relu")) {
            throw new IllegalArgumentException("attribute 'activation' is '" + activation + "', expected Relu or none");
        }
        this.relu = !activation.isEmpty();
        this.training = NormOps.channelsLastBatchNormalization(node, relu);
    }

    @Override
    public boolean differentiable() {
        return true;
    }

    @Override
    public boolean differentiableInput(int index) {
        return training.differentiableInput(index);
    }

    @Override
    public Tensor[] backward(BackwardContext g) {
        return training.backward(g);
    }

    @Override
    public Value[] forward(Value[] inputs, OpContext ctx) {
        Tensor x = required(inputs, 0);
        TypeCheck.require(x, FLOAT32, "input X");
        if (x.rank() < 3 || !x.isHost()) {
            throw new IllegalArgumentException("channels-last X " + x.describe()
                    + " must be a float32 image [N, spatial..., C] in host memory");
        }
        int[] shape = x.shape();
        int c = shape[shape.length - 1];
        Tensor[] params = new Tensor[4];
        for (int i = 0; i < 4; i++) {
            params[i] = required(inputs, i + 1);
            if (params[i].dtype() != DataType.FLOAT || params[i].rank() != 1 || params[i].size() != c) {
                throw new IllegalArgumentException("input " + PARAMETERS[i] + " is " + params[i].describe()
                        + ", expected float[" + c + "] (one value a channel)");
            }
        }
        if (ctx.training() || ctx.recording()) {
            return training.forward(inputs, ctx);
        }
        Tensor y = Tensor.uninitialized(DataType.FLOAT, shape);
        int n = shape[0];
        int positions = x.size() / Math.max(1, n * c);
        DnnlBatchNorm dnnl = x.size() == 0 ? null : primitives.get(
                s -> Optional.ofNullable(DnnlBatchNorm.inferenceChannelsLast(n, c, positions, epsilon, relu)),
                shape).orElse(null);
        if (dnnl != null) {
            dnnl.forwardInference(x, y, params[0], params[1], params[2], params[3]);
        } else {
            normalize(x, y, params);
        }
        return outputs(y);
    }

    /** The same per channel, element by element (rows of C values), in double precision rounded once (a NaN stays NaN). */
    private void normalize(Tensor x, Tensor y, Tensor[] params) {
        int c = params[0].size();
        double[] factor = new double[c];
        double[] offset = new double[c];
        for (int k = 0; k < c; k++) {
            factor[k] = params[0].getFloat(k) / Math.sqrt((double) params[3].getFloat(k) + epsilon);
            offset[k] = params[1].getFloat(k) - params[2].getFloat(k) * factor[k];
        }
        FloatBuffer in = x.floats();
        FloatBuffer out = y.floats();
        for (int i = 0; i < x.size(); i++) {
            int k = i % c;
            float v = (float) (in.get(i) * factor[k] + offset[k]);
            out.put(i, relu ? (v > 0 ? v : 0f) : v);
        }
    }
}
