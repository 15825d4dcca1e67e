package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Inference rewrite: a Concat of images along their channels whose one reader is a convolution
 * (directly, or through a MaxPool, which works channel by channel) is never built. A convolution of
 * one group is linear in its input channels, so over parts A and B
 * <pre>
 *   act(Conv(Concat(A, B), W) + b + Z) = act(Conv(A, W[:, :cA]) + b + (Conv(B, W[:, cA:]) + Z))
 * </pre>
 * for any kernel, strides, pads and dilations: the convolution is split into one per part, chained
 * through FusedConv's residual input, the last part's taking the original residual Z and the first
 * part's the bias and the activation; a MaxPool between them is applied to each part.
 *
 * <p>SqueezeNet's Fire modules concatenate two expansions of 64-256 channels each and squeeze the
 * result to 16-64: the join copied every channel of every pixel once more and its reader read them
 * again, where the split convolutions read the parts where they lie and add a pass over the small
 * result. It applies only where the convolution has fewer output channels than the Concat has, and
 * to at most {@link #MAX_PARTS} parts (each part's convolution is one more primitive call).
 */
final class ConcatSplitting {
    static final int MAX_PARTS = 4;

    private ConcatSplitting() {
    }

    /** One Concat to remove: its parts and their channel counts, the MaxPool between (or null), the convolution. */
    private record Split(NodeProto concat, List<String> parts, int[] channels, NodeProto pool, NodeProto conv) {
    }

    static ModelProto apply(ModelProto model) {
        GraphProto g = model.getGraph();
        GraphIndex index = new GraphIndex(g);
        Map<NodeProto, Split> byConv = new HashMap<>();
        Set<NodeProto> dropped = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            Split s = Fusions.is(n, "Concat") ? split(n, index) : null;
            if (s != null && !dropped.contains(s.conv) && !byConv.containsKey(s.conv)) {
                byConv.put(s.conv, s);
                dropped.add(s.concat);
                if (s.pool != null) {
                    dropped.add(s.pool);
                }
            }
        }
        if (byConv.isEmpty()) {
            return model;
        }
        Set<String> names = index.names();
        GraphProto.Builder out = g.toBuilder().clearNode();
        Set<String> splitWeights = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            Split s = byConv.get(n);
            if (s != null) {
                rewrite(s, index, names, out);
                splitWeights.add(s.conv.getInput(1));
            } else if (!dropped.contains(n)) {
                out.addNode(n);
            }
        }
        dropUnread(out, splitWeights);
        return ConvActivationFusion.withPrivateDomain(model.toBuilder().setGraph(out)).build();
    }

    /** The split of {@code concat}, or null where the rule does not hold. */
    private static Split split(NodeProto concat, GraphIndex index) {
        String joined = concat.getOutput(0);
        int parts = concat.getInputCount();
        if (parts < 2 || parts > MAX_PARTS || !channelAxis(concat, index)) {
            return null;
        }
        NodeProto reader = index.soleReader(joined);
        NodeProto pool = null;
        if (reader != null && Fusions.is(reader, "MaxPool") && reader.getInput(0).equals(joined)) {
            pool = reader;   // its one output: no Indices
            reader = index.soleReader(pool.getOutput(0));
        }
        String convInput = pool == null ? joined : pool.getOutput(0);
        if (!isConv(reader) || !reader.getInput(0).equals(convInput) || GraphIndex.intAttr(reader, "group", 1) != 1
                || !index.isConstantInitializer(reader.getInput(1), DataType.FLOAT)) {
            return null;
        }
        for (int i = 1; i < reader.getInputCount(); i++) {
            if (reader.getInput(i).equals(convInput)) {
                return null;   // the joined image as weights or residual too
            }
        }
        TensorProto w = index.constantInitializer(reader.getInput(1));
        if (w.getDimsCount() < 3) {
            return null;
        }
        int[] channels = new int[parts];
        long total = 0;
        for (int i = 0; i < parts; i++) {
            channels[i] = channelsOf(concat.getInput(i), index);
            if (channels[i] <= 0) {
                return null;
            }
            total += channels[i];
        }
        if (total != w.getDims(1) || w.getDims(0) >= total) {
            return null;
        }
        return new Split(concat, concat.getInputList(), channels, pool, reader);
    }

    /** Whether the Concat joins channels: axis 1, or -(rank - 1) where the joined value's rank is declared. */
    private static boolean channelAxis(NodeProto concat, GraphIndex index) {
        long axis = GraphIndex.intAttr(concat, "axis", Long.MIN_VALUE);
        if (axis == 1) {
            return true;
        }
        int rank = index.declaredRank(concat.getOutput(0));
        return axis < 0 && rank >= 3 && axis + rank == 1;
    }

    private static boolean isConv(NodeProto n) {
        if (n == null || n.getOutputCount() != 1 || n.getInputCount() < 2 || n.getInput(0).isEmpty()) {
            return false;
        }
        return n.getOpType().equals("Conv") && GraphIndex.isOnnx(n)
                || n.getOpType().equals(FusedConv.OP_TYPE) && n.getDomain().equals(FusedConv.DOMAIN)
                && GraphIndex.intAttr(n, FusedConv.CHANNELS_LAST, 0) == 0;
    }

    /** The channels of image {@code value} when a convolution with constant weights writes it, else -1. */
    private static int channelsOf(String value, GraphIndex index) {
        NodeProto p = index.producer(value);
        if (!isConv(p) || !p.getOutput(0).equals(value)) {
            return -1;
        }
        TensorProto w = index.constantInitializer(p.getInput(1));
        return w == null || w.getDimsCount() < 3 ? -1 : Math.toIntExact(w.getDims(0));
    }

    /** Writes the split convolutions (and pools) of {@code s} in the place of its convolution. */
    private static void rewrite(Split s, GraphIndex index, Set<String> names, GraphProto.Builder out) {
        NodeProto conv = s.conv;
        Tensor w = TensorProtos.toTensor(index.constantInitializer(conv.getInput(1)));
        String residual = conv.getInputCount() > 3 && !conv.getInput(3).isEmpty() ? conv.getInput(3) : null;
        String bias = conv.getInputCount() > 2 ? conv.getInput(2) : "";
        int k = s.parts.size();
        int[] first = new int[k];
        for (int i = 1; i < k; i++) {
            first[i] = first[i - 1] + s.channels[i - 1];
        }
        // from the last part to the first: each adds the previous result as its residual
        String carried = residual;
        for (int i = k - 1; i >= 0; i--) {
            String input = s.parts.get(i);
            if (s.pool != null) {
                String pooled = GraphIndex.freshName(s.pool.getOutput(0) + "/part" + i, names);
                out.addNode(s.pool.toBuilder().setName(s.pool.getName() + "/part" + i).setInput(0, input)
                        .setOutput(0, pooled));
                input = pooled;
            }
            String wName = GraphIndex.freshName(conv.getInput(1) + "/part" + i, names);
            out.addInitializer(TensorProtos.view(channelSlice(w, first[i], s.channels[i]), wName));
            String result = i == 0 ? conv.getOutput(0) : GraphIndex.freshName(conv.getOutput(0) + "/part" + i, names);
            NodeProto.Builder b = NodeProto.newBuilder().setName(conv.getName() + "/part" + i)
                    .setOpType(FusedConv.OP_TYPE).setDomain(FusedConv.DOMAIN).addInput(input).addInput(wName)
                    .addInput(i == 0 ? bias : "").addOutput(result);
            if (carried != null) {
                b.addInput(carried);
            }
            for (var a : conv.getAttributeList()) {
                boolean epilogue = a.getName().equals(FusedConv.ACTIVATION)
                        || a.getName().equals(FusedConv.ACTIVATION_PARAMS);
                if (i == 0 || !epilogue) {
                    b.addAttribute(a);
                }
            }
            out.addNode(b);
            carried = result;
        }
    }

    /** W[:, from:from + count] of weights [M, C, spatial...]. */
    private static Tensor channelSlice(Tensor w, int from, int count) {
        int[] shape = w.shape().clone();
        int c = shape[1];
        shape[1] = count;
        Tensor slice = Tensor.zeros(DataType.FLOAT, shape);
        int taps = slice.size() / (shape[0] * count);
        for (int m = 0; m < shape[0]; m++) {
            for (int j = 0; j < count; j++) {
                for (int t = 0; t < taps; t++) {
                    slice.setFloat((m * count + j) * taps + t, w.getFloat((m * c + from + j) * taps + t));
                }
            }
        }
        return slice;
    }


    /** Removes the split weights that no node, nested body or graph output reads any more. */
    private static void dropUnread(GraphProto.Builder out, Set<String> splitWeights) {
        GraphIndex after = new GraphIndex(out.build());
        List<TensorProto> kept = new ArrayList<>();
        for (TensorProto t : out.getInitializerList()) {
            // constantInitializer is null for an initializer that is also a graph input: a feed may need it
            boolean unread = splitWeights.contains(t.getName()) && after.reads(t.getName()) == 0
                    && after.constantInitializer(t.getName()) != null;
            if (!unread) {
                kept.add(t);
            }
        }
        out.clearInitializer().addAllInitializer(kept);
    }
}
