package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.backend.passes.Fusions.is;
import static dev.sonnx.runtime.backend.passes.Fusions.other;

import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Inference-time rewrite of GELU written out op by op into one Gelu node:
 * <ul>
 *   <li>exact (BERT): x * 0.5 * (1 + Erf(x / sqrt 2)), the Erf's input Div(x, 1.4142135) or
 *   Mul(x, 0.70710677), gives {@code approximate = "none"};</li>
 *   <li>tanh (GPT-2): 0.5 * x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3))), x^3 as Pow(x, 3),
 *   Mul(x, Mul(x, x)) or Mul(Mul(x, x), x), gives {@code approximate = "tanh"}.</li>
 * </ul>
 * The final product x * (1 + f) * 0.5 may associate either way (0.5 also as Div by 2), and every
 * Mul and Add may have its operands either way round. One elementwise pass replaces eight to eleven
 * (and their intermediate tensors), and a product before it can then take the Gelu as a post-op
 * ({@link MatMulFusion}). From opset 20 the node is ONNX's Gelu; before, {@code dev.sonnx.Gelu}, the
 * same operator.
 *
 * <p>Constants match within a relative 1e-4 and must be float32 scalars (rank 0, so they broadcast
 * nothing; and x is then float32). Every intermediate must be read by the chain alone and be no
 * graph output; x itself may have other readers. The Gelu takes the place of the chain's last node.
 */
public final class GeluFusion {
    static final int ONNX_SINCE = 20;
    private static final double TOLERANCE = 1e-4;
    private static final double SQRT_2 = Math.sqrt(2);
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double CUBIC = 0.044715;

    private GeluFusion() {
    }

    /** One matched chain: its nodes (last one last), x, the form and the output. */
    private record Match(List<NodeProto> nodes, String x, boolean tanh, String output) {
    }

    public static ModelProto apply(ModelProto model) {
        int opset = ConvActivationFusion.onnxOpset(model);
        if (opset < 7) {   // Mul, Add and Div broadcast by attributes before opset 7
            return model;
        }
        GraphProto g = model.getGraph();
        GraphIndex index = new GraphIndex(g);
        Fusions fusions = new Fusions();
        for (NodeProto n : g.getNodeList()) {
            Match m = null;
            if (is(n, "Erf") && !fusions.absorbed(n)) {
                m = erfForm(n, index);
            } else if (is(n, "Tanh") && !fusions.absorbed(n)) {
                m = tanhForm(n, index);
            }
            if (m == null || fusions.anyAbsorbed(m.nodes)) {
                continue;
            }
            NodeProto last = m.nodes.get(m.nodes.size() - 1);
            fusions.fuse(m.nodes, last, NodeProto.newBuilder().setName(n.getName()).setOpType("Gelu")
                    .setDomain(opset >= ONNX_SINCE ? "" : FusedConv.DOMAIN).addInput(m.x).addOutput(m.output)
                    .addAttribute(GraphIndex.stringAttribute("approximate", m.tanh ? "tanh" : "none"))
                    .build());
        }
        if (fusions.isEmpty()) {
            return model;
        }
        GraphProto.Builder out = fusions.rewrite(g);
        ModelProto.Builder b = model.toBuilder().setGraph(out);
        return (opset >= ONNX_SINCE ? b : ConvActivationFusion.withPrivateDomain(b)).build();
    }

    /** x * 0.5 * (1 + Erf(x / sqrt 2)) around {@code erf}. */
    private static Match erfForm(NodeProto erf, GraphIndex index) {
        NodeProto scaled = index.producer(erf.getInput(0));
        if (index.soleReader(erf.getInput(0)) != erf) {
            return null;
        }
        String x;
        if (is(scaled, "Div") && scaled.getInputCount() == 2 && near(index, scaled.getInput(1), SQRT_2)) {
            x = scaled.getInput(0);
        } else if (is(scaled, "Mul")) {
            x = variableTimes(scaled, index, 1 / SQRT_2);
        } else {
            return null;
        }
        if (x == null) {
            return null;
        }
        List<NodeProto> chain = new ArrayList<>(List.of(scaled, erf));
        return halfXTimesOnePlus(erf, x, chain, index, false);
    }

