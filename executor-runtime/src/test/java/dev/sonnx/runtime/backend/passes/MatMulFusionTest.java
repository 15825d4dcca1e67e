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

import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.ops.kernel.SpecialFunctions;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fusion of MatMul [+ bias] [+ residual] [+ Gelu] into dev.sonnx.FusedMatMul: which chains it
 * rewrites, which it leaves alone, and outputs equal to the unfused model's and to the product, sums
 * and activation computed here in double precision (oneDNN's packed, post-op path and the plain
 * fallback for broadcast residuals alike).
 */
class MatMulFusionTest {
    private static final int M = 3;
    private static final int K = 8;
    private static final int N = 6;
    private static final Tensor X = random(1, -1, 1, 2, M, K);
    private static final Tensor W = random(2, -1, 1, K, N);
    private static final Tensor BIAS = random(3, -1, 1, N);
    private static final Tensor R = random(4, -1, 1, 2, M, N);
    private static final Tensor W2 = random(5, -1, 1, N, K);
    private static final Tensor BIAS2 = random(6, -1, 1, K);

    private static GraphProto.Builder graph(List<NodeProto> nodes, int... yShape) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("mm")
                .addInitializer(TensorProtos.fromTensor(W, "w"))
                .addInitializer(TensorProtos.fromTensor(BIAS, "bias"))
                .addInitializer(TensorProtos.fromTensor(W2, "w2"))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, M, K))
                .addInput(Models.tensorInfo("r", DataType.FLOAT, 2, M, N))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, yShape.length == 0 ? new int[] {2, M, N} : yShape));
        nodes.forEach(g::addNode);
        return g;
    }

    /** x @ w (+ bias) (+ r) per element of [2, M, N], then {@code act}, in double. */
    private static double[] expected(boolean bias, boolean residual, java.util.function.DoubleUnaryOperator act) {
        double[] y = new double[2 * M * N];
        for (int row = 0; row < 2 * M; row++) {
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < K; k++) {
                    s += X.getDouble(row * K + k) * W.getDouble(k * N + j);
                }
                s += bias ? BIAS.getDouble(j) : 0;
                s += residual ? R.getDouble(row * N + j) : 0;
                y[row * N + j] = act.applyAsDouble(s);
            }
        }
        return y;
    }

    private static double gelu(double x) {
        return 0.5 * x * (1 + SpecialFunctions.erf(x / Math.sqrt(2)));
    }

    private static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    @Test
    void biasThenResidualBecomeOneFusedMatMul() {
        // as PyTorch exports a Linear: Add(bias, MatMul), then the residual Add
        ModelProto m = Models.model(graph(List.of(node("MatMul", "t", "x", "w"), node("Add", "tb", "bias", "t"),
                node("Add", "y", "r", "tb"))).build(), 13);
        ModelProto rewritten = MatMulFusion.apply(m);
        assertEquals(List.of(MatMulFusion.OP_TYPE), opTypes(rewritten));
        NodeProto f = only(rewritten, MatMulFusion.OP_TYPE);
        assertEquals(FusedConv.DOMAIN, f.getDomain());
        assertEquals(List.of("x", "w", "bias", "r"), f.getInputList());
        assertEquals(List.of("y"), f.getOutputList());
        assertOutputs(m, expected(true, true, v -> v), X, R);
    }

    @Test
    void biasAloneAndResidualAloneFuse() {
        ModelProto bias = Models.model(graph(List.of(node("MatMul", "t", "x", "w"), node("Add", "y", "t", "bias")))
                .build(), 13);
        assertEquals(List.of("x", "w", "bias"), only(MatMulFusion.apply(bias), MatMulFusion.OP_TYPE).getInputList());
        assertOutputs(bias, expected(true, false, v -> v), X, R);
        ModelProto residual = Models.model(graph(List.of(node("MatMul", "t", "x", "w"), node("Add", "y", "t", "r")))
                .build(), 13);
        assertEquals(List.of("x", "w", "", "r"),
                only(MatMulFusion.apply(residual), MatMulFusion.OP_TYPE).getInputList());
        assertOutputs(residual, expected(false, true, v -> v), X, R);
    }

    @Test
    void theGpt2MlpBecomesTwoProductsWithGeluAndResidualPostOps() {
        // fc: MatMul + bias, GELU (tanh form, written out), out: MatMul + bias + residual x
        GraphProto.Builder g = GraphProto.newBuilder().setName("mlp")
                .addInitializer(TensorProtos.fromTensor(W, "w"))
                .addInitializer(TensorProtos.fromTensor(BIAS, "bias"))
                .addInitializer(TensorProtos.fromTensor(W2, "w2"))
                .addInitializer(TensorProtos.fromTensor(BIAS2, "bias2"))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, M, K))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 2, M, K));
        for (NodeProto n : List.of(node("MatMul", "t", "x", "w"), node("Add", "h", "bias", "t"),
                constant("cubic", 0.044715f), constant("k", 0.7978846f), constant("one", 1f), constant("half", 0.5f),
                node("Mul", "hh", "h", "h"), node("Mul", "h3", "h", "hh"), node("Mul", "c", "cubic", "h3"),
                node("Add", "inner", "h", "c"), node("Mul", "arg", "k", "inner"), node("Tanh", "th", "arg"),
                node("Add", "p", "one", "th"), node("Mul", "hp", "h", "p"), node("Mul", "a", "half", "hp"),
                node("MatMul", "t2", "a", "w2"), node("Add", "o", "bias2", "t2"), node("Add", "y", "x", "o"))) {
            g.addNode(n);
        }
        ModelProto m = Models.model(g.build(), 13);
        ModelProto rewritten = InferencePasses.apply(m);
        assertEquals(List.of(MatMulFusion.OP_TYPE, MatMulFusion.OP_TYPE), opTypes(rewritten));
        NodeProto fc = rewritten.getGraph().getNode(rewritten.getGraph().getNodeCount() - 2);
        assertEquals("Gelu", attrString(fc, "activation"));
        assertEquals("tanh", attrString(fc, "approximate"));
        NodeProto out = rewritten.getGraph().getNode(rewritten.getGraph().getNodeCount() - 1);
        assertEquals(List.of("a", "w2", "bias2", "x"), out.getInputList());
        // expected: x + gelu_tanh(x @ w + bias) @ w2 + bias2
        double[] hidden = expected(true, false, MatMulFusionTest::geluTanh);
        double[] y = new double[2 * M * K];
        for (int row = 0; row < 2 * M; row++) {
            for (int j = 0; j < K; j++) {
                double s = X.getDouble(row * K + j);
                for (int k = 0; k < N; k++) {
                    s += hidden[row * N + k] * W2.getDouble(k * K + j);
                }
                y[row * K + j] = s + BIAS2.getDouble(j);
            }
        }
        assertOutputs(m, y, X);
    }

    @Test
    void onnxGeluFromOpset20IsAPostOp() {
        NodeProto gelu = node("Gelu", "y", "tb");
        ModelProto m = Models.model(graph(List.of(node("MatMul", "t", "x", "w"), node("Add", "tb", "t", "bias"),
                gelu)).build(), 20);
        NodeProto f = only(MatMulFusion.apply(m), MatMulFusion.OP_TYPE);
        assertEquals("Gelu", attrString(f, "activation"));
        assertEquals("none", attrString(f, "approximate"));
        assertOutputs(m, expected(true, false, MatMulFusionTest::gelu), X, R);
        NodeProto tanh = gelu.toBuilder().addAttribute(AttributeProto.newBuilder().setName("approximate")
                .setType(AttributeProto.AttributeType.STRING).setS(com.google.protobuf.ByteString.copyFromUtf8("tanh")))
                .build();
        ModelProto mt = Models.model(graph(List.of(node("MatMul", "t", "x", "w"), node("Add", "tb", "t", "bias"),
                tanh)).build(), 20);
        assertEquals("tanh", attrString(only(MatMulFusion.apply(mt), MatMulFusion.OP_TYPE), "approximate"));
        assertOutputs(mt, expected(true, false, MatMulFusionTest::geluTanh), X, R);
    }

    @Test
    void aResidualThatBroadcastsTakesThePlainPath() {
        // Z of shape [2, 1, 1, N] widens the result to [2, 2, M, N]
        GraphProto.Builder g = graph(List.of(node("MatMul", "t", "x", "w"), node("Add", "tb", "t", "bias"),
                node("Add", "y", "tb", "z")), 2, 2, M, N);
        g.addInput(Models.tensorInfo("z", DataType.FLOAT, 2, 1, 1, N));
        ModelProto m = Models.model(g.build(), 13);
        assertEquals(List.of("x", "w", "bias", "z"), only(MatMulFusion.apply(m), MatMulFusion.OP_TYPE).getInputList());
        Tensor z = random(7, -1, 1, 2, 1, 1, N);
        double[] base = expected(true, false, v -> v);
        double[] y = new double[2 * 2 * M * N];
        for (int i = 0; i < 2; i++) {
            for (int b = 0; b < 2; b++) {
                for (int e = 0; e < M * N; e++) {
                    y[(i * 2 + b) * M * N + e] = base[b * M * N + e] + z.getDouble(i * N + e % N);
                }
            }
        }
        assertOutputs(m, y, X, R, z);
        // a constant of one element after the product is a residual too (no bias of length N)
        GraphProto.Builder one = graph(List.of(node("MatMul", "t", "x", "w"), node("Add", "y", "t", "c")));
        one.addInitializer(TensorProtos.fromTensor(Tensor.of(new float[] {0.25f}, 1), "c"));
        ModelProto mc = Models.model(one.build(), 13);
        assertEquals(List.of("x", "w", "", "c"), only(MatMulFusion.apply(mc), MatMulFusion.OP_TYPE).getInputList());
        double[] plus = expected(false, false, v -> v + 0.25);
        assertOutputs(mc, plus, X, R);
    }

    @Test
    void chainsOthersSeeOrOfUnknownTypeStayAsTheyAre() {
        // the product is read twice
        GraphProto.Builder twice = graph(List.of(node("MatMul", "t", "x", "w"), node("Add", "tb", "t", "bias"),
                node("Add", "y", "tb", "t")));
        assertUnchanged(Models.model(twice.build(), 13));
        // B is fed, so neither its type nor N is known at prepare
        GraphProto.Builder fed = graph(List.of(node("MatMul", "t", "x", "wf"), node("Add", "y", "t", "bias")));
        fed.addInput(Models.tensorInfo("wf", DataType.FLOAT, K, N));
        assertUnchanged(Models.model(fed.build(), 13));
        // B is float64
        GraphProto.Builder dbl = GraphProto.newBuilder().setName("d")
                .addInitializer(TensorProtos.fromTensor(Tensor.of(new double[K * N], K, N), "wd"))
                .addInitializer(TensorProtos.fromTensor(Tensor.of(new double[N], N), "bd"))
                .addInput(Models.tensorInfo("x", DataType.DOUBLE, 2, M, K))
                .addOutput(Models.tensorInfo("y", DataType.DOUBLE, 2, M, N))
                .addNode(node("MatMul", "t", "x", "wd")).addNode(node("Add", "y", "t", "bd"));
        assertUnchanged(Models.model(dbl.build(), 13));
        // Add broadcast by attributes before opset 7
        assertUnchanged(Models.model(graph(List.of(node("MatMul", "t", "x", "w"), node("Add", "y", "t", "bias")))
                .build(), 6));
        // the biased product is a graph output: only MatMul + bias fuse, the residual Add stays
        GraphProto.Builder seen = graph(List.of(node("MatMul", "t", "x", "w"), node("Add", "tb", "t", "bias"),
                node("Add", "y", "tb", "r")));
        seen.addOutput(Models.tensorInfo("tb", DataType.FLOAT, 2, M, N));
        ModelProto partial = MatMulFusion.apply(Models.model(seen.build(), 13));
        assertEquals(List.of(MatMulFusion.OP_TYPE, "Add"), opTypes(partial));
        assertEquals(List.of("tb"), only(partial, MatMulFusion.OP_TYPE).getOutputList());
        assertOutputs(Models.model(seen.build(), 13), expected(true, true, v -> v), X, R);
    }

    // ------------------------------------------------------------------ attention products

    private static final int T = 5;
    private static final int H = 3;
    private static final int D = 4;

    private static NodeProto transpose(String out, String in, long... perm) {
        return PassTesting.withInts(node("Transpose", out, in), "perm", perm);
    }

    /** Scaled dot-product attention of q, k, v [2, T, H, D], as exporters write it, output [2, T, H, D]. */
    private static List<NodeProto> attention(NodeProto scale) {
        return List.of(constant("c", 2f), transpose("qt", "q", 0, 2, 1, 3), transpose("kt", "k", 0, 2, 3, 1),
                transpose("vt", "v", 0, 2, 1, 3), node("MatMul", "s", "qt", "kt"), scale,
                node("Softmax", "p", "sc"), node("MatMul", "o", "p", "vt"), transpose("y", "o", 0, 2, 1, 3));
    }

    private static GraphProto.Builder attentionGraph(List<NodeProto> nodes, DataType type) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("attention");
        for (String in : new String[] {"q", "k", "v"}) {
            g.addInput(Models.tensorInfo(in, type, 2, T, H, D));
        }
        g.addOutput(Models.tensorInfo("y", type, 2, T, H, D));
        nodes.forEach(g::addNode);
        return g;
    }

    /** softmax(q k^T * scale) v per batch and head, written back as [2, T, H, D], in double. */
    private static double[] attentionReference(Tensor q, Tensor k, Tensor v, double scale) {
        double[] y = new double[2 * T * H * D];
        for (int b = 0; b < 2; b++) {
            for (int h = 0; h < H; h++) {
                for (int i = 0; i < T; i++) {
                    double[] w = new double[T];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < T; j++) {
                        double dot = 0;
                        for (int d = 0; d < D; d++) {
                            dot += q.getDouble(((b * T + i) * H + h) * D + d) * k.getDouble(((b * T + j) * H + h) * D + d);
                        }
                        w[j] = dot * scale;
                        max = Math.max(max, w[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < T; j++) {
                        w[j] = Math.exp(w[j] - max);
                        sum += w[j];
                    }
                    for (int d = 0; d < D; d++) {
                        double o = 0;
                        for (int j = 0; j < T; j++) {
                            o += w[j] / sum * v.getDouble(((b * T + j) * H + h) * D + d);
                        }
                        y[((b * T + i) * H + h) * D + d] = o;
                    }
                }
            }
        }
        return y;
    }

    @Test
    void attentionProductsReadTheirTransposesThroughStrides() {
        Tensor q = random(11, -1, 1, 2, T, H, D);
        Tensor k = random(12, -1, 1, 2, T, H, D);
        Tensor v = random(13, -1, 1, 2, T, H, D);
        for (NodeProto scale : List.of(node("Div", "sc", "s", "c"), node("Mul", "sc", "c", "s"))) {
            ModelProto m = Models.model(attentionGraph(attention(scale), DataType.FLOAT).build(), 13);
            ModelProto rewritten = MatMulFusion.apply(m);
            assertEquals(List.of(MatMulFusion.OP_TYPE, "Softmax", MatMulFusion.OP_TYPE), opTypes(rewritten));
            NodeProto scores = rewritten.getGraph().getNodeList().stream()
                    .filter(n -> n.getOutput(0).equals("sc")).findFirst().orElseThrow();
            assertEquals(List.of("q", "k", ""), scores.getInputList());
            assertEquals(List.of(0L, 2L, 1L, 3L), ints(scores, "perm_a"));
            assertEquals(List.of(0L, 2L, 3L, 1L), ints(scores, "perm_b"));
            float alpha = GraphIndex.floatAttr(scores, "alpha", 1f);
            assertEquals(scale.getOpType().equals("Div") ? 0.5f : 2f, alpha);
            NodeProto context = rewritten.getGraph().getNodeList().stream()
                    .filter(n -> n.getOutput(0).equals("y")).findFirst().orElseThrow();
            assertEquals(List.of("p", "v", ""), context.getInputList());
            assertEquals(List.of(0L, 2L, 1L, 3L), ints(context, "perm_b"));
            assertEquals(List.of(0L, 2L, 1L, 3L), ints(context, "perm_y"));
            assertOutputs(m, attentionReference(q, k, v, alpha), q, k, v);
        }
    }

    @Test
    void transposesOfOtherTypesGoThroughMatMulsOwnKernels() {
        // int32 products: no scale, so the type is unknown at prepare; the fused node must take it as MatMul does
        List<NodeProto> nodes = List.of(transpose("qt", "q", 0, 2, 1, 3), transpose("kt", "k", 0, 2, 3, 1),
                node("MatMul", "s", "qt", "kt"), transpose("y", "s", 0, 2, 1, 3));
        GraphProto.Builder g = GraphProto.newBuilder().setName("int")
                .addInput(Models.tensorInfo("q", DataType.INT32, 2, T, H, D))
                .addInput(Models.tensorInfo("k", DataType.INT32, 2, T, H, D))
                .addOutput(Models.tensorInfo("y", DataType.INT32, 2, T, H, T));
        nodes.forEach(g::addNode);
        ModelProto m = Models.model(g.build(), 13);
        assertEquals(List.of(MatMulFusion.OP_TYPE), opTypes(MatMulFusion.apply(m)));
        int[] qv = new int[2 * T * H * D];
        int[] kv = new int[2 * T * H * D];
        for (int i = 0; i < qv.length; i++) {
            qv[i] = i % 7 - 3;
            kv[i] = i % 5 - 2;
        }
        Tensor q = Tensor.of(qv, 2, T, H, D);
        Tensor k = Tensor.of(kv, 2, T, H, D);
        // y[b, i, h, j] = sum_d q[b, i, h, d] k[b, j, h, d]
        int[] want = new int[2 * T * H * T];
        for (int b = 0; b < 2; b++) {
            for (int i = 0; i < T; i++) {
                for (int h = 0; h < H; h++) {
                    for (int j = 0; j < T; j++) {
                        int dot = 0;
                        for (int d = 0; d < D; d++) {
                            dot += qv[((b * T + i) * H + h) * D + d] * kv[((b * T + j) * H + h) * D + d];
                        }
                        want[((b * T + i) * H + h) * T + j] = dot;
                    }
                }
            }
        }
        for (var rep : List.of(dev.sonnx.runtime.backend.SingaBackend.prepare(m, dev.sonnx.runtime.cpu.CpuDevice.get()),
                dev.sonnx.runtime.backend.SingaBackend.prepare(m, dev.sonnx.runtime.cpu.CpuDevice.get(),
                        dev.sonnx.runtime.backend.SingaBackend.PrepareOptions.DEFAULTS.foldConstants(false)))) {
            Tensor y = rep.run(List.of(q, k)).get(0);
            assertEquals(DataType.INT32, y.dtype());
            org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {2, T, H, T}, y.shape());
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], y.getLong(i), "element " + i);
            }
        }
    }

    @Test
    void transposesAndScalesThatDoNotFitStayOutside() {
        Tensor q = random(11, -1, 1, 2, T, H, D);
        Tensor k = random(12, -1, 1, 2, T, H, D);
        Tensor v = random(13, -1, 1, 2, T, H, D);
        // a scale of shape [1] (it could broadcast) stays a Div; the transposes still fuse
        List<NodeProto> vectorScale = new java.util.ArrayList<>(attention(node("Div", "sc", "s", "c")));
        vectorScale.set(0, constant("c", Tensor.of(new float[] {2f}, 1)));
        ModelProto m = Models.model(attentionGraph(vectorScale, DataType.FLOAT).build(), 13);
        assertEquals(List.of(MatMulFusion.OP_TYPE, "Div", "Softmax", MatMulFusion.OP_TYPE), opTypes(MatMulFusion.apply(m)));
        assertOutputs(m, attentionReference(q, k, v, 0.5), q, k, v);
        // K's transpose read twice, V's moving the innermost axis out of the matrix, the output's moving it at all
        List<NodeProto> misfits = new java.util.ArrayList<>(attention(node("Div", "sc", "s", "c")));
        misfits.replaceAll(n -> n.getOutput(0).equals("vt") ? transpose("vt", "v", 0, 3, 1, 2)
                : n.getOutput(0).equals("y") ? transpose("y", "o", 0, 3, 1, 2) : n);
        misfits.add(node("Neg", "side", "kt"));
        GraphProto.Builder g = attentionGraph(misfits, DataType.FLOAT);
        g.setOutput(0, Models.tensorInfo("y", DataType.FLOAT, 2, T, H, T));
        g.addOutput(Models.tensorInfo("side", DataType.FLOAT, 2, H, D, T));
        ModelProto rewritten = MatMulFusion.apply(Models.model(g.build(), 13));
        NodeProto scores = rewritten.getGraph().getNodeList().stream()
                .filter(n -> n.getOutput(0).equals("sc")).findFirst().orElseThrow();
        assertEquals(List.of("q", "kt", ""), scores.getInputList());
        // Q's transpose fused; K's, V's and the output's stay
        assertEquals(List.of("Transpose", "Transpose", MatMulFusion.OP_TYPE, "Softmax", "MatMul", "Transpose", "Neg"),
                opTypes(rewritten));
    }

    private static List<Long> ints(NodeProto n, String name) {
        return n.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst().orElseThrow()
                .getIntsList();
    }

    private static void assertUnchanged(ModelProto m) {
        assertSame(m, MatMulFusion.apply(m));
    }
}
