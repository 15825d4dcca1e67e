package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.backend.passes.PassTesting.assertOutputs;
import static dev.sonnx.runtime.backend.passes.PassTesting.attrString;
import static dev.sonnx.runtime.backend.passes.PassTesting.constant;
import static dev.sonnx.runtime.backend.passes.PassTesting.node;
import static dev.sonnx.runtime.backend.passes.PassTesting.only;
import static dev.sonnx.runtime.backend.passes.PassTesting.opTypes;
import static dev.sonnx.runtime.backend.passes.PassTesting.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.ops.kernel.SpecialFunctions;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The fusion of GELU written out op by op (BERT's erf form, GPT-2's tanh form) into one Gelu: every
 * association of the final product, near misses left alone, and outputs equal to the unfused model's
 * and to GELU computed here in double precision.
 */
class GeluFusionTest {
    private static final Tensor X = random(1, -4, 4, 2, 3, 16);

    private static GraphProto.Builder graph(List<NodeProto> nodes) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("gelu")
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, 3, 16))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 2, 3, 16));
        nodes.forEach(g::addNode);
        return g;
    }

    /** How x * (1 + f) * 0.5 is written, given p = 1 + f; each list writes y. */
    private static List<List<NodeProto>> products() {
        return List.of(
                List.of(constant("half", 0.5f), node("Mul", "xp", "x", "p"), node("Mul", "y", "xp", "half")),
                List.of(constant("half", 0.5f), node("Mul", "hp", "half", "p"), node("Mul", "y", "hp", "x")),
                List.of(constant("half", 0.5f), node("Mul", "hx", "x", "half"), node("Mul", "y", "p", "hx")),
                List.of(constant("two2", 2f), node("Mul", "xp", "p", "x"), node("Div", "y", "xp", "two2")),
                List.of(constant("two2", 2f), node("Div", "hx", "x", "two2"), node("Mul", "y", "hx", "p")));
    }

    /** BERT's erf form up to p = 1 + erf(x / sqrt 2); {@code byMul}: x * 0.70710677 instead. */
    private static List<NodeProto> erfPart(boolean byMul, float root, float one) {
        return List.of(constant("root", byMul ? 1 / root : root), constant("one", one),
                byMul ? node("Mul", "s", "root", "x") : node("Div", "s", "x", "root"),
                node("Erf", "e", "s"), node("Add", "p", "e", "one"));
    }

    /** GPT-2's tanh form up to p = 1 + tanh(...); {@code cube}: 0 Pow, 1 x * (x * x), 2 (x * x) * x. */
    private static List<NodeProto> tanhPart(int cube, float cubic) {
        List<NodeProto> n = new ArrayList<>(List.of(constant("c3", 3f), constant("cubic", cubic),
                constant("k", 0.7978846f), constant("one", 1f)));
        switch (cube) {
            case 0 -> n.add(node("Pow", "x3", "x", "c3"));
            case 1 -> n.addAll(List.of(node("Mul", "xx", "x", "x"), node("Mul", "x3", "x", "xx")));
            default -> n.addAll(List.of(node("Mul", "xx", "x", "x"), node("Mul", "x3", "xx", "x")));
        }
        n.addAll(List.of(node("Mul", "cx3", "cubic", "x3"), node("Add", "inner", "x", "cx3"),
                node("Mul", "arg", "k", "inner"), node("Tanh", "t", "arg"), node("Add", "p", "one", "t")));
        return n;
    }

    private static double[] expected(UnaryOperator<Double> f) {
        double[] r = new double[X.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = f.apply(X.getDouble(i));
        }
        return r;
    }

    private static double gelu(double x) {
        return 0.5 * x * (1 + SpecialFunctions.erf(x / Math.sqrt(2)));
    }

    private static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    private static List<NodeProto> concat(List<NodeProto> a, List<NodeProto> b) {
        List<NodeProto> r = new ArrayList<>(a);
        r.addAll(b);
        return r;
    }

    @Test
    void erfFormInEveryAssociationBecomesExactGelu() {
        for (boolean byMul : new boolean[] {false, true}) {
            for (List<NodeProto> product : products()) {
                ModelProto m = Models.model(graph(concat(erfPart(byMul, 1.4142135f, 1f), product)).build(), 13);
                ModelProto rewritten = GeluFusion.apply(m);
                assertEquals(List.of("Gelu"), opTypes(rewritten), product.toString());
                NodeProto gelu = only(rewritten, "Gelu");
                assertEquals(FusedConv.DOMAIN, gelu.getDomain());
                assertEquals("none", attrString(gelu, "approximate"));
                assertEquals(List.of("x"), gelu.getInputList());
                assertOutputs(m, expected(GeluFusionTest::gelu), X);
            }
        }
    }

    @Test
    void tanhFormWithEveryCubeBecomesTanhGelu() {
        for (int cube = 0; cube < 3; cube++) {
            for (List<NodeProto> product : products()) {
                ModelProto m = Models.model(graph(concat(tanhPart(cube, 0.044715f), product)).build(), 13);
                ModelProto rewritten = GeluFusion.apply(m);
                assertEquals(List.of("Gelu"), opTypes(rewritten), "cube " + cube + ", " + product);
                assertEquals("tanh", attrString(only(rewritten, "Gelu"), "approximate"));
                assertOutputs(m, expected(GeluFusionTest::geluTanh), X);
            }
        }
    }

    @Test
    void fromOpset20TheNodeIsOnnxGelu() {
        ModelProto m = Models.model(graph(concat(tanhPart(0, 0.044715f), products().get(0))).build(), 20);
        ModelProto rewritten = GeluFusion.apply(m);
        assertEquals("", only(rewritten, "Gelu").getDomain());
        assertEquals(m.getOpsetImportList(), rewritten.getOpsetImportList());
        assertOutputs(m, expected(GeluFusionTest::geluTanh), X);
    }

    @Test
    void nearMissesStayAsTheyAre() {
        List<NodeProto> half = products().get(0);
        // constants off by more than the tolerance
        assertUnchanged(Models.model(graph(concat(erfPart(false, 1.5f, 1f), half)).build(), 13));
        assertUnchanged(Models.model(graph(concat(erfPart(false, 1.4142135f, 1.01f), half)).build(), 13));
        assertUnchanged(Models.model(graph(concat(tanhPart(1, 0.05f), half)).build(), 13));
        List<NodeProto> third = new ArrayList<>(half);
        third.set(0, constant("half", 0.33f));
        assertUnchanged(Models.model(graph(concat(erfPart(false, 1.4142135f, 1f), third)).build(), 13));
        // an intermediate with another reader: the Erf's output
        List<NodeProto> extra = concat(erfPart(false, 1.4142135f, 1f), half);
        extra.add(node("Neg", "side", "e"));
        GraphProto.Builder g = graph(extra).addOutput(Models.tensorInfo("side", DataType.FLOAT, 2, 3, 16));
        assertUnchanged(Models.model(g.build(), 13));
        // an intermediate that is a graph output: x * x of the tanh form
        GraphProto.Builder out = graph(concat(tanhPart(1, 0.044715f), half))
                .addOutput(Models.tensorInfo("xx", DataType.FLOAT, 2, 3, 16));
        assertUnchanged(Models.model(out.build(), 13));
        // the Erf of another value than the one multiplied
        List<NodeProto> otherX = new ArrayList<>(concat(erfPart(false, 1.4142135f, 1f), half));
        otherX.replaceAll(n -> n.getOutput(0).equals("xp") ? node("Mul", "xp", "x2", "p") : n);
        GraphProto.Builder two = graph(otherX).addInput(Models.tensorInfo("x2", DataType.FLOAT, 2, 3, 16));
        assertUnchanged(Models.model(two.build(), 13));
        // a half of shape [1], which would broadcast a scalar x
        List<NodeProto> vectorHalf = new ArrayList<>(half);
        vectorHalf.set(0, constant("half", Tensor.of(new float[] {0.5f}, 1)));
        assertUnchanged(Models.model(graph(concat(erfPart(false, 1.4142135f, 1f), vectorHalf)).build(), 13));
    }

    private static void assertUnchanged(ModelProto m) {
        assertSame(m, GeluFusion.apply(m));
    }
}
