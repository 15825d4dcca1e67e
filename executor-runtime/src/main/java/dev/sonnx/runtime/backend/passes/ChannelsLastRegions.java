package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.tensor.DataType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Inference-time rewrite that keeps chains of 2-D convolutions and pools channels-last: inside a
 * region, images are stored [N, H, W, C], the layout oneDNN's convolution and pooling kernels work
 * in natively (on [N, C, H, W] data they reorder input and output at every call, and pool small
 * channel counts with slow loops). Layouts convert at the region's borders only.
 *
 * <p>Region members:
 * <ul>
 *   <li>2-D convolutions (Conv or FusedConv with float32 constant weights of rank 4 and a constant
 *   or no bias), whose residual, if any, is a region image (its layout must be known);</li>
 *   <li>MaxPool (without Indices), AveragePool, GlobalAveragePool, GlobalMaxPool, Pad, elementwise
 *   activations and BatchNormalization's inference form ({@code NhwcBatchNormalization}, which
 *   takes the Relu after it) of a region image;</li>
 *   <li>Add, Sub, Mul and Div of region images, or of one and a per-channel constant; Concat of
 *   region images, along the stored position of its axis.</li>
 * </ul>
 * A region image is a member's result, or the result of a Transpose from [N, H, W, C] back to
 * [N, C, H, W], whose source members read instead; a Transpose of a member's result to
 * [N, H, W, C] becomes an Identity of its storage (ConvNeXt's permutes around its channels-last
 * layers). Members become {@code dev.sonnx.FusedConv} with {@code channels_last = 1},
 * {@code dev.sonnx.Nhwc*} operators or stay the ONNX operator they are (elementwise ones, Concat
 * with its axis moved), and {@code dev.sonnx.ToChannelsLast} / {@code ToChannelsFirst} convert at
 * the borders. A connected group stays as it is unless it saves work: two members or more with a
 * convolution, or a Transpose it replaces. Runs after {@link ConvActivationFusion}.
 */
public final class ChannelsLastRegions {
    private static final String SUFFIX = "__nhwc";
    /** ToChannelsLast's attribute: a zero border around its result ([begin..., end...], as Conv's pads). */
    private static final String STEM_PADS = "pads";
    /** The most input channels of a convolution whose padding the reorder before it writes. */
    private static final int STEM_CHANNELS = 4;
    /** The elementwise operators that join a region when both their inputs are its images. */
    private static final Set<String> BINARY = Set.of("Add", "Sub", "Mul", "Div");
    /**
     * Transpose's perm from [N, C, H, W] to [N, H, W, C] (a region image's stored form: such a
     * Transpose of a member becomes an Identity of it) and back (members read its input instead).
     * ConvNeXt's blocks and LayerNorm2d permute around their channels-last layers this way.
     */
    private static final long[] TO_LAST = {0, 2, 3, 1};
    private static final long[] TO_FIRST = {0, 3, 1, 2};
    /** The elementwise functions of one image that join a region as they are. */
    private static final Set<String> UNARY = Set.of("Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid",
            "HardSwish", "Elu", "Selu", "Clip");

    /**
     * Whether the regions are for a training plan: only members whose channels-last form has a
     * backward (convolutions without an epilogue, normalizations with batch statistics and their
     * Relu, max and global average pools, elementwise operators and Concat), no zero border written
     * by a reorder, and no constant rewritten (training updates the initializers by their names).
     */
    private final boolean training;

    private ChannelsLastRegions(boolean training) {
        this.training = training;
    }

    public static ModelProto apply(ModelProto model) {
        return new ChannelsLastRegions(false).rewrite(model);
    }

    /**
     * The regions of a model that is to be trained: its parameters stay the initializers they are
     * (same names, same layouts), and every member differentiates. On the CPU, oneDNN's kernels for
     * convolutions, their gradients and batch normalization with batch statistics are vector code
     * on channels-last data, where on [N, C, H, W] they reorder inside each call or run a generic loop.
     */
    public static ModelProto forTraining(ModelProto model) {
        return new ChannelsLastRegions(true).rewrite(model);
    }

