package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.conv.ZeroPadding;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Inference-time rewrite of a zero Pad of an image's spatial axes into the padding of the Conv or
 * pool that reads it (Keras' ZeroPadding2D before a stem convolution or max pool, PyTorch's
 * {@code F.pad} before a convolution): no padded copy of the image is written and read again.
 *
 * <ul>
 *   <li>Conv: its pads grow by the Pad's (a convolution's implicit padding is zeros).</li>
 *   <li>AveragePool (from opset 7): likewise, counting the padding in each window's divisor
 *   ({@code count_include_pad = 1}, the Pad's zeros being elements of its input), where the pool has
 *   no padding of its own or counts it already.</li>
 *   <li>MaxPool: where every window keeps an element of the image (pads below the kernel, no
 *   dilation). Its implicit padding is ignored rather than zero, which gives the same maxima where
 *   the Pad's input is never negative (Relu's output, or Clip's with a lower bound of at least 0).
 *   Elsewhere (tinyyolov2's Pad after a LeakyRelu) the pool is marked {@link ZeroPadding#ATTRIBUTE}
 *   and raises its results over the padding to 0 itself; the CPU's pools know the mark, so only the
 *   CPU's plans ({@code zeroPaddedMaxPools}) take this form.</li>
 * </ul>
 * The Pad must be constant-mode with value 0, pads known at prepare, not negative and zero on the
 * batch and channel axes, no {@code axes} input, and be the only reader of nothing but the Conv or
 * pool, whose {@code auto_pad} is NOTSET and whose {@code ceil_mode} (pools) is 0.
 */
public final class PadFusion {
    private static final Set<String> READERS = Set.of("Conv", "AveragePool", "MaxPool");

    private PadFusion() {
    }

    /**
     * The rewrite of every such Pad; {@code zeroPaddedMaxPools}: MaxPools over values that may be
     * negative take the Pad too, marked {@link ZeroPadding#ATTRIBUTE}.
     */
    public static ModelProto apply(ModelProto model, boolean zeroPaddedMaxPools) {
        GraphProto g = model.getGraph();
        int opset = ConvActivationFusion.onnxOpset(model);
        GraphIndex index = new GraphIndex(g);
        Fusions fusions = new Fusions();
        for (NodeProto pad : g.getNodeList()) {
            if (!Fusions.is(pad, "Pad") || fusions.absorbed(pad)) {
                continue;
            }
            long[] pads = zeroSpatialPads(pad, opset, index);
            NodeProto reader = pads == null ? null : index.soleReader(pad.getOutput(0));
            if (reader == null || !READERS.contains(reader.getOpType()) || !GraphIndex.isOnnx(reader)
                    || reader.getInputCount() < 1 || !reader.getInput(0).equals(pad.getOutput(0))
                    || fusions.absorbed(reader) || !GraphIndex.stringAttr(reader, "auto_pad", "NOTSET").equals("NOTSET")) {
                continue;
            }
            NodeProto fused = switch (reader.getOpType()) {
                case "Conv" -> withPads(reader, pad, pads, null);
                case "AveragePool" -> averagePool(reader, pad, pads, opset);
                default -> maxPool(reader, pad, pads, index, opset, zeroPaddedMaxPools);
            };
            if (fused != null) {
                fusions.fuse(List.of(pad, reader), reader, fused);
            }
        }
        return fusions.isEmpty() ? model : model.toBuilder().setGraph(fusions.rewrite(g)).build();
    }

    /**
     * The spatial pads (begin for each spatial axis, then end, as Conv's {@code pads}) of a Pad that
     * writes zeros around the spatial axes only; null for any other Pad.
     */
    private static long[] zeroSpatialPads(NodeProto pad, int opset, GraphIndex index) {
        if (!GraphIndex.stringAttr(pad, "mode", "constant").equals("constant")) {
            return null;
        }
        long[] all;
        if (opset < 11) {
            all = GraphIndex.intsAttr(pad, opset < 2 ? "paddings" : "pads");
            if (GraphIndex.floatAttr(pad, "value", 0f) != 0f) {
                return null;
            }
        } else {
            if (pad.getInputCount() > 3 && !pad.getInput(3).isEmpty() || pad.getInputCount() < 2) {
                return null;   // axes
            }
            Tensor p = pad.getInput(1).isEmpty() ? null : index.constant(pad.getInput(1));
            all = p == null || p.dtype() != DataType.INT64 ? null : p.toLongArray();
            if (pad.getInputCount() > 2 && !pad.getInput(2).isEmpty()) {
                Tensor v = index.constant(pad.getInput(2));
                if (v == null || v.size() != 1 || Double.doubleToRawLongBits(v.getDouble(0)) != 0) {
                    return null;   // unknown, or not +0 (a -0 fill would differ in sign)
                }
            }
        }
        if (all == null || all.length % 2 != 0 || all.length < 6) {
            return null;
        }
        int rank = all.length / 2;
        int spatial = rank - 2;
        if (all[0] != 0 || all[1] != 0 || all[rank] != 0 || all[rank + 1] != 0) {
            return null;
        }
        long[] r = new long[2 * spatial];
        for (int i = 0; i < spatial; i++) {
            r[i] = all[2 + i];
            r[spatial + i] = all[rank + 2 + i];
        }
        for (long v : r) {
            if (v < 0) {
                return null;
            }
        }
        return r;
    }

    /** {@code reader} reading the Pad's input, its pads grown by {@code pads}; {@code includePad}: set count_include_pad. */
    private static NodeProto withPads(NodeProto reader, NodeProto pad, long[] pads, Boolean includePad) {
        long[] own = GraphIndex.intsAttr(reader, "pads");
        if (own == null) {
            own = new long[pads.length];
        }
        if (own.length != pads.length) {
            return null;   // another rank: leave the invalid model to fail as it would
        }
        NodeProto.Builder b = GraphIndex.withoutAttributes(reader.toBuilder().setInput(0, pad.getInput(0)), "pads",
                "count_include_pad");
        long[] grown = new long[pads.length];
        for (int i = 0; i < pads.length; i++) {
            grown[i] = own[i] + pads[i];
        }
        b.addAttribute(GraphIndex.intsAttribute("pads", grown));
        if (includePad != null) {
            b.addAttribute(AttributeProto.newBuilder().setName("count_include_pad")
                    .setType(AttributeProto.AttributeType.INT).setI(includePad ? 1 : 0));
        }
        return b.build();
    }

    private static NodeProto averagePool(NodeProto pool, NodeProto pad, long[] pads, int opset) {
        // count_include_pad came with AveragePool-7
        if (opset < 7 || GraphIndex.intAttr(pool, "ceil_mode", 0) != 0) {
            return null;
        }
        boolean counts = GraphIndex.intAttr(pool, "count_include_pad", 0) != 0;
        long[] own = GraphIndex.intsAttr(pool, "pads");
        boolean ownPadding = holdsOtherThan(own, 0);
        return counts || !ownPadding ? withPads(pool, pad, pads, true) : null;
    }

    private static NodeProto maxPool(NodeProto pool, NodeProto pad, long[] pads, GraphIndex index, int opset,
                                     boolean zeroPaddedMaxPools) {
        long[] kernel = GraphIndex.intsAttr(pool, "kernel_shape");
        long[] dilations = GraphIndex.intsAttr(pool, "dilations");
        long[] own = GraphIndex.intsAttr(pool, "pads");
        if (pool.getOutputCount() != 1 || GraphIndex.intAttr(pool, "ceil_mode", 0) != 0 || kernel == null
                || 2 * kernel.length != pads.length || holdsOtherThan(own, 0) || holdsOtherThan(dilations, 1)) {
            return null;
        }
        boolean nonNegative = nonNegative(pad.getInput(0), index, opset);
        if (!nonNegative && !zeroPaddedMaxPools) {
            return null;
        }
        for (int i = 0; i < kernel.length; i++) {
            if (pads[i] >= kernel[i] || pads[kernel.length + i] >= kernel[i]) {
                return null;
            }
        }
        NodeProto fused = withPads(pool, pad, pads, null);
        if (fused == null || nonNegative) {
            return fused;
        }
        return fused.toBuilder().addAttribute(AttributeProto.newBuilder().setName(ZeroPadding.ATTRIBUTE)
                .setType(AttributeProto.AttributeType.INT).setI(1)).build();
    }

    /** Whether an ints attribute (null: absent) holds anything but {@code expected}. */
    private static boolean holdsOtherThan(long[] attribute, long expected) {
        return attribute != null && Arrays.stream(attribute).anyMatch(v -> v != expected);
    }

    /** Whether {@code value} is never negative: Relu's output, or Clip's with a known lower bound of at least 0. */
    private static boolean nonNegative(String value, GraphIndex index, int opset) {
        NodeProto p = index.producer(value);
        if (p == null || !GraphIndex.isOnnx(p)) {
            return false;
        }
        if (p.getOpType().equals("Relu")) {
            return true;
        }
        if (!p.getOpType().equals("Clip")) {
            return false;
        }
        if (opset < 11) {
            return GraphIndex.floatAttr(p, "min", Float.NEGATIVE_INFINITY) >= 0;
        }
        Tensor min = p.getInputCount() > 1 && !p.getInput(1).isEmpty() ? index.constant(p.getInput(1)) : null;
        return min != null && min.size() == 1 && min.getDouble(0) >= 0;
    }
}
