package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.backend.passes.Fusions.is;
import static dev.sonnx.runtime.backend.passes.Fusions.other;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Inference-time rewrite of the layer normalization that exporters write out op by op,
 * <pre>
 *   mean = ReduceMean(x, axes=[-1]);  d = Sub(x, mean)
 *   var = ReduceMean(Pow(d, 2) or Mul(d, d), axes=[-1]);  y = Div(d, Sqrt(Add(var, eps)))
 *   [y = Mul(y, gamma) [y = Add(y, beta)]]
 * </pre>
 * into one LayerNormalization (axis -1, epsilon eps): one pass per row instead of nine passes over
 * the activations and eight intermediate tensors (transformers run it twice per layer). From opset 17
 * the node is ONNX's own; before, {@code dev.sonnx.LayerNormalization}, the same operator.
 *
 * <p>Fuses only where every intermediate is read by the chain alone and is no graph output (d by its
 * square and the Div), the reductions keep their dimensions and reduce the last axis only (-1, or
 * rank - 1 where the graph declares x's rank), eps is a float32 scalar constant (so x is float32), and
 * gamma and beta are 1-D float32 constants. Without gamma, a scale of [1] stands in. The fused node
 * takes the place of the chain's last node.
 */
public final class LayerNormFusion {
    static final int ONNX_SINCE = 17;

    private LayerNormFusion() {
    }

    /** One matched chain. */
    private record Match(List<NodeProto> nodes, String x, float epsilon, String gamma, String beta, String output) {
    }

    public static ModelProto apply(ModelProto model) {
        int opset = ConvActivationFusion.onnxOpset(model);
        if (opset < 7) {   // Sub, Div, Mul and Add broadcast by attributes before opset 7
            return model;
        }
        GraphProto g = model.getGraph();
        GraphIndex index = new GraphIndex(g);
        Fusions fusions = new Fusions();
        String ones = null;
        for (NodeProto n : g.getNodeList()) {
            Match m = fusions.absorbed(n) ? null : match(n, index, opset);
            if (m == null || fusions.anyAbsorbed(m.nodes)) {
                continue;
            }
            String scale = m.gamma;
            if (scale == null) {
                if (ones == null) {
                    ones = GraphIndex.freshName("layer_norm_unit_scale", index.names());
                }
                scale = ones;
            }
            NodeProto last = m.nodes.get(m.nodes.size() - 1);
            NodeProto.Builder ln = NodeProto.newBuilder().setName(n.getName()).setOpType("LayerNormalization")
                    .setDomain(opset >= ONNX_SINCE ? "" : FusedConv.DOMAIN).addInput(m.x).addInput(scale)
                    .addOutput(m.output)
                    .addAttribute(GraphIndex.intAttribute("axis", -1))
                    .addAttribute(GraphIndex.floatAttribute("epsilon", m.epsilon));
            if (m.beta != null) {
                ln.addInput(m.beta);
            }
            fusions.fuse(m.nodes, last, ln.build());
        }
        if (fusions.isEmpty()) {
            return model;
        }
        GraphProto.Builder out = fusions.rewrite(g);
        if (ones != null) {
            out.addInitializer(TensorProtos.fromTensor(Tensor.of(new float[] {1f}, 1), ones));
        }
        ModelProto.Builder b = model.toBuilder().setGraph(out);
        return (opset >= ONNX_SINCE ? b : ConvActivationFusion.withPrivateDomain(b)).build();
    }

    /** The chain that starts at {@code mean}, or null. */
    private static Match match(NodeProto mean, GraphIndex index, int opset) {
        if (!is(mean, "ReduceMean")) {
            return null;
        }
        String x = mean.getInput(0);
        // d = x - mean has x's rank
        int rank = index.declaredRank(x);
        if (!lastAxisKeepDims(mean, rank, index, opset)) {
            return null;
        }
        List<NodeProto> chain = new ArrayList<>();
        chain.add(mean);
        NodeProto sub = index.soleReader(mean.getOutput(0));
        if (!is(sub, "Sub") || !sub.getInput(0).equals(x) || !sub.getInput(1).equals(mean.getOutput(0))) {
            return null;
        }
        chain.add(sub);
        String d = sub.getOutput(0);
        // d: read by its square (Pow(d, 2) or Mul(d, d)) and by the Div, nothing else
        NodeProto square = null;
        NodeProto div = null;
        for (NodeProto r : index.readers(d)) {
            if (is(r, "Div") && r.getInput(0).equals(d) && !r.getInput(1).equals(d)) {
                div = r;
            } else if (is(r, "Pow") && r.getInput(0).equals(d) && isTwo(index, r.getInput(1))
                    || is(r, "Mul") && r.getInput(0).equals(d) && r.getInput(1).equals(d)) {
                square = r;
            }
        }
        if (square == null || div == null
                || index.reads(d) != (square.getOpType().equals("Mul") ? 3 : 2)
                || index.readers(d).size() != index.reads(d)) {
            return null;
        }
        chain.add(square);
        NodeProto var = index.soleReader(square.getOutput(0));
        if (!is(var, "ReduceMean") || !lastAxisKeepDims(var, rank, index, opset)
                || !var.getInput(0).equals(square.getOutput(0))) {
            return null;
        }
        chain.add(var);
        NodeProto addEps = index.soleReader(var.getOutput(0));
        if (!is(addEps, "Add")) {
            return null;
        }
        String epsName = other(addEps, var.getOutput(0));
        Float eps = epsName == null ? null : index.floatScalar(epsName, 1);
        if (eps == null) {
            return null;
        }
        chain.add(addEps);
        NodeProto sqrt = index.soleReader(addEps.getOutput(0));
        if (!is(sqrt, "Sqrt") || index.soleReader(sqrt.getOutput(0)) != div
                || !div.getInput(1).equals(sqrt.getOutput(0))) {
            return null;
        }
        chain.add(sqrt);
        chain.add(div);
        String y = div.getOutput(0);
        String gamma = null;
        String beta = null;
        NodeProto mul = index.soleReader(y);
        String gammaName = is(mul, "Mul") ? other(mul, y) : null;
        if (gammaName != null && isVector(index, gammaName)) {
            gamma = gammaName;
            chain.add(mul);
            y = mul.getOutput(0);
            NodeProto add = index.soleReader(y);
            String betaName = is(add, "Add") ? other(add, y) : null;
            if (betaName != null && isVector(index, betaName)) {
                beta = betaName;
                chain.add(add);
                y = add.getOutput(0);
            }
        }
        return new Match(chain, x, eps, gamma, beta, y);
    }



    /** A constant exponent of 2 (any numeric type, one element). */
    private static boolean isTwo(GraphIndex index, String name) {
        Tensor t = index.constant(name);
        return t != null && t.size() == 1 && t.rank() <= 1 && t.dtype() != DataType.STRING && t.dtype() != DataType.BOOL
                && t.getDouble(0) == 2;
    }

    /** A 1-D float32 constant (gamma, beta). */
    private static boolean isVector(GraphIndex index, String name) {
        Tensor t = index.constant(name);
        return t != null && t.dtype() == DataType.FLOAT && t.rank() == 1 && t.size() > 0;
    }

    /** The reduced axes of a ReduceMean, from its attribute (before 18) or constant input (18 on); null if unknown. */
    private static long[] axes(NodeProto n, GraphIndex index, int opset) {
        if (opset < 18) {
            return n.getInputCount() == 1 ? GraphIndex.intsAttr(n, "axes") : null;
        }
        if (n.getInputCount() != 2 || n.getInput(1).isEmpty() || GraphIndex.hasAttr(n, "axes")) {
            return null;
        }
        Tensor t = index.constant(n.getInput(1));
        return t == null || t.dtype() != DataType.INT64 ? null : t.toLongArray();
    }

    /**
     * ReduceMean over the last axis only, keeping the reduced dimension; {@code rank}: the rank the
     * graph declares for the reduced tensor (for axes written as rank - 1), or -1.
     */
    private static boolean lastAxisKeepDims(NodeProto n, int rank, GraphIndex index, int opset) {
        long[] axes = axes(n, index, opset);
        if (axes == null || axes.length != 1 || GraphIndex.intAttr(n, "keepdims", 1) != 1) {
            return false;
        }
        return axes[0] == -1 || rank > 0 && axes[0] == rank - 1;
    }

}