    private ModelProto rewrite(ModelProto model) {
        GraphProto g = model.getGraph();
        GraphIndex index = new GraphIndex(g);
        int opset = ConvActivationFusion.onnxOpset(model);
        // values a Transpose from [N, H, W, C] computes, which members read as the stored source itself
        Map<String, String> stored = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            if (isTranspose(n, TO_FIRST)) {
                stored.put(n.getOutput(0), n.getInput(0));
            }
        }
        Set<NodeProto> members = new LinkedHashSet<>();
        for (NodeProto n : g.getNodeList()) {
            if (isConv2d(n, index) || isPool(n) || isPad(n, opset) || isBinary(n, opset) || isConcat(n)
                    || isUnary(n) || isBatchNorm(n, index)) {
                members.add(n);
            }
        }
        // drop members whose image input (or residual) comes from outside, until none is left to drop
        for (boolean changed = true; changed; ) {
            changed = false;
            for (NodeProto n : new ArrayList<>(members)) {
                boolean ok = isConv2d(n, index) ? n.getInputCount() < 4 || n.getInput(3).isEmpty()
                                || fromMember(n.getInput(3), members, stored, index)
                        : isBinary(n, opset) ? n.getInputList().stream().allMatch(in ->
                                fromMember(in, members, stored, index) || channelConstant(in, index) != null)
                                && n.getInputList().stream().anyMatch(in -> channelConstant(in, index) == null)
                        : isConcat(n) ? concatJoins(n, members, stored, index)
                        : fromMember(n.getInput(0), members, stored, index);
                if (!ok) {
                    members.remove(n);
                    changed = true;
                }
            }
        }
        keepWorthwhileGroups(members, stored, index);
        if (members.isEmpty()) {
            return model;
        }
        Map<NodeProto, NodeProto> reluAfter = fusedRelus(members, index);
        Set<String> taken = index.names();
        Map<String, String> renamed = new HashMap<>();   // member outputs -> their channels-last names
        for (NodeProto n : members) {
            renamed.put(n.getOutput(0), GraphIndex.freshName(n.getOutput(0) + SUFFIX, taken));
        }
        Map<String, String> toLast = new LinkedHashMap<>();   // outside values -> their transposed copies
        GraphProto.Builder out = g.toBuilder().clearNode();
        for (NodeProto n : g.getNodeList()) {
            if (!members.contains(n)) {
                if (isTranspose(n, TO_LAST) && renamed.containsKey(n.getInput(0))) {
                    // [N, C, H, W] -> [N, H, W, C] of a region's image: its stored form already
                    out.addNode(NodeProto.newBuilder().setName(n.getName()).setOpType("Identity")
                            .addInput(renamed.get(n.getInput(0))).addOutput(n.getOutput(0)));
                } else if (!stored.containsKey(n.getOutput(0))
                        || index.reads(n.getOutput(0)) > readsInRegion(n.getOutput(0), members, index)) {
                    out.addNode(n); // (a Transpose whose every reader takes its source instead goes)
                }
                continue;
            }
            if (reluAfter.containsValue(n)) {
                continue; // the normalization before it applies it
            }
            NodeProto.Builder b = rewritten(n, index).toBuilder().clearInput().clearOutput();
            NodeProto relu = reluAfter.get(n);
            if (relu != null) {
                b.addAttribute(GraphIndex.stringAttribute(FusedConv.ACTIVATION, "Relu"));
            }
            for (int i = 0; i < n.getInputCount(); i++) {
                String in = n.getInput(i);
                TensorProto perChannel = isBinary(n, opset) ? channelConstant(in, index) : null;
                if (perChannel != null) {
                    // [C, 1, 1] (or [1, C, 1, 1]) against stored [N, H, W, C]: the same values as [C]
                    String name = GraphIndex.freshName(in + SUFFIX, taken);
                    out.addInitializer(perChannel.toBuilder().setName(name).clearDims()
                            .addDims(TensorProtos.elementCount(perChannel)));
                    b.addInput(name);
                } else if (!isImageInput(n, i, index) || in.isEmpty()) {
                    b.addInput(in);
                } else if (renamed.containsKey(in)) {
                    b.addInput(renamed.get(in));
                } else if (stored.containsKey(in)) {
                    b.addInput(stored.get(in));
                } else {
                    String t = toLast.get(in);
                    long[] border = i == 0 && t == null ? stemPadding(n, index) : null;
                    if (t == null) {
                        t = GraphIndex.freshName(in + SUFFIX, taken);
                        toLast.put(in, t);
                        NodeProto r = reorder(in, t, true);
                        if (border != null) {
                            // the convolution reads the image inside a zero border the reorder writes
                            r = r.toBuilder().addAttribute(GraphIndex.intsAttribute(STEM_PADS, border)).build();
                            GraphIndex.withoutAttributes(b, "pads");
                        }
                        out.addNode(r);
                    }
                    b.addInput(t);
                }
            }
            String y = (relu != null ? relu : n).getOutput(0);
            b.addOutput(renamed.get(y));
            out.addNode(b);
            if (index.reads(y) > readsInRegion(y, members, index) + exitReads(y, index)) {
                out.addNode(reorder(renamed.get(y), y, false));
            }
        }
        return ConvActivationFusion.withPrivateDomain(model.toBuilder().setGraph(out)).build();
    }

    /**
     * The padding of a convolution over an image of at most {@link #STEM_CHANNELS} channels that
     * only it reads (a network's stem), which the reorder into the region then writes as a zero
     * border, or null. oneDNN's kernels over such an image spend much of their time on the
     * windows that cross its edge (resnet18's 7 x 7 stem: 5-15% of it at batch 1, 20% at batch 8).
     */
    private long[] stemPadding(NodeProto conv, GraphIndex index) {
        if (training) {
            return null; // the border would need a backward of its own
        }
        TensorProto w = index.constantInitializer(conv.getInput(1));
        long[] pads = GraphIndex.intsAttr(conv, "pads");
        if (w == null || w.getDims(1) > STEM_CHANNELS || pads == null || pads.length != 4
                || index.reads(conv.getInput(0)) != 1
                || !GraphIndex.stringAttr(conv, "auto_pad", "NOTSET").equals("NOTSET")) {
            return null;
        }
        for (long p : pads) {
            if (p != 0) {
                return pads;
            }
        }
        return null;
    }

    /** Conv or FusedConv (plain layout) of rank-4 float32 constant weights, constant or no bias, one output. */
    private static boolean isConv2d(NodeProto n, GraphIndex index) {
        boolean conv = n.getOpType().equals("Conv") && GraphIndex.isOnnx(n);
        boolean fused = n.getOpType().equals(FusedConv.OP_TYPE) && n.getDomain().equals(FusedConv.DOMAIN)
                && !GraphIndex.hasAttr(n, FusedConv.CHANNELS_LAST);
        if (!conv && !fused || n.getOutputCount() != 1 || n.getInputCount() < 2 || n.getInput(0).isEmpty()) {
            return false;
        }
        TensorProto w = index.constantInitializer(n.getInput(1));
        if (w == null || w.getDataType() != DataType.FLOAT.code() || w.getDimsCount() != 4) {
            return false;
        }
        return n.getInputCount() < 3 || n.getInput(2).isEmpty() || index.constantInitializer(n.getInput(2)) != null;
    }

    private boolean isPool(NodeProto n) {
        if (!GraphIndex.isOnnx(n) || n.getInputCount() != 1 || n.getOutputCount() != 1) {
            return false;
        }
        return switch (n.getOpType()) {
            case "MaxPool" -> kernelRank(n) == 2;
            case "AveragePool" -> !training && kernelRank(n) == 2;
            case "GlobalAveragePool" -> true;
            case "GlobalMaxPool" -> !training;
            default -> false;
        };
    }

    /**
     * Pad from opset 11 (pads as an input), whose channels-last form {@code NhwcPad} takes the same
     * inputs; its X must come from a member, which makes it a rank-4 image. Wrap mode only where the
     * model's opset allows it, so that an invalid model still fails as it would unrewritten.
     */
    private boolean isPad(NodeProto n, int opset) {
        if (training || !GraphIndex.isOnnx(n) || !n.getOpType().equals("Pad") || opset < 11 || n.getOutputCount() != 1
                || n.getInputCount() < 2 || n.getInput(0).isEmpty()) {
            return false;
        }
        return switch (GraphIndex.stringAttr(n, "mode", "constant")) {
            case "constant", "reflect", "edge" -> true;
            case "wrap" -> opset >= 19;
            default -> false;
        };
    }

    /**
     * Whether input {@code i} of member {@code n} is an image (stored channels-last inside a region):
     * X, and a convolution's residual Z.
     */
    private boolean isImageInput(NodeProto n, int i, GraphIndex index) {
        if (BINARY.contains(n.getOpType()) && GraphIndex.isOnnx(n)) {
            return i < 2 && channelConstant(n.getInput(i), index) == null;
        }
        return i == 0 || isConcat(n) || i == 3 && isConv2d(n, index);
    }

    /**
     * Concat of images (every input from a member, so all rank 4) with its axis given (Concat-1's
     * default depends on the opset): inside the region it joins the stored [N, H, W, C] tensors along
     * the stored position of its axis (channels: the last).
     */
    private static boolean isConcat(NodeProto n) {
        return n.getOpType().equals("Concat") && GraphIndex.isOnnx(n) && GraphIndex.hasAttr(n, "axis")
                && n.getInputCount() >= 1
                && n.getOutputCount() == 1 && n.getInputList().stream().noneMatch(String::isEmpty);
    }

    /**
     * Whether a member Concat stays one: in inference plans when every input is a region image; in
     * training plans when one is, the others reordered in at the border (DenseNet's blocks start
     * from a transition's padded average pool, outside the region; one reorder of it then serves
     * every Concat of the block, which would otherwise all leave the region).
     */
    private boolean concatJoins(NodeProto n, Set<NodeProto> members, Map<String, String> stored, GraphIndex index) {
        return training ? n.getInputList().stream().anyMatch(in -> fromMember(in, members, stored, index))
                : n.getInputList().stream().allMatch(in -> fromMember(in, members, stored, index));
    }

    /**
     * The Relu that each member normalization absorbs: its sole reader, a member (so an image of the
     * region); oneDNN's normalization applies it in the same pass.
     */
    private Map<NodeProto, NodeProto> fusedRelus(Set<NodeProto> members, GraphIndex index) {
        Map<NodeProto, NodeProto> r = new HashMap<>();
        for (NodeProto n : members) {
            if (isBatchNorm(n, index)) {
                NodeProto next = index.soleReader(n.getOutput(0));
                if (next != null && members.contains(next) && next.getOpType().equals("Relu") && GraphIndex.isOnnx(next)) {
                    r.put(n, next);
                }
            }
        }
        return r;
    }

    /** An elementwise function of one image (further inputs, such as Clip's bounds, are not images). */
    private static boolean isUnary(NodeProto n) {
        return UNARY.contains(n.getOpType()) && GraphIndex.isOnnx(n) && n.getInputCount() >= 1
                && n.getOutputCount() == 1 && !n.getInput(0).isEmpty();
    }

    /**
     * BatchNormalization's inference form (one output, per-channel statistics) with constant float32
     * scale, B, mean and var, which {@code dev.sonnx.NhwcBatchNormalization} runs on stored images.
     */
    private static boolean isBatchNorm(NodeProto n, GraphIndex index) {
        if (!n.getOpType().equals("BatchNormalization") || !GraphIndex.isOnnx(n) || n.getOutputCount() != 1
                || n.getInputCount() != 5 || n.getInput(0).isEmpty()
                || GraphIndex.intAttr(n, "training_mode", 0) != 0 || GraphIndex.intAttr(n, "spatial", 1) != 1) {
            return false;
        }
        for (int i = 1; i < 5; i++) {
            TensorProto t = index.constantInitializer(n.getInput(i));
            if (t == null || t.getDataType() != DataType.FLOAT.code() || t.getDimsCount() != 1) {
                return false;
            }
        }
        return true;
    }

    /** Where logical axis {@code axis} of an [N, C, H, W] image sits in its channels-last storage. */
    private static long storedAxis(long axis) {
        int a = (int) (axis < 0 ? axis + 4 : axis);
        return switch (a) {
            case 0 -> 0;
            case 1 -> 3;
            case 2 -> 1;
            case 3 -> 2;
            // an invalid axis stays invalid, for Concat's own error
            default -> axis;
        };
    }

    /**
     * Add, Sub, Mul or Div (numpy broadcasting, opset 7 on) of two images, or of an image and a
     * per-channel constant: when both come from members, both are rank-4 channels-last tensors,
     * and broadcasting their stored shapes is broadcasting their logical ones with the same axes
     * permuted, so the operator runs as it is; a [C, 1, 1] constant becomes [C]. Squeeze-and-
     * excitation's Mul of an image by its [N, C, 1, 1] channel weights and ConvNeXt's layer scale stay inside.
     */
    private static boolean isBinary(NodeProto n, int opset) {
        return BINARY.contains(n.getOpType()) && GraphIndex.isOnnx(n) && opset >= 7 && n.getInputCount() == 2
                && n.getOutputCount() == 1 && !n.getInput(0).isEmpty() && !n.getInput(1).isEmpty();
    }

    /**
     * A constant a binary member may read beside an image: a float32 initializer whose shape, padded
     * to rank 4, is [1, C, 1, 1] (a per-channel scale or bias, or a scalar); else null.
     */
    private TensorProto channelConstant(String value, GraphIndex index) {
        TensorProto t = training ? null : index.constantInitializer(value);
        if (t == null || t.getDataType() != DataType.FLOAT.code() || t.getDimsCount() > 4) {
            return null;
        }
        int rank = t.getDimsCount();
        for (int i = 0; i < rank; i++) {
            int logical = 4 - rank + i; // the axis of [N, C, H, W] this dimension broadcasts along
            if (logical != 1 && t.getDims(i) != 1) {
                return null;
            }
        }
        return t;
    }

    /** Whether {@code value} is a member's image, or a Transpose's whose stored source members read instead. */
    private static boolean fromMember(String value, Set<NodeProto> members, Map<String, String> stored,
                                      GraphIndex index) {
        NodeProto p = index.producer(value);
        return p != null && members.contains(p) || stored.containsKey(value);
    }

    /** Transpose of a rank-4 tensor by {@code perm} exactly. */
    private static boolean isTranspose(NodeProto n, long[] perm) {
        return n.getOpType().equals("Transpose") && GraphIndex.isOnnx(n) && n.getInputCount() == 1
                && n.getOutputCount() == 1 && !n.getInput(0).isEmpty()
                && java.util.Arrays.equals(GraphIndex.intsAttr(n, "perm"), perm);
    }

    /** How many Transposes to [N, H, W, C] read {@code value}: they take a region image's stored form. */
    private static int exitReads(String value, GraphIndex index) {
        int r = 0;
        for (NodeProto n : index.readers(value)) {
            if (isTranspose(n, TO_LAST)) {
                r++;
            }
        }
        return r;
    }

    private static int kernelRank(NodeProto n) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals("kernel_shape")) {
                return a.getIntsCount();
            }
        }
        return -1;
    }

    /**
     * Keeps only connected groups that save work: two members or more with a convolution among
     * them, or any group that reads a stored source or feeds a Transpose to [N, H, W, C], whose
     * Java Transposes it replaces (ConvNeXt's depthwise convolution between a LayerNorm's
     * permutes, and its layer scale and residual Add after them).
     */
    private void keepWorthwhileGroups(Set<NodeProto> members, Map<String, String> stored, GraphIndex index) {
        Map<NodeProto, NodeProto> parent = new HashMap<>();
        for (NodeProto n : members) {
            parent.put(n, n);
        }
        for (NodeProto n : members) {
            for (int i = 0; i < n.getInputCount(); i++) {
                if (!n.getInput(i).isEmpty() && isImageInput(n, i, index)) {
                    NodeProto p = index.producer(n.getInput(i));
                    if (p != null && members.contains(p)) {
                        parent.put(root(parent, p), root(parent, n));
                    }
                }
            }
        }
        Map<NodeProto, List<NodeProto>> groups = new HashMap<>();
        for (NodeProto n : members) {
            groups.computeIfAbsent(root(parent, n), k -> new ArrayList<>()).add(n);
        }
        for (List<NodeProto> group : groups.values()) {
            boolean hasConv = group.stream().anyMatch(n -> isConv2d(n, index));
            boolean bordersFree = group.stream().anyMatch(n -> n.getInputList().stream().anyMatch(stored::containsKey)
                    || exitReads(n.getOutput(0), index) > 0);
            if (!bordersFree && (!hasConv || group.size() < 2)) {
                group.forEach(members::remove);
            }
        }
    }

    private static NodeProto root(Map<NodeProto, NodeProto> parent, NodeProto n) {
        while (parent.get(n) != n) {
            n = parent.get(n);
        }
        return n;
    }

    /** How many reads of {@code value} are members' image inputs (X, a convolution's Z, a binary's B). */
    private int readsInRegion(String value, Set<NodeProto> members, GraphIndex index) {
        int r = 0;
        for (NodeProto n : members) {
            for (int i = 0; i < n.getInputCount(); i++) {
                if (n.getInput(i).equals(value) && isImageInput(n, i, index)) {
                    r++;
                }
            }
        }
        return r;
    }

    /** The channels-last form of a member (inputs and outputs still the original names). */
    private NodeProto rewritten(NodeProto n, GraphIndex index) {
        if (isConv2d(n, index)) {
            return n.toBuilder().setDomain(FusedConv.DOMAIN).setOpType(FusedConv.OP_TYPE)
                    .addAttribute(GraphIndex.intAttribute(FusedConv.CHANNELS_LAST, 1)).build();
        }
        if ((BINARY.contains(n.getOpType()) || UNARY.contains(n.getOpType())) && GraphIndex.isOnnx(n)) {
            return n;
        }
        if (isBatchNorm(n, index)) {
            NodeProto.Builder b = n.toBuilder().clearAttribute().setDomain(FusedConv.DOMAIN)
                    .setOpType("NhwcBatchNormalization")
                    .addAttribute(GraphIndex.floatAttribute("epsilon", GraphIndex.floatAttr(n, "epsilon", 1e-5f)));
            if (training) {
                b.addAttribute(GraphIndex.floatAttribute("momentum", GraphIndex.floatAttr(n, "momentum", 0.9f)));
            }
            return b.build();
        }
        if (isConcat(n)) {
            return GraphIndex.withoutAttributes(n.toBuilder(), "axis")
                    .addAttribute(GraphIndex.intAttribute("axis", storedAxis(GraphIndex.intAttr(n, "axis", 1)))).build();
        }
        return n.toBuilder().setDomain(FusedConv.DOMAIN).setOpType("Nhwc" + n.getOpType()).build();
    }

    private static NodeProto reorder(String in, String out, boolean toLast) {
        return NodeProto.newBuilder().setDomain(FusedConv.DOMAIN).setOpType(toLast ? "ToChannelsLast" : "ToChannelsFirst")
                .setName(out + "_reorder").addInput(in).addOutput(out).build();
    }

}
