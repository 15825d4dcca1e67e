package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.backend.passes.PassTesting.node;
import static dev.sonnx.runtime.backend.passes.PassTesting.positive;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInt;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInts;
import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.autograd.Autograd;
import dev.sonnx.runtime.autograd.Backward;
import dev.sonnx.runtime.autograd.Losses;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Layers whose parameters an exporter merged (equal values: zero biases, unit scales, the running
 * statistics of a fresh network) get their own copies for training ({@link OwnParameters}), and then
 * train as the same network written with separate initializers does.
 */
class OwnParametersTest {
    private static final int C = 4;

    /**
     * x [2, 4, 6, 6] -> Conv (bias b via Identity) -> BatchNormalization -> Relu -> Conv (bias b via
     * another Identity) -> BatchNormalization -> GlobalAveragePool -> Flatten -> Gemm, as PyTorch's
     * exporter writes a fresh network: the first normalization reads the merged scale directly and
     * the second through an Identity, both read the running statistics through Identity nodes;
     * {@code merged} false writes every parameter as its own initializer instead (the reference).
     */
    static ModelProto network(boolean merged) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("merged");
        String[] bias;
        String[][] bn;
        if (merged) {
            g.addNode(node("Identity", "b_1", "b")).addNode(node("Identity", "b_2", "b"))
                    .addNode(node("Identity", "m_1", "m")).addNode(node("Identity", "m_2", "m"))
                    .addNode(node("Identity", "v_1", "v")).addNode(node("Identity", "v_2", "v"))
                    .addNode(node("Identity", "s_2", "s"));
            bias = new String[] {"b_1", "b_2"};
            bn = new String[][] {{"s", "o1", "m_1", "v_1"}, {"s_2", "o2", "m_2", "v_2"}};
        } else {
            bias = new String[] {"b1", "b2"};
            bn = new String[][] {{"s1", "o1", "m1", "v1"}, {"s2", "o2", "m2", "v2"}};
        }
        g.addNode(withInts(node("Conv", "c1", "x", "w1", bias[0]), "pads", 1, 1, 1, 1))
                .addNode(node("BatchNormalization", "n1", "c1", bn[0][0], bn[0][1], bn[0][2], bn[0][3]))
                .addNode(node("Relu", "r1", "n1"))
                .addNode(withInts(node("Conv", "c2", "r1", "w2", bias[1]), "pads", 1, 1, 1, 1))
                .addNode(node("BatchNormalization", "n2", "c2", bn[1][0], bn[1][1], bn[1][2], bn[1][3]))
                .addNode(node("GlobalAveragePool", "gap", "n2"))
                .addNode(node("Flatten", "f", "gap"))
                .addNode(withInt(node("Gemm", "y", "f", "wf"), "transB", 1))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, C, 6, 6))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 2, 3));
        Tensor zeros = Tensor.zeros(DataType.FLOAT, C);
        Tensor ones = Tensor.zeros(DataType.FLOAT, C);
        for (int i = 0; i < C; i++) {
            ones.setFloat(i, 1);
        }
        Object[][] shared = merged
                ? new Object[][] {{"b", zeros}, {"s", ones}, {"m", zeros}, {"v", ones}}
                : new Object[][] {{"b1", zeros}, {"b2", zeros}, {"s1", ones}, {"s2", ones}, {"m1", zeros},
                    {"m2", zeros}, {"v1", ones}, {"v2", ones}};
        for (Object[] i : shared) {
            g.addInitializer(TensorProtos.fromTensor((Tensor) i[1], (String) i[0]));
        }
        Object[][] own = {{"w1", random(1, C, C, 3, 3)}, {"w2", random(2, C, C, 3, 3)}, {"o1", random(3, C)},
            {"o2", random(4, C)}, {"wf", random(5, 3, C)}};
        for (Object[] i : own) {
            g.addInitializer(TensorProtos.fromTensor((Tensor) i[1], (String) i[0]));
        }
        return Models.model(g.build(), 13);
    }

    @Test
    void mergedInputsOfConvolutionsAndNormalizationsBecomeTheirOwn() {
        ModelProto m = network(true);
        ModelProto s = OwnParameters.separate(m);
        assertEquals(m.getGraph().getNodeCount(), s.getGraph().getNodeCount(), "cuts count the nodes");
        Map<String, TensorProto> inits = new java.util.HashMap<>();
        s.getGraph().getInitializerList().forEach(t -> inits.put(t.getName(), t));
        Set<String> seen = new HashSet<>();
        for (NodeProto n : s.getGraph().getNodeList()) {
            int last = n.getOpType().equals("Conv") ? 2 : n.getOpType().equals("BatchNormalization") ? 4 : 0;
            for (int i = 1; i <= last; i++) {
                String in = n.getInput(i);
                assertTrue(inits.containsKey(in), n.getName() + " input " + i + " '" + in + "' is no initializer");
                assertTrue(seen.add(in), in + " is read by two layers");
            }
        }
        // n1 reads the merged scale directly and keeps it; n2 read it through an Identity and gets a copy
        NodeProto n1 = s.getGraph().getNodeList().stream().filter(n -> n.getOutput(0).equals("n1")).findFirst()
                .orElseThrow();
        NodeProto n2 = s.getGraph().getNodeList().stream().filter(n -> n.getOutput(0).equals("n2")).findFirst()
                .orElseThrow();
        assertEquals("s", n1.getInput(1));
        assertEquals("n2::scale", n2.getInput(1));
        assertEquals(TensorProtos.toTensor(inits.get("s")).toFloatArray()[0],
                TensorProtos.toTensor(inits.get("n2::scale")).toFloatArray()[0]);
        assertEquals("n1::input_mean", n1.getInput(3));
        // the weights of a Gemm stay as they are, and so does a model without merged inputs
        assertEquals("wf", s.getGraph().getNode(s.getGraph().getNodeCount() - 1).getInput(1));
        ModelProto separate = network(false);
        assertSame(separate, OwnParameters.separate(separate));
    }

    /** One initializer read by two convolutions directly is one layer applied twice (siamese): it stays shared. */
    @Test
    void aLayerAppliedTwiceKeepsItsParameters() {
        GraphProto g = GraphProto.newBuilder().setName("siamese")
                .addNode(node("Conv", "a", "x1", "w", "b"))
                .addNode(node("Conv", "b2", "x2", "w", "b"))
                .addNode(node("Add", "y", "a", "b2"))
                .addInput(Models.tensorInfo("x1", DataType.FLOAT, 1, C, 3, 3))
                .addInput(Models.tensorInfo("x2", DataType.FLOAT, 1, C, 3, 3))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 1, C, 3, 3))
                .addInitializer(TensorProtos.fromTensor(random(1, C, C, 1, 1), "w"))
                .addInitializer(TensorProtos.fromTensor(random(2, C), "b"))
                .build();
        ModelProto m = Models.model(g, 13);
        assertSame(m, OwnParameters.separate(m));
    }

    /**
     * One recorded training run of {@code m}: the loss, and for each initializer named in {@code keys}
     * (mapped to the reference network's name) its gradient ("d" + name), or for a running statistic
     * (m*, v*) its value after the update.
     */
    private static Map<String, float[]> trainOnce(ModelProto m, Map<String, String> keys) {
        SingaRep rep = SingaBackend.prepare(m, CpuDevice.get(), SingaBackend.PrepareOptions.DEFAULTS
                .variables(SingaRep.floatInitializers(m)));
        Map<String, float[]> r = new java.util.TreeMap<>();
        try (Autograd.Session s = Autograd.record(true, CpuDevice.get(), new SplittableRandom(0))) {
            Tensor y = rep.runValues(List.of(random(9, 2, C, 6, 6)), -1, true, s.tape(), s.random()).get(0).asTensor();
            Tensor loss = Losses.softmaxCrossEntropy(y, Tensor.of(new long[] {1, 2}, 2));
            r.put("loss", new float[] {loss.getFloat(0)});
            List<Tensor> params = keys.keySet().stream().map(rep::initializer).toList();
            Map<Tensor, Tensor> g = Backward.gradients(s.tape(), loss, params);
            int i = 0;
            for (String key : keys.values()) {
                Tensor p = params.get(i++);
                boolean statistic = key.startsWith("m") || key.startsWith("v");
                r.put(statistic ? key : "d" + key, statistic ? p.toFloatArray() : g.get(p).toFloatArray());
            }
        }
        return r;
    }

    @Test
    void mergedParametersTrainAsSeparateOnes() {
        Map<String, String> separated = new java.util.LinkedHashMap<>();
        for (int layer = 1; layer <= 2; layer++) {
            separated.put("c" + layer + "::B", "b" + layer);
            separated.put(layer == 1 ? "s" : "n2::scale", "s" + layer);
            separated.put("n" + layer + "::input_mean", "m" + layer);
            separated.put("n" + layer + "::input_var", "v" + layer);
        }
        Map<String, String> reference = new java.util.LinkedHashMap<>();
        separated.values().forEach(v -> reference.put(v, v));
        Map<String, float[]> expected = trainOnce(network(false), reference);
        Map<String, float[]> actual = trainOnce(network(true), separated);
        assertEquals(expected.keySet(), actual.keySet());
        for (String k : expected.keySet()) {
            float[] e = expected.get(k);
            float[] a = actual.get(k);
            for (int i = 0; i < e.length; i++) {
                assertEquals(e[i], a[i], 1e-5 * (1 + Math.abs(e[i])), k + "[" + i + "]");
            }
        }
        // the two layers' statistics moved apart: they were not one tensor
        assertNotEquals(actual.get("m1")[0], actual.get("m2")[0]);
    }
}
