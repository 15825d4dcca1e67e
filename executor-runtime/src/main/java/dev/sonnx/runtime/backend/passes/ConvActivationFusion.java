package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sonnx.runtime.ops.conv.FusedActivation;
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Inference-time rewrite of Conv [-> Add(residual)] [-> activation] into one {@code dev.sonnx.FusedConv}
 * node, which oneDNN runs as a single convolution with post-ops: no pass over the activation tensor
 * for the Add and the activation, no intermediate tensors. The activations are Relu, LeakyRelu,
 * HardSigmoid, HardSwish, Sigmoid, Clip with bounds known at prepare, SiLU (a Sigmoid and a Mul
 * of its input by its result) and HardSwish written as HardSigmoid and Mul.
 *
 * <p>A chain fuses only where every value inside it has exactly one reader (so nothing else sees the
 * intermediate results) and is no graph output, and the convolution's weights are a float32
 * initializer (so the whole chain is float32: Conv, Add and the activations take one type). The
 * fused node takes the place of the chain's last node, where all its inputs exist already.
 */
public final class ConvActivationFusion {
    private ConvActivationFusion() {
    }

    public static ModelProto apply(ModelProto model) {
        GraphProto g = model.getGraph();
        int onnxOpset = onnxOpset(model);
        GraphIndex index = new GraphIndex(g);
        Fusions fusions = new Fusions();
        for (NodeProto conv : g.getNodeList()) {
            if (!conv.getOpType().equals("Conv") || !GraphIndex.isOnnx(conv) || conv.getOutputCount() != 1
                    || conv.getInputCount() < 2 || conv.getInput(0).isEmpty()
                    || !index.isConstantInitializer(conv.getInput(1), DataType.FLOAT) || fusions.absorbed(conv)) {
                continue;
            }
            List<NodeProto> chain = new ArrayList<>();
            chain.add(conv);
            String value = conv.getOutput(0);
            String residual = null;
            NodeProto next = index.soleReader(value);
            // before opset 7, Add broadcast by its own attributes rather than numpy's rules
            if (next != null && next.getOpType().equals("Add") && GraphIndex.isOnnx(next) && onnxOpset >= 7
                    && next.getInputCount() == 2 && next.getOutputCount() == 1 && !fusions.absorbed(next)) {
                String other = next.getInput(0).equals(value) ? next.getInput(1) : next.getInput(0);
                if (!other.equals(value) && !other.isEmpty()) {
                    residual = other;
                    chain.add(next);
                    value = next.getOutput(0);
                    next = index.soleReader(value);
                }
            }
            FusedActivation act = next == null || fusions.absorbed(next) ? null : activation(next, index, onnxOpset);
            if (act != null) {
                chain.add(next);
            } else {
                List<NodeProto> gated = selfGated(value, index);
                if (gated != null && !fusions.anyAbsorbed(gated)) {
                    act = gated.get(0).getOpType().equals("Sigmoid") ? FusedActivation.silu()
                            : FusedActivation.hardSwish();
                    chain.addAll(gated);
                }
            }
            if (chain.size() == 1) {
                continue;
            }
            NodeProto last = chain.get(chain.size() - 1);
            fusions.fuse(chain, last, fused(conv, residual, act == null ? FusedActivation.NONE : act,
                    last.getOutput(0)));
        }
        if (fusions.isEmpty()) {
            return model;
        }
        GraphProto.Builder out = fusions.rewrite(g);
        return withPrivateDomain(model.toBuilder().setGraph(out)).build();
    }

