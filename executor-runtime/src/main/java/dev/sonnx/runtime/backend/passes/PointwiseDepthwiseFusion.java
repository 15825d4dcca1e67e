package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.ops.conv.PointwiseDepthwiseConv;
import dev.sonnx.runtime.tensor.DataType;
import java.util.Arrays;
import java.util.List;

/**
 * Inference-time rewrite of a channels-last 1 x 1 convolution whose result only a 3 x 3 depthwise
 * convolution reads (stride 1 or 2, padding 1: a MobileNet block's expansion and depthwise layers)
 * into one {@code dev.sonnx.PointwiseDepthwiseConv}, which oneDNN runs as one primitive where it has
 * a kernel for the pair. Both must be {@code dev.sonnx.FusedConv} nodes with {@code channels_last = 1}
 * and no residual, float32 constant weights and constant or no biases; their activations go along.
 * Runs after {@link ChannelsLastRegions}.
 */
public final class PointwiseDepthwiseFusion {
    private PointwiseDepthwiseFusion() {
    }

    public static ModelProto apply(ModelProto model) {
        GraphProto g = model.getGraph();
        GraphIndex index = new GraphIndex(g);
        Fusions fusions = new Fusions();
        for (NodeProto pointwise : g.getNodeList()) {
            long[] w1 = weightDims(pointwise, index);
            if (w1 == null || w1[2] != 1 || w1[3] != 1 || GraphIndex.intAttr(pointwise, "group", 1) != 1
                    || !dense(pointwise, 1, 0) || fusions.absorbed(pointwise)) {
                continue;
            }
            NodeProto depthwise = index.soleReader(pointwise.getOutput(0));
            long[] w2 = depthwise == null ? null : weightDims(depthwise, index);
            if (w2 == null || !depthwise.getInput(0).equals(pointwise.getOutput(0)) || fusions.absorbed(depthwise)
                    || !Arrays.equals(w2, new long[] {w1[0], 1, 3, 3})
                    || GraphIndex.intAttr(depthwise, "group", 1) != w1[0]) {
                continue;
            }
            long stride = dense(depthwise, 1, 1) ? 1 : dense(depthwise, 2, 1) ? 2 : 0;
            if (stride == 0) {
                continue;
            }
            fusions.fuse(List.of(pointwise, depthwise), depthwise, fused(pointwise, depthwise, stride));
        }
        if (fusions.isEmpty()) {
            return model;
        }
        return model.toBuilder().setGraph(fusions.rewrite(g)).build();
    }

    /**
     * The weights' dimensions of a channels-last FusedConv without a residual whose weights are a
     * float32 constant of rank 4 and bias a float32 constant or absent; else null.
     */
    private static long[] weightDims(NodeProto n, GraphIndex index) {
        if (!n.getOpType().equals(FusedConv.OP_TYPE) || !n.getDomain().equals(FusedConv.DOMAIN)
                || GraphIndex.intAttr(n, FusedConv.CHANNELS_LAST, 0) != 1 || n.getOutputCount() != 1
                || n.getInputCount() < 2 || n.getInputCount() > 3 || n.getInput(0).isEmpty()
                || n.getInputCount() == 3 && !n.getInput(2).isEmpty()
                        && !index.isConstantInitializer(n.getInput(2), DataType.FLOAT)
                || !index.isConstantInitializer(n.getInput(1), DataType.FLOAT)) {
            return null;
        }
        TensorProto w = index.constantInitializer(n.getInput(1));
        if (w.getDimsCount() != 4) {
            return null;
        }
        long[] dims = w.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long[] kernel = GraphIndex.intsAttr(n, "kernel_shape");
        return kernel == null || Arrays.equals(kernel, new long[] {dims[2], dims[3]}) ? dims : null;
    }

    /**
     * Whether a convolution has strides {@code stride}, padding {@code pad} on every side, no
     * dilation and explicit padding (no auto_pad).
     */
    private static boolean dense(NodeProto n, long stride, long pad) {
        String autoPad = GraphIndex.stringAttr(n, "auto_pad", "NOTSET");
        return autoPad.equals("NOTSET") && all(GraphIndex.intsAttr(n, "strides"), 2, stride, 1)
                && all(GraphIndex.intsAttr(n, "pads"), 4, pad, 0) && all(GraphIndex.intsAttr(n, "dilations"), 2, 1, 1);
    }

    /**
     * Whether an ints attribute holds {@code count} values {@code v}; {@code values} null (absent)
     * stands for the default {@code absent}.
     */
    private static boolean all(long[] values, int count, long v, long absent) {
        if (values == null) {
            return v == absent;
        }
        return values.length == count && Arrays.stream(values).allMatch(x -> x == v);
    }

    private static NodeProto fused(NodeProto pointwise, NodeProto depthwise, long stride) {
        NodeProto.Builder b = NodeProto.newBuilder()
                .setName(pointwise.getName() + "+" + depthwise.getName())
                .setOpType(PointwiseDepthwiseConv.OP_TYPE).setDomain(FusedConv.DOMAIN)
                .addInput(pointwise.getInput(0)).addInput(pointwise.getInput(1)).addInput(bias(pointwise))
                .addInput(depthwise.getInput(1)).addInput(bias(depthwise)).addOutput(depthwise.getOutput(0))
                .addAttribute(GraphIndex.intAttribute(PointwiseDepthwiseConv.DEPTHWISE_STRIDE, stride));
        for (AttributeProto a : pointwise.getAttributeList()) {
            if (a.getName().equals(FusedConv.ACTIVATION) || a.getName().equals(FusedConv.ACTIVATION_PARAMS)) {
                b.addAttribute(a);
            }
        }
        for (AttributeProto a : depthwise.getAttributeList()) {
            if (a.getName().equals(FusedConv.ACTIVATION)) {
                b.addAttribute(a.toBuilder().setName(PointwiseDepthwiseConv.DEPTHWISE_ACTIVATION));
            } else if (a.getName().equals(FusedConv.ACTIVATION_PARAMS)) {
                b.addAttribute(a.toBuilder().setName(PointwiseDepthwiseConv.DEPTHWISE_ACTIVATION_PARAMS));
            }
        }
        return b.build();
    }

    private static String bias(NodeProto conv) {
        return conv.getInputCount() > 2 ? conv.getInput(2) : "";
    }
}