    /** 0.5 * x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3))) around {@code tanh}. */
    private static Match tanhForm(NodeProto tanh, GraphIndex index) {
        NodeProto scaled = index.producer(tanh.getInput(0));
        if (index.soleReader(tanh.getInput(0)) != tanh || !is(scaled, "Mul")) {
            return null;
        }
        String inner = variableTimes(scaled, index, SQRT_2_OVER_PI);
        NodeProto sum = inner == null || index.soleReader(inner) != scaled ? null : index.producer(inner);
        if (!is(sum, "Add") || sum.getInputCount() != 2) {
            return null;
        }
        // x + 0.044715 * x^3, either way round
        for (int side = 0; side < 2; side++) {
            String x = sum.getInput(side);
            String cubicTerm = sum.getInput(1 - side);
            NodeProto times = index.producer(cubicTerm);
            if (x.equals(cubicTerm) || index.soleReader(cubicTerm) != sum || !is(times, "Mul")) {
                continue;
            }
            String cube = variableTimes(times, index, CUBIC);
            List<NodeProto> cubeNodes = cube == null || index.soleReader(cube) != times ? null : cubeOf(x, cube, index);
            if (cubeNodes == null) {
                continue;
            }
            List<NodeProto> chain = new ArrayList<>(cubeNodes);
            chain.addAll(List.of(times, sum, scaled, tanh));
            return halfXTimesOnePlus(tanh, x, chain, index, true);
        }
        return null;
    }

    /** The nodes computing {@code cube} = x^3 (Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x)), or null. */
    private static List<NodeProto> cubeOf(String x, String cube, GraphIndex index) {
        NodeProto n = index.producer(cube);
        if (is(n, "Pow") && n.getInputCount() == 2 && n.getInput(0).equals(x)) {
            Tensor e = index.constant(n.getInput(1));
            boolean three = e != null && e.size() == 1 && e.rank() == 0 && e.dtype() != DataType.STRING
                    && e.dtype() != DataType.BOOL && GraphIndex.near(e.getDouble(0), 3, TOLERANCE);
            return three ? List.of(n) : null;
        }
        if (!is(n, "Mul") || n.getInputCount() != 2) {
            return null;
        }
        for (int side = 0; side < 2; side++) {
            String square = n.getInput(1 - side);
            NodeProto sq = index.producer(square);
            if (n.getInput(side).equals(x) && !square.equals(x) && index.soleReader(square) == n && is(sq, "Mul")
                    && sq.getInputCount() == 2 && sq.getInput(0).equals(x) && sq.getInput(1).equals(x)) {
                return List.of(sq, n);
            }
        }
        return null;
    }

    /**
     * The rest of the chain after {@code f} (Erf or Tanh): p = Add(f, 1), then x * p * 0.5 in any
     * association; appends its nodes to {@code chain}.
     */
    private static Match halfXTimesOnePlus(NodeProto f, String x, List<NodeProto> chain, GraphIndex index,
                                           boolean tanh) {
        NodeProto plus = index.soleReader(f.getOutput(0));
        if (!is(plus, "Add") || !near(index, other(plus, f.getOutput(0)), 1)) {
            return null;
        }
        chain.add(plus);
        String p = plus.getOutput(0);
        NodeProto r1 = index.soleReader(p);
        if (!is(r1, "Mul")) {
            return null;
        }
        String o = other(r1, p);
        if (o == null) {
            return null;
        }
        if (o.equals(x)) {
            // (x * p) * 0.5
            NodeProto r2 = index.soleReader(r1.getOutput(0));
            if (!isHalving(r2, r1.getOutput(0), index)) {
                return null;
            }
            chain.add(r1);
            chain.add(r2);
            return new Match(chain, x, tanh, r2.getOutput(0));
        }
        if (near(index, o, 0.5)) {
            // x * (p * 0.5)
            NodeProto r2 = index.soleReader(r1.getOutput(0));
            if (!is(r2, "Mul") || !x.equals(other(r2, r1.getOutput(0)))) {
                return null;
            }
            chain.add(r1);
            chain.add(r2);
            return new Match(chain, x, tanh, r2.getOutput(0));
        }
        // (x * 0.5) * p
        NodeProto h = index.producer(o);
        if (index.soleReader(o) != r1 || !isHalving(h, x, index)) {
            return null;
        }
        chain.add(h);
        chain.add(r1);
        return new Match(chain, x, tanh, r1.getOutput(0));
    }

    /** Whether {@code n} is Mul(v, 0.5) (either way round) or Div(v, 2). */
    private static boolean isHalving(NodeProto n, String v, GraphIndex index) {
        if (is(n, "Mul")) {
            String c = other(n, v);
            return c != null && near(index, c, 0.5);
        }
        return is(n, "Div") && n.getInputCount() == 2 && n.getInput(0).equals(v) && near(index, n.getInput(1), 2);
    }

    /** For Mul(v, c) or Mul(c, v) with constant c near {@code value}: v; else null. */
    private static String variableTimes(NodeProto mul, GraphIndex index, double value) {
        if (mul.getInputCount() != 2) {
            return null;
        }
        for (int side = 0; side < 2; side++) {
            if (near(index, mul.getInput(1 - side), value) && index.constant(mul.getInput(side)) == null) {
                return mul.getInput(side);
            }
        }
        return null;
    }

    /** Whether {@code name} is a float32 rank-0 constant within the tolerance of {@code value}. */
    private static boolean near(GraphIndex index, String name, double value) {
        Float c = name == null ? null : index.floatScalar(name, 0);
        return c != null && GraphIndex.near(c, value, TOLERANCE);
    }


}