    /** The model's ONNX opset (1 for IR versions before opset imports). */
    static int onnxOpset(ModelProto model) {
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                return (int) o.getVersion();
            }
        }
        return 1;
    }

    /** Imports sonnx's private domain (once). */
    static ModelProto.Builder withPrivateDomain(ModelProto.Builder model) {
        for (OperatorSetIdProto o : model.getOpsetImportList()) {
            if (o.getDomain().equals(FusedConv.DOMAIN)) {
                return model;
            }
        }
        return model.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(FusedConv.DOMAIN)
                .setVersion(FusedConv.VERSION));
    }

    /**
     * A gate of value by a function of itself, when the gate and the Mul are value's only readers and
     * the gate's result has no reader but the Mul: Sigmoid(value) and Mul(value, that), SiLU as
     * PyTorch exports it; or HardSigmoid(value) with alpha 1/6 and beta 1/2 and the Mul, HardSwish
     * as PyTorch exports it before opset 14 (MobileNet v3). The gate and the Mul, else null.
     */
    private static List<NodeProto> selfGated(String value, GraphIndex index) {
        List<NodeProto> readers = index.readers(value);
        if (index.reads(value) != 2 || readers.size() != 2) {
            return null;
        }
        for (int i = 0; i < 2; i++) {
            NodeProto gate = readers.get(i);
            NodeProto mul = readers.get(1 - i);
            if ((Fusions.is(gate, "Sigmoid") || isHardSwishGate(gate)) && gate.getInputCount() == 1
                    && Fusions.is(mul, "Mul") && index.soleReader(gate.getOutput(0)) == mul
                    && value.equals(Fusions.other(mul, gate.getOutput(0)))) {
                return List.of(gate, mul);
            }
        }
        return null;
    }

    /** HardSigmoid with HardSwish's constants: max(0, min(1, x / 6 + 1 / 2)). */
    private static boolean isHardSwishGate(NodeProto n) {
        return Fusions.is(n, "HardSigmoid") && GraphIndex.near(GraphIndex.floatAttr(n, "alpha", 0.2f), 1.0 / 6, 1e-6)
                && GraphIndex.near(GraphIndex.floatAttr(n, "beta", 0.5f), 0.5, 1e-6);
    }

    /** The activation {@code n} computes, when a convolution can absorb it; else null. */
    private static FusedActivation activation(NodeProto n, GraphIndex index, int opset) {
        if (!GraphIndex.isOnnx(n) || n.getOutputCount() != 1 || n.getInputCount() < 1) {
            return null;
        }
        switch (n.getOpType()) {
            case "Relu":
                return FusedActivation.relu();
            case "LeakyRelu":
                return FusedActivation.leakyRelu(GraphIndex.floatAttr(n, "alpha", 0.01f));
            case "HardSigmoid":
                return FusedActivation.hardSigmoid(GraphIndex.floatAttr(n, "alpha", 0.2f),
                        GraphIndex.floatAttr(n, "beta", 0.5f));
            case "HardSwish":
                return FusedActivation.hardSwish();
            case "Sigmoid":
                return FusedActivation.sigmoid();
            case "Clip":
                return clip(n, index, opset);
            default:
                return null;
        }
    }

    /** Clip with bounds known at prepare: attributes before opset 11, constant scalar inputs from 11. */
    private static FusedActivation clip(NodeProto n, GraphIndex index, int opset) {
        if (opset < 11) {
            return FusedActivation.clip(GraphIndex.floatAttr(n, "min", Float.NEGATIVE_INFINITY),
                    GraphIndex.floatAttr(n, "max", Float.POSITIVE_INFINITY));
        }
        float[] bounds = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        for (int i = 1; i <= 2; i++) {
            if (n.getInputCount() <= i || n.getInput(i).isEmpty()) {
                continue;
            }
            Tensor t = index.constant(n.getInput(i));
            if (t == null || t.dtype() != DataType.FLOAT || t.size() != 1) {
                return null;
            }
            bounds[i - 1] = t.getFloat(0);
        }
        return FusedActivation.clip(bounds[0], bounds[1]);
    }

    private static NodeProto fused(NodeProto conv, String residual, FusedActivation act, String output) {
        NodeProto.Builder b = NodeProto.newBuilder().setName(conv.getName()).setOpType(FusedConv.OP_TYPE)
                .setDomain(FusedConv.DOMAIN).addInput(conv.getInput(0)).addInput(conv.getInput(1))
                .addInput(conv.getInputCount() > 2 ? conv.getInput(2) : "").addOutput(output);
        if (residual != null) {
            b.addInput(residual);
        }
        b.addAllAttribute(conv.getAttributeList());
        if (!act.isNone()) {
            b.addAttribute(GraphIndex.stringAttribute(FusedConv.ACTIVATION, act.name()));
            AttributeProto.Builder params = AttributeProto.newBuilder().setName(FusedConv.ACTIVATION_PARAMS)
                    .setType(AttributeProto.AttributeType.FLOATS);
            for (float p : act.params()) {
                params.addFloats(p);
            }
            b.addAttribute(params);
        }
        return b.build();
    }
}
