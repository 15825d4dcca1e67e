package dev.sonnx.runtime.backend.passes;

import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.tensor.DataType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Inference-time rewrite of MatMul [-> Add(bias)] [-> Add(residual)] [-> Gelu] into one
 * {@code dev.sonnx.FusedMatMul} node, which oneDNN runs as a single product with the bias, a
 * binary-add post-op for the residual and an eltwise post-op for the Gelu: no pass over the
 * activations per Add, no intermediate tensors (a transformer layer's four projections each had a
 * bias Add, two of them a residual Add, one a Gelu).
 *
 * <p>Applies where B is a float32 initializer of rank 2 or more (the chain is then float32 and B's
 * last dimension N is known), the bias is a 1-D float32 constant of length N (another constant
 * operand of the first Add is a residual), every value inside the chain has exactly one reader and
 * is no graph output, and Gelu is ONNX's (opset 20 on) or {@code dev.sonnx.Gelu} from
 * {@link GeluFusion}, so this pass runs after it. The fused node takes the place of the chain's last
 * node, where all its inputs exist already.
 */
public final class MatMulFusion {
    static final String OP_TYPE = "FusedMatMul";

    private MatMulFusion() {
    }

    public static ModelProto apply(ModelProto model) {
        int opset = ConvActivationFusion.onnxOpset(model);
        GraphProto g = model.getGraph();
        GraphIndex index = new GraphIndex(g);
        Map<NodeProto, NodeProto> replaceLast = new HashMap<>();
        Set<NodeProto> absorbed = new HashSet<>();
        for (NodeProto mm : g.getNodeList()) {
            if (!mm.getOpType().equals("MatMul") || !GraphIndex.isOnnx(mm) || mm.getInputCount() != 2
                    || mm.getOutputCount() != 1 || mm.getInput(0).isEmpty() || absorbed.contains(mm)) {
                continue;
            }
            TensorProto b = index.constantInitializer(mm.getInput(1));
            if (b == null || b.getDataType() != DataType.FLOAT.code() || b.getDimsCount() < 2) {
                continue;
            }
            long n = b.getDims(b.getDimsCount() - 1);
            List<NodeProto> chain = new ArrayList<>();
            chain.add(mm);
            String value = mm.getOutput(0);
            String bias = null;
            String residual = null;
            NodeProto next = index.soleReader(value);
            // before opset 7, Add broadcast by its own attributes rather than numpy's rules
            String other = opset >= 7 && isAdd(next) && !absorbed.contains(next) ? other(next, value) : null;
            if (other != null && isBias(index, other, n)) {
                bias = other;
                chain.add(next);
                value = next.getOutput(0);
                next = index.soleReader(value);
                other = opset >= 7 && isAdd(next) && !absorbed.contains(next) ? other(next, value) : null;
            }
            if (other != null) {
                residual = other;
                chain.add(next);
                value = next.getOutput(0);
                next = index.soleReader(value);
            }
            String approximate = next == null || absorbed.contains(next) ? null : gelu(next, value, opset);
            if (approximate != null) {
                chain.add(next);
            }
            if (chain.size() == 1) {
                continue;
            }
            NodeProto last = chain.get(chain.size() - 1);
            NodeProto.Builder f = NodeProto.newBuilder().setName(mm.getName()).setOpType(OP_TYPE)
                    .setDomain(FusedConv.DOMAIN).addInput(mm.getInput(0)).addInput(mm.getInput(1))
                    .addInput(bias == null ? "" : bias).addOutput(last.getOutput(0));
            if (residual != null) {
                f.addInput(residual);
            }
            if (approximate != null) {
                f.addAttribute(string("activation", "Gelu")).addAttribute(string("approximate", approximate));
            }
            replaceLast.put(last, f.build());
            absorbed.addAll(chain);
        }
        if (replaceLast.isEmpty()) {
            return model;
        }
        GraphProto.Builder out = g.toBuilder().clearNode();
        for (NodeProto n : g.getNodeList()) {
            NodeProto r = replaceLast.get(n);
            if (r != null) {
                out.addNode(r);
            } else if (!absorbed.contains(n)) {
                out.addNode(n);
            }
        }
        return ConvActivationFusion.withPrivateDomain(model.toBuilder().setGraph(out)).build();
    }

    private static boolean isAdd(NodeProto n) {
        return n != null && n.getOpType().equals("Add") && GraphIndex.isOnnx(n) && n.getInputCount() == 2
                && n.getOutputCount() == 1;
    }

    /** A 1-D float32 constant of length {@code n}. */
    private static boolean isBias(GraphIndex index, String name, long n) {
        var t = index.constant(name);
        return t != null && t.dtype() == DataType.FLOAT && t.rank() == 1 && t.size() == n;
    }

    /** Gelu's {@code approximate} when {@code n} is a Gelu of {@code value} the product can absorb, else null. */
    private static String gelu(NodeProto n, String value, int opset) {
        boolean onnx = GraphIndex.isOnnx(n) && opset >= GeluFusion.ONNX_SINCE;
        if (!n.getOpType().equals("Gelu") || !onnx && !n.getDomain().equals(FusedConv.DOMAIN)
                || n.getInputCount() != 1 || n.getOutputCount() != 1 || !n.getInput(0).equals(value)) {
            return null;
        }
        String a = "none";
        for (AttributeProto at : n.getAttributeList()) {
            if (at.getName().equals("approximate")) {
                a = at.getS().toStringUtf8();
            }
        }
        return a.equals("none") || a.equals("tanh") ? a : null;
    }

    /** The input of binary node {@code n} that is not {@code value}, or null. */
    private static String other(NodeProto n, String value) {
        String a = n.getInput(0);
        String b = n.getInput(1);
        if (a.equals(value) && !b.equals(value) && !b.isEmpty()) {
            return b;
        }
        return b.equals(value) && !a.equals(value) && !a.isEmpty() ? a : null;
    }

    private static AttributeProto string(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(com.google.protobuf.ByteString.copyFromUtf8(v)).build();
    }
}
