package dev.sonnx.runtime.backend.passes;

import static dev.sonnx.runtime.backend.passes.PassTesting.node;
import static dev.sonnx.runtime.backend.passes.PassTesting.opTypes;
import static dev.sonnx.runtime.backend.passes.PassTesting.positive;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInt;
import static dev.sonnx.runtime.backend.passes.PassTesting.withInts;
import static dev.sonnx.runtime.testing.TestTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import dev.sonnx.runtime.ops.conv.FusedConv;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import dev.sonnx.runtime.testing.Models;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The training plans' channels-last regions ({@link TrainingPasses}): which nodes they rewrite, and
 * that a recorded training run through them gives the gradients and running statistics of the
 * model's own operators in the plain layout, and of central differences.
 */
class ChannelsLastTrainingTest {
    private static final int BATCH = 4;
    private static final int CLASSES = 5;
    /** The batch normalizations' running statistics: updated by training runs, never trained. */
    private static final List<String> STATISTICS = List.of("m1", "v1", "m2", "v2");

    /**
     * x [4, 3, 12, 12]: Conv (bias) -> BatchNormalization -> Relu -> MaxPool -> Conv -> BatchNormalization
     * -> Clip -> Add (the pool's output) -> depthwise Conv (bias) -> GlobalAveragePool -> Flatten -> Gemm.
     * (The first bias gets a zero gradient: the normalization after it takes out every constant.)
     */
    static ModelProto network() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("train")
                .addNode(withInts(node("Conv", "c1", "x", "w1", "b1"), "pads", 1, 1, 1, 1))
                .addNode(PassTesting.withFloat(node("BatchNormalization", "n1", "c1", "s1", "o1", "m1", "v1"),
                        "momentum", 0.8f))
                .addNode(node("Relu", "r1", "n1"))
                .addNode(withInts(withInts(node("MaxPool", "p", "r1"), "kernel_shape", 2, 2), "strides", 2, 2))
                .addNode(withInts(node("Conv", "c2", "p", "w2"), "pads", 1, 1, 1, 1))
                .addNode(node("BatchNormalization", "n2", "c2", "s2", "o2", "m2", "v2"))
                .addNode(node("Clip", "k2", "n2", "lo", "hi"))
                .addNode(node("Add", "a", "k2", "p"))
                .addNode(withInt(withInts(node("Conv", "c3", "a", "w3", "b3"), "pads", 1, 1, 1, 1), "group", 8))
                .addNode(node("GlobalAveragePool", "gap", "c3"))
                .addNode(node("Flatten", "f", "gap"))
                .addNode(withInt(node("Gemm", "y", "f", "wf", "bf"), "transB", 1))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, BATCH, 3, 12, 12))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, BATCH, CLASSES));
        Object[][] initializers = {
            {"w1", random(1, 8, 3, 3, 3)}, {"b1", random(2, 8)},
            {"s1", positive(3, 8)}, {"o1", random(4, 8)}, {"m1", random(5, 8)}, {"v1", positive(6, 8)},
            {"w2", random(7, 8, 8, 3, 3)},
            {"s2", positive(8, 8)}, {"o2", random(9, 8)}, {"m2", random(10, 8)}, {"v2", positive(11, 8)},
            {"lo", Tensor.scalar(DataType.FLOAT, 0)}, {"hi", Tensor.scalar(DataType.FLOAT, 1.5)},
            {"w3", random(12, 8, 1, 3, 3)}, {"b3", random(15, 8)}, {"wf", random(13, CLASSES, 8)}, {"bf", random(14, CLASSES)},
        };
        for (Object[] i : initializers) {
            g.addInitializer(TensorProtos.fromTensor((Tensor) i[1], (String) i[0]));
        }
        return Models.model(g.build(), 13);
    }

    /**
     * x [3, 5, 9, 9] (odd channel counts and sizes): a strided Conv -> BatchNormalization -> Relu,
     * read by a dilated Conv and a 1 x 1 Conv with bias, joined by Concat, then Sigmoid, an
     * overlapping MaxPool (3 x 3, stride 1: gradients add up), GlobalAveragePool, Flatten, Gemm.
     */
    static ModelProto branches() {
        GraphProto.Builder g = GraphProto.newBuilder().setName("branches")
                .addNode(withInts(withInts(node("Conv", "c1", "x", "wa"), "pads", 1, 1, 1, 1), "strides", 2, 2))
                .addNode(node("BatchNormalization", "n1", "c1", "s1", "o1", "m1", "v1"))
                .addNode(node("Relu", "r1", "n1"))
                .addNode(withInts(withInts(node("Conv", "c2", "r1", "wb"), "pads", 2, 2, 2, 2), "dilations", 2, 2))
                .addNode(node("Conv", "c3", "r1", "wc", "bc"))
                .addNode(withInt(node("Concat", "cat", "c2", "c3"), "axis", 1))
                .addNode(node("Sigmoid", "sg", "cat"))
                .addNode(withInts(withInts(withInts(node("MaxPool", "mp", "sg"), "kernel_shape", 3, 3),
                        "strides", 1, 1), "pads", 1, 1, 1, 1))
                .addNode(node("GlobalAveragePool", "gap", "mp"))
                .addNode(node("Flatten", "f", "gap"))
                .addNode(withInt(node("Gemm", "y", "f", "wf"), "transB", 1))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 3, 5, 9, 9))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 3, 4));
        Object[][] initializers = {
            {"wa", random(31, 6, 5, 3, 3)},
            {"s1", positive(32, 6)}, {"o1", random(33, 6)}, {"m1", random(34, 6)}, {"v1", positive(35, 6)},
            {"wb", random(36, 4, 6, 3, 3)}, {"wc", random(37, 3, 6, 1, 1)}, {"bc", random(38, 3)},
            {"wf", random(39, 4, 7)},
        };
        for (Object[] i : initializers) {
            g.addInitializer(TensorProtos.fromTensor((Tensor) i[1], (String) i[0]));
        }
        return Models.model(g.build(), 13);
    }

    private static SingaRep prepare(ModelProto m, boolean channelsLast) {
        return SingaBackend.prepare(m, CpuDevice.get(), SingaBackend.PrepareOptions.DEFAULTS
                .variables(SingaRep.floatInitializers(m)).trainingLayouts(channelsLast));
    }

    private static Tensor images() {
        return random(21, BATCH, 3, 12, 12);
    }

    private static Tensor labels() {
        return Tensor.of(new long[] {0, 3, 1, 4}, BATCH);
    }

    @Test
    void theRewriteKeepsEveryInitializerAndFusesOnlyTheReluIntoItsNormalization() {
        ModelProto m = network();
        ModelProto r = TrainingPasses.apply(m);
        assertEquals(List.of("ToChannelsLast", "FusedConv", "NhwcBatchNormalization", "NhwcMaxPool",
                "FusedConv", "NhwcBatchNormalization", "Clip", "Add", "FusedConv", "NhwcGlobalAveragePool",
                "ToChannelsFirst", "Flatten", "Gemm"), opTypes(r));
        // training updates the initializers by name: none is renamed, reshaped or added
        assertEquals(m.getGraph().getInitializerList(), r.getGraph().getInitializerList());
        List<String> activations = new ArrayList<>();
        List<Float> momenta = new ArrayList<>();
        for (NodeProto n : r.getGraph().getNodeList()) {
            if (n.getOpType().equals("ToChannelsLast")) {
                assertTrue(n.getAttributeList().isEmpty(), "the stem's reorder writes a border");
            }
            if (n.getOpType().equals("FusedConv")) {
                assertEquals(null, PassTesting.attrString(n, FusedConv.ACTIVATION), n.getName() + " fuses an activation");
            }
            if (n.getOpType().equals("NhwcBatchNormalization")) {
                activations.add(java.util.Objects.toString(PassTesting.attrString(n, FusedConv.ACTIVATION), ""));
                momenta.add(n.getAttributeList().stream().filter(a -> a.getName().equals("momentum"))
                        .findFirst().orElseThrow().getF());
            }
        }
        assertEquals(List.of("Relu", ""), activations);
        assertEquals(List.of(0.8f, 0.9f), momenta);
    }

    /** The loss and the gradients of every trainable initializer after one recorded training run, then the statistics. */
    private record Step(double loss, Map<String, float[]> gradients, Map<String, float[]> statistics) {
    }

    private static Step step(SingaRep rep, Tensor x) {
        return step(rep, x, true);
    }

    private static Step step(SingaRep rep, Tensor x, boolean training) {
        return step(rep, x, labels(), STATISTICS, training);
    }

    /**
     * The same in training mode (batch statistics) or evaluation mode (running statistics, unchanged),
     * for these labels, reading back these statistics.
     */
    private static Step step(SingaRep rep, Tensor x, Tensor labels, List<String> statistics, boolean training) {
        List<String> names = rep.trainableInitializers();
        List<Tensor> params = names.stream().map(rep::initializer).toList();
        Map<String, float[]> grads = new java.util.LinkedHashMap<>();
        double loss;
        try (Autograd.Session s = Autograd.record(training, CpuDevice.get(), new SplittableRandom(0))) {
            Tensor y = rep.runValues(List.of(x), -1, training, s.tape(), s.random()).get(0).asTensor();
            Tensor l = Losses.softmaxCrossEntropy(y, labels);
            loss = l.getDouble(0);
            Map<Tensor, Tensor> g = Backward.gradients(s.tape(), l, params);
            for (int i = 0; i < names.size(); i++) {
                grads.put(names.get(i), g.get(params.get(i)).toFloatArray());
            }
        }
        Map<String, float[]> stats = new java.util.LinkedHashMap<>();
        for (String n : statistics) {
            stats.put(n, rep.initializer(n).toFloatArray());
        }
        return new Step(loss, grads, stats);
    }

    @Test
    void gradientsAndRunningStatisticsMatchThePlainLayout() {
        ModelProto m = network();
        Step plain = step(prepare(m, false), images());
        Step last = step(prepare(m, true), images());
        assertEquals(List.of("w1", "b1", "s1", "o1", "w2", "s2", "o2", "w3", "b3", "wf", "bf"),
                List.copyOf(last.gradients().keySet()));
        assertEquals(plain.loss(), last.loss(), 1e-5 * Math.abs(plain.loss()));
        for (String name : plain.gradients().keySet()) {
            assertClose(plain.gradients().get(name), last.gradients().get(name), "gradient of " + name);
        }
        for (String name : STATISTICS) {
            assertClose(plain.statistics().get(name), last.statistics().get(name), "running statistic " + name);
        }
        // and the statistics did move: the runs were training runs
        float[] initial = TensorProtos.toTensor(m.getGraph().getInitializerList().stream()
                .filter(t -> t.getName().equals("m1")).findFirst().orElseThrow()).toFloatArray();
        assertNotEquals(initial[0], last.statistics().get("m1")[0]);
    }

    /** Evaluation mode: the normalizations (and the ReLU fused into one) take the running statistics' paths. */
    @Test
    void evaluationModeGradientsMatchThePlainLayout() {
        ModelProto m = network();
        Step plain = step(prepare(m, false), images(), false);
        Step last = step(prepare(m, true), images(), false);
        assertEquals(plain.loss(), last.loss(), 1e-5 * Math.abs(plain.loss()));
        for (String name : plain.gradients().keySet()) {
            assertClose(plain.gradients().get(name), last.gradients().get(name), "gradient of " + name);
        }
    }

    /** Strides, dilations, odd channel counts, a Concat of two branches and overlapping pool windows. */
    @Test
    void branchesTrainAsInThePlainLayout() {
        ModelProto m = branches();
        assertEquals(List.of("ToChannelsLast", "FusedConv", "NhwcBatchNormalization", "FusedConv", "FusedConv",
                "Concat", "Sigmoid", "NhwcMaxPool", "NhwcGlobalAveragePool", "ToChannelsFirst", "Flatten", "Gemm"),
                opTypes(TrainingPasses.apply(m)));
        Tensor x = random(40, 3, 5, 9, 9);
        Tensor labels = Tensor.of(new long[] {2, 0, 3}, 3);
        List<String> stats = List.of("m1", "v1");
        Step plain = step(prepare(m, false), x, labels, stats, true);
        Step last = step(prepare(m, true), x, labels, stats, true);
        assertEquals(List.of("wa", "s1", "o1", "wb", "wc", "bc", "wf"), List.copyOf(last.gradients().keySet()));
        assertEquals(plain.loss(), last.loss(), 1e-5 * Math.abs(plain.loss()));
        for (String name : plain.gradients().keySet()) {
            assertClose(plain.gradients().get(name), last.gradients().get(name), "gradient of " + name);
        }
        for (String name : stats) {
            assertClose(plain.statistics().get(name), last.statistics().get(name), "running statistic " + name);
        }
    }

    /** Central differences of the loss (training mode: batch statistics) on the largest gradients of two weights. */
    @Test
    void gradientsMatchCentralDifferences() {
        SingaRep rep = prepare(network(), true);
        Tensor x = images();
        Step s = step(rep, x);
        for (String name : List.of("w1", "w2", "w3", "s2")) {
            float[] g = s.gradients().get(name);
            int at = 0;
            for (int i = 1; i < g.length; i++) {
                at = Math.abs(g[i]) > Math.abs(g[at]) ? i : at;
            }
            Tensor w = rep.initializer(name);
            float orig = w.getFloat(at);
            float h = 2e-3f;
            w.setFloat(at, orig + h);
            double up = loss(rep, x);
            w.setFloat(at, orig - h);
            double down = loss(rep, x);
            w.setFloat(at, orig);
            double numeric = (up - down) / (2 * h);
            assertEquals(numeric, g[at], 0.03 * Math.abs(numeric) + 1e-4, name + "[" + at + "]");
        }
    }

    private static double loss(SingaRep rep, Tensor x) {
        try (Autograd.Session s = Autograd.noRecording(true, CpuDevice.get())) {
            Tensor y = rep.runValues(List.of(x), -1, true, null, s.random()).get(0).asTensor();
            return Losses.softmaxCrossEntropy(y, labels()).getDouble(0);
        }
    }

    /**
     * A recorded run cut inside a region (SINGA's {@code lastLayers}) takes the model's own operators,
     * on the weights and statistics the rewritten plan trains.
     */
    @Test
    void aCutInsideARegionSharesTheTrainedValues() {
        ModelProto m = network();
        SingaRep rep = prepare(m, true);
        SingaRep plain = prepare(m, false);
        Tensor w1 = rep.initializer("w1");
        w1.setFloat(0, w1.getFloat(0) + 0.5f);
        plain.initializer("w1").setFloat(0, w1.getFloat(0));
        for (SingaRep r : List.of(rep, plain)) {
            try (Autograd.Session s = Autograd.record(true, CpuDevice.get(), new SplittableRandom(0))) {
                // keep 3 nodes: Conv, BatchNormalization, Relu
                Value out = r.runValues(List.of(images()), 3, true, s.tape(), s.random()).get(0);
                assertNotNull(out);
                Tensor sum = out.asTensor();
                Map<Tensor, Tensor> g = Backward.gradients(s.tape(), sum, List.of(r.initializer("w1")));
                assertNotNull(g.get(r.initializer("w1")), "no gradient reaches w1");
            }
        }
        assertClose(plain.initializer("m1").toFloatArray(), rep.initializer("m1").toFloatArray(),
                "running mean after the cut run");
        assertClose(plain.initializer("w1").toFloatArray(), rep.initializer("w1").toFloatArray(), "w1");
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        float scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= 1e-4 * scale + 1e-6, what + "[" + i + "]: " + actual[i]
                    + ", expected " + expected[i]);
        }
    }
}
