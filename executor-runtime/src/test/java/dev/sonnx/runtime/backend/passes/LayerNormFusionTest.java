package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.backend.passes.PassTesting.assertOutputs;
import static dev.sonnx.runtime.backend.passes.PassTesting.constant;
import static dev.sonnx.runtime.backend.passes.PassTesting.node;
import static dev.sonnx.runtime.backend.passes.PassTesting.only;
import static dev.sonnx.runtime.backend.passes.PassTesting.opTypes;
import static dev.sonnx.runtime.backend.passes.PassTesting.random;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInt;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fusion of the exported ReduceMean/Sub/Pow/Sqrt/Div [Mul Add] chain into LayerNormalization: the
 * forms it takes, the near misses it must leave alone, and outputs equal to the unfused model's and
 * to a layer normalization computed here in double precision.
 */
class LayerNormFusionTest {
    private static final int D = 8;
    private static final float EPS = 1e-5f;
    private static final Tensor X = random(1, -2, 3, 2, 3, D);
    private static final Tensor GAMMA = random(2, 0.5, 1.5, D);
    private static final Tensor BETA = random(3, -1, 1, D);

    /** The options of one chain. */
    private record Form(int opset, boolean squareByMul, boolean swapOperands, long axis, boolean affine) {
    }

    /** mean, d, square, var, var + eps, sqrt, div [, mul gamma, add beta] writing y. */
    private static List<NodeProto> chain(Form f) {
        List<NodeProto> n = new ArrayList<>();
        n.add(constant("eps", EPS));
        n.add(constant("two", 2f));
        n.add(constant("axes", Tensor.of(new long[] {f.axis}, 1)));
        n.add(reduceMean("mean", "x", f));
        n.add(node("Sub", "d", "x", "mean"));
        n.add(f.squareByMul ? node("Mul", "sq", "d", "d") : node("Pow", "sq", "d", "two"));
        n.add(reduceMean("var", "sq", f));
        n.add(f.swapOperands ? node("Add", "ve", "eps", "var") : node("Add", "ve", "var", "eps"));
        n.add(node("Sqrt", "std", "ve"));
        n.add(node("Div", f.affine ? "norm" : "y", "d", "std"));
        if (f.affine) {
            n.add(f.swapOperands ? node("Mul", "scaled", "gamma", "norm") : node("Mul", "scaled", "norm", "gamma"));
            n.add(f.swapOperands ? node("Add", "y", "beta", "scaled") : node("Add", "y", "scaled", "beta"));
        }
        return n;
    }

    /** ReduceMean over {@code axis}, as an attribute before opset 18 and as an input from 18. */
    private static NodeProto reduceMean(String out, String in, Form f) {
        return f.opset >= 18 ? node("ReduceMean", out, in, "axes")
                : withInts(node("ReduceMean", out, in), "axes", f.axis);
    }

