package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.backend.passes.Fusions.other;

import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.tensor.DataType;
import java.util.ArrayList;
import java.util.List;

/**
 * Inference-time rewrite of a MatMul and the nodes around it into one {@code dev.sonnx.FusedMatMul}
 * node, which oneDNN runs as a single product: no pass over the activations per absorbed node, no
 * intermediate tensors. Two shapes of chain:
 * <ul>
 *   <li>projections, B a float32 initializer of rank 2 or more (B's last dimension N known, the
 *   chain float32): MatMul [-> Add(bias)] [-> Add(residual)] [-> Gelu], the bias a 1-D float32
 *   constant of length N (another operand of the first Add is a residual), as the bias, a binary-add
 *   post-op and an eltwise post-op (a transformer layer's four projections each had a bias Add, two
 *   of them a residual Add, one a Gelu). Gelu is ONNX's (opset 20 on) or {@code dev.sonnx.Gelu}
 *   from {@link GeluFusion}, so this pass runs after it;</li>
 *   <li>products of activations (attention): [Transpose ->] MatMul [<- Transpose] [-> Div or Mul by
 *   a float32 scalar constant] [-> Transpose], the transposes read and written through the strides
 *   of oneDNN's descriptors instead of copied (those that keep the innermost axis among the last two
 *   for the operands, last for the result), the scale as an eltwise post-op. Without a scale the
 *   element type is unknown at prepare; the fused node then takes MatMul's types.</li>
 * </ul>
 * Every value inside a chain must have exactly one reader and be no graph output. The fused node
 * takes the place of the chain's last node, where all its inputs exist already.
 */
public final class MatMulFusion {
    static final String OP_TYPE = "FusedMatMul";

    private MatMulFusion() {
    }

    public static ModelProto apply(ModelProto model) {
        int opset = ConvActivationFusion.onnxOpset(model);
        GraphProto g = model.getGraph();
        GraphIndex index = new GraphIndex(g);
        Fusions fusions = new Fusions();
        for (NodeProto mm : g.getNodeList()) {
            if (!mm.getOpType().equals("MatMul") || !GraphIndex.isOnnx(mm) || mm.getInputCount() != 2
                    || mm.getOutputCount() != 1 || mm.getInput(0).isEmpty() || fusions.absorbed(mm)) {
                continue;
            }
            TensorProto b = index.constantInitializer(mm.getInput(1));
            boolean constantB = b != null && b.getDataType() == DataType.FLOAT.code() && b.getDimsCount() >= 2;
            List<NodeProto> chain = new ArrayList<>();
            chain.add(mm);
            String value = mm.getOutput(0);
            String bias = null;
            String residual = null;
            String approximate = null;
            Float alpha = null;
            NodeProto transY = null;
            // a constant B keeps its packed layout: its product takes no transposed A
            NodeProto transA = constantB ? null : absorbableTranspose(mm.getInput(0), mm, index, fusions);
            NodeProto transB = absorbableTranspose(mm.getInput(1), mm, index, fusions);
            NodeProto next = index.soleReader(value);
            if (constantB) {
                long n = b.getDims(b.getDimsCount() - 1);
                // before opset 7, Add broadcast by its own attributes rather than numpy's rules
                String other = opset >= 7 && isAdd(next) && !fusions.absorbed(next) ? other(next, value) : null;
                if (other != null && isBias(index, other, n)) {
                    bias = other;
                    chain.add(next);
                    value = next.getOutput(0);
                    next = index.soleReader(value);
                    other = opset >= 7 && isAdd(next) && !fusions.absorbed(next) ? other(next, value) : null;
                }
                if (other != null) {
                    residual = other;
                    chain.add(next);
                    value = next.getOutput(0);
                    next = index.soleReader(value);
                }
                approximate = next == null || fusions.absorbed(next) ? null : gelu(next, value, opset);
                if (approximate != null) {
                    chain.add(next);
                }
            } else {
                alpha = opset >= 7 && next != null && !fusions.absorbed(next) ? scale(next, value, index) : null;
                if (alpha != null) {
                    chain.add(next);
                    value = next.getOutput(0);
                    next = index.soleReader(value);
                }
                if (next != null && !fusions.absorbed(next) && outputTranspose(next, value)) {
                    transY = next;
                    chain.add(next);
                }
            }
            if (chain.size() == 1 && transA == null && transB == null) {
                continue;
            }
            NodeProto last = chain.get(chain.size() - 1);
            NodeProto.Builder f = NodeProto.newBuilder().setName(mm.getName()).setOpType(OP_TYPE)
                    .setDomain(FusedConv.DOMAIN).addInput(transA == null ? mm.getInput(0) : transA.getInput(0))
                    .addInput(transB == null ? mm.getInput(1) : transB.getInput(0))
                    .addInput(bias == null ? "" : bias).addOutput(last.getOutput(0));
            if (residual != null) {
                f.addInput(residual);
            }
            if (approximate != null) {
                f.addAttribute(GraphIndex.stringAttribute("activation", "Gelu"))
                        .addAttribute(GraphIndex.stringAttribute("approximate", approximate));
            }
            for (NodeProto t : new NodeProto[] {transA, transB, transY}) {
                if (t != null) {
                    f.addAttribute(GraphIndex.intsAttribute(t == transA ? "perm_a" : t == transB ? "perm_b" : "perm_y",
                            GraphIndex.intsAttr(t, "perm")));
                    fusions.absorb(t);
                }
            }
            if (alpha != null) {
                f.addAttribute(GraphIndex.floatAttribute("alpha", alpha));
            }
            fusions.fuse(chain, last, f.build());
        }
        if (fusions.isEmpty()) {
            return model;
        }
        GraphProto.Builder out = fusions.rewrite(g);
        return ConvActivationFusion.withPrivateDomain(model.toBuilder().setGraph(out)).build();
    }

