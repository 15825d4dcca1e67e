package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;

/**
 * The graph rewrites of inference models, in order; training models get {@link TrainingPasses}
 * instead (training updates the parameters these rewrites merge). Each pass returns the model
 * unchanged where nothing applies.
 * Rewritten models may import sonnx's private operator domain ({@code dev.sonnx}).
 */
public final class InferencePasses {
    private InferencePasses() {
    }

    /**
     * The rewrites for a GPU: BatchNormalization folded into Conv, zero Pads into the Conv or pool
     * after them, and Conv [-> Add] [-> activation]
     * into dev.sonnx.FusedConv (which cuDNN runs as one call for Relu); not the CPU's channels-last
     * regions nor its oneDNN-only fusions.
     */
    public static ModelProto applyPortable(ModelProto model) {
        return ConvActivationFusion.apply(PadFusion.apply(ConvBatchNormFolding.apply(model), false));
    }

    public static ModelProto apply(ModelProto model) {
        ModelProto m = ConvBatchNormFolding.apply(model);
        m = PadFusion.apply(m, true);   // before the activations fuse: MaxPool's rule looks for a Relu
        m = ConvActivationFusion.apply(m);
        m = SpatialMeanPooling.apply(m);   // after the fusions (Relu into the convolution), before the regions
        m = ConcatSplitting.apply(m);   // after the fusions: splits FusedConv nodes, epilogue and all
        m = ConcatPrefixReuse.apply(m);   // on the Concats that stay
        m = ChannelsLastRegions.apply(m);
        m = PointwiseDepthwiseFusion.apply(m);   // on the channels-last convolutions
        m = LayerNormFusion.apply(m);
        m = GeluFusion.apply(m);
        m = MatMulFusion.apply(m);   // after GeluFusion: takes its Gelu nodes as post-ops
        return m;
    }
}