    private static GraphProto.Builder graph(List<NodeProto> nodes) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("ln")
                .addInitializer(TensorProtos.fromTensor(GAMMA, "gamma"))
                .addInitializer(TensorProtos.fromTensor(BETA, "beta"))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, 3, D))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 2, 3, D));
        nodes.forEach(g::addNode);
        return g;
    }

    /** Layer normalization of X's rows in double. */
    private static double[] expected(boolean affine) {
        int rows = X.size() / D;
        double[] r = new double[X.size()];
        for (int i = 0; i < rows; i++) {
            double mean = 0;
            for (int j = 0; j < D; j++) {
                mean += X.getDouble(i * D + j) / D;
            }
            double var = 0;
            for (int j = 0; j < D; j++) {
                var += Math.pow(X.getDouble(i * D + j) - mean, 2) / D;
            }
            for (int j = 0; j < D; j++) {
                double v = (X.getDouble(i * D + j) - mean) / Math.sqrt(var + EPS);
                r[i * D + j] = affine ? v * GAMMA.getDouble(j) + BETA.getDouble(j) : v;
            }
        }
        return r;
    }

    @Test
    void gpt2ChainBeforeOpset17BecomesThePrivateLayerNormalization() {
        ModelProto m = Models.model(graph(chain(new Form(13, false, false, -1, true))).build(), 13);
        ModelProto rewritten = LayerNormFusion.apply(m);
        assertEquals(List.of("LayerNormalization"), opTypes(rewritten));
        NodeProto ln = only(rewritten, "LayerNormalization");
        assertEquals(FusedConv.DOMAIN, ln.getDomain());
        assertEquals(List.of("x", "gamma", "beta"), ln.getInputList());
        assertEquals(List.of("y"), ln.getOutputList());
        assertEquals(EPS, GraphIndex.floatAttr(ln, "epsilon", 0f));
        assertTrue(rewritten.getOpsetImportList().stream().anyMatch(o -> o.getDomain().equals(FusedConv.DOMAIN)));
        assertOutputs(m, expected(true), X);
    }

    @Test
    void everyFormFusesIntoOnnxLayerNormalizationFromOpset17() {
        for (Form f : List.of(new Form(17, true, true, -1, true), new Form(18, false, true, -1, true),
                new Form(18, true, false, 2, true), new Form(13, true, false, 2, true))) {
            ModelProto m = Models.model(graph(chain(f)).build(), f.opset);
            ModelProto rewritten = LayerNormFusion.apply(m);
            assertEquals(List.of("LayerNormalization"), opTypes(rewritten), f.toString());
            assertEquals(f.opset >= 17 ? "" : FusedConv.DOMAIN, only(rewritten, "LayerNormalization").getDomain());
            assertOutputs(m, expected(true), X);
        }
    }

    @Test
    void withoutGammaAndBetaAUnitScaleStandsIn() {
        ModelProto m = Models.model(graph(chain(new Form(13, false, false, -1, false))).build(), 13);
        ModelProto rewritten = LayerNormFusion.apply(m);
        assertEquals(List.of("LayerNormalization"), opTypes(rewritten));
        NodeProto ln = only(rewritten, "LayerNormalization");
        assertEquals(2, ln.getInputCount());
        assertEquals(1f, TensorProtos.toTensor(rewritten.getGraph().getInitializerList().stream()
                .filter(t -> t.getName().equals(ln.getInput(1))).findFirst().orElseThrow()).getFloat(0));
        assertOutputs(m, expected(false), X);
    }

    @Test
    void aTwoDimensionalGammaStaysOutside() {
        List<NodeProto> nodes = new ArrayList<>(chain(new Form(13, false, false, -1, true)));
        nodes.replaceAll(n -> n.getOutput(0).equals("scaled") ? node("Mul", "scaled", "norm", "gamma2") : n);
        GraphProto.Builder g = graph(nodes).addInitializer(TensorProtos.fromTensor(
                Tensor.of(GAMMA.toFloatArray(), 1, D), "gamma2"));
        ModelProto m = Models.model(g.build(), 13);
        assertEquals(List.of("LayerNormalization", "Mul", "Add"), opTypes(LayerNormFusion.apply(m)));
        assertOutputs(m, expected(true), X);
    }

    @Test
    void nearMissesStayAsTheyAre() {
        Form f = new Form(13, false, false, -1, true);
        // d read by one more node
        List<NodeProto> extraReader = new ArrayList<>(chain(f));
        extraReader.add(node("Neg", "side", "d"));
        GraphProto.Builder g = graph(extraReader).addOutput(Models.tensorInfo("side", DataType.FLOAT, 2, 3, D));
        assertUnchanged(Models.model(g.build(), 13));
        // the variance is a graph output
        GraphProto.Builder varOut = graph(chain(f)).addOutput(Models.tensorInfo("var", DataType.FLOAT, 2, 3, 1));
        assertUnchanged(Models.model(varOut.build(), 13));
        // a cube instead of the square
        List<NodeProto> cube = new ArrayList<>(chain(f));
        cube.replaceAll(n -> n.getOutput(0).equals("two") ? constant("two", 3f) : n);
        assertUnchanged(Models.model(graph(cube).build(), 13));
        // eps fed at run time
        List<NodeProto> fedEps = new ArrayList<>(chain(f));
        fedEps.removeIf(n -> n.getOutput(0).equals("eps"));
        GraphProto.Builder fed = graph(fedEps).addInput(Models.tensorInfo("eps", DataType.FLOAT));
        assertUnchanged(Models.model(fed.build(), 13));
        // a reduction over another axis, or one that drops the reduced dimension
        assertUnchanged(Models.model(graph(chain(new Form(13, false, false, 1, true))).build(), 13));
        List<NodeProto> dropped = new ArrayList<>(chain(f));
        dropped.replaceAll(n -> n.getOutput(0).equals("mean") ? withInt(n, "keepdims", 0) : n);
        assertUnchanged(Models.model(graph(dropped).build(), 13));
        // Sub the other way round: mean - x
        List<NodeProto> swapped = new ArrayList<>(chain(f));
        swapped.replaceAll(n -> n.getOutput(0).equals("d") ? node("Sub", "d", "mean", "x") : n);
        assertUnchanged(Models.model(graph(swapped).build(), 13));
    }

    private static void assertUnchanged(ModelProto m) {
        assertSame(m, LayerNormFusion.apply(m));
    }
}