    /**
     * The Transpose writing {@code value} when {@code mm} may read through it: {@code mm} is its only
     * reader, its permutation is explicit (rank 2 or more) and keeps the input's innermost axis among
     * the last two (so oneDNN reads the operand with a unit stride in one of its matrix dimensions).
     */
    private static NodeProto absorbableTranspose(String value, NodeProto mm, GraphIndex index, Fusions fusions) {
        NodeProto t = index.producer(value);
        if (t == null || !t.getOpType().equals("Transpose") || !GraphIndex.isOnnx(t) || t.getInputCount() != 1
                || t.getInput(0).isEmpty() || t.getOutputCount() != 1 || t.getAttributeCount() != 1
                || !t.getAttribute(0).getName().equals("perm") || index.soleReader(value) != mm
                || fusions.absorbed(t)) {
            return null;
        }
        long[] perm = GraphIndex.intsAttr(t, "perm");
        int r = perm.length;
        return r >= 2 && (perm[r - 1] == r - 1 || perm[r - 2] == r - 1) ? t : null;
    }

    /**
     * Whether {@code t} is a Transpose of {@code value} that the product can write through strides:
     * an explicit permutation (rank 2 or more) that leaves the innermost axis in place.
     */
    private static boolean outputTranspose(NodeProto t, String value) {
        if (!t.getOpType().equals("Transpose") || !GraphIndex.isOnnx(t) || t.getInputCount() != 1
                || !t.getInput(0).equals(value) || t.getOutputCount() != 1 || t.getAttributeCount() != 1
                || !t.getAttribute(0).getName().equals("perm")) {
            return false;
        }
        long[] perm = GraphIndex.intsAttr(t, "perm");
        return perm.length >= 2 && perm[perm.length - 1] == perm.length - 1;
    }

    /**
     * The factor of Div(value, c) (1 / c) or Mul(value, c) for a float32 scalar constant c of rank 0
     * (so the product is float32 and keeps its shape), else null.
     */
    private static Float scale(NodeProto n, String value, GraphIndex index) {
        if (!GraphIndex.isOnnx(n) || n.getInputCount() != 2 || n.getOutputCount() != 1) {
            return null;
        }
        if (n.getOpType().equals("Div") && n.getInput(0).equals(value)) {
            Float c = index.floatScalar(n.getInput(1), 0);
            return c == null || !Float.isFinite(1 / c) ? null : 1 / c;
        }
        if (n.getOpType().equals("Mul")) {
            String o = other(n, value);
            return o == null ? null : index.floatScalar(o, 0);
        }
        return null;
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
        String a = GraphIndex.stringAttr(n, "approximate", "none");
        return a.equals("none") || a.equals("tanh") ? a : null;
    }

}
