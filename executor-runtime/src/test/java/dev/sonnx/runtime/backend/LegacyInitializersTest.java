package dev.sonnx.runtime.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.conformance.ValueComparator;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.OrtReference;
import dev.sonnx.runtime.testing.TestTensors;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** IR version 3's weights, listed among the graph inputs as that IR required, are constants at prepare. */
class LegacyInitializersTest {
    /** Conv + BatchNormalization + Relu whose five weights are initializers and graph inputs both. */
    private static ModelProto convBnRelu(long irVersion) {
        List<TensorProto> weights = List.of(
                TensorProtos.fromTensor(TestTensors.random(1, 4, 3, 3, 3), "w"),
                TensorProtos.fromTensor(TestTensors.random(2, 4), "b"),
                TensorProtos.fromTensor(TestTensors.positive(3, 4), "scale"),
                TensorProtos.fromTensor(TestTensors.random(4, 4), "shift"),
                TensorProtos.fromTensor(TestTensors.random(5, 4), "mean"),
                TensorProtos.fromTensor(TestTensors.positive(6, 4), "var"));
        GraphProto.Builder g = GraphProto.newBuilder().setName("legacy")
                .addNode(Models.node("Conv", "conv", new String[] {"x", "w", "b"}, new String[] {"c"}))
                .addNode(Models.node("BatchNormalization", "bn", new String[] {"c", "scale", "shift", "mean", "var"},
                        new String[] {"n"}))
                .addNode(Models.node("Relu", "relu", new String[] {"n"}, new String[] {"y"}))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, 3, 8, 8))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 2, 4, 6, 6));
        for (TensorProto t : weights) {
            g.addInitializer(t);
            g.addInput(Models.tensorInfo(t.getName(), DataType.FLOAT,
                    t.getDimsList().stream().mapToInt(Long::intValue).toArray()));
        }
        return Models.model(g.build(), 7).toBuilder().setIrVersion(irVersion).build();
    }

    @Test
    void irThreeWeightsAreFoldedAndFusedLikeConstants() {
        Tensor x = TestTensors.random(7, 2, 3, 8, 8);
        ModelProto m = convBnRelu(3);
        SingaRep rep = SingaBackend.prepare(m, CpuDevice.get());
        assertEquals(List.of("x"), rep.inputNames());
        List<String> ops = rep.plannedOperators();
        assertTrue(!ops.contains("BatchNormalization") && !ops.contains("Relu"), "IR 3 plan: " + ops);
        List<Tensor> ort = OrtReference.run(m, List.of("x"), List.of(x));
        assertNull(ValueComparator.difference(rep.run(List.of(x)).get(0), ort.get(0), Tolerance.ZOO));
    }

    @Test
    void fromIrFourAnInitializerThatIsAnInputStaysAFeedWithADefault() {
        Tensor x = TestTensors.random(7, 2, 3, 8, 8);
        ModelProto m = convBnRelu(4);
        SingaRep rep = SingaBackend.prepare(m, CpuDevice.get());
        List<String> ops = rep.plannedOperators();
        assertTrue(ops.contains("BatchNormalization"), "IR 4 plan, where a run may replace the weights: " + ops);
        // the defaults, then a run that replaces the scale: ONNX Runtime agrees on both
        List<Tensor> ort = OrtReference.run(m, List.of("x"), List.of(x));
        assertNull(ValueComparator.difference(rep.run(List.of(x)).get(0), ort.get(0), Tolerance.ZOO));
        Tensor scale = TestTensors.positive(8, 4);
        Tensor replaced = (Tensor) rep.run(Map.of("x", x, "scale", scale)).get("y");
        // ONNX Runtime's Java API feeds no initializer: its reference reads scale as a plain input
        ModelProto scaleFed = m.toBuilder().setGraph(m.getGraph().toBuilder().clearInitializer()
                .addAllInitializer(m.getGraph().getInitializerList().stream()
                        .filter(t -> !t.getName().equals("scale")).toList())).build();
        List<Tensor> ortReplaced = OrtReference.run(scaleFed, List.of("x", "scale"), List.of(x, scale));
        assertNull(ValueComparator.difference(replaced, ortReplaced.get(0), Tolerance.ZOO));
    }

    @Test
    void irThreeRefusesAFeedForAWeightByName() {
        SingaRep rep = SingaBackend.prepare(convBnRelu(3), CpuDevice.get());
        SonnxException e = assertThrows(SonnxException.class,
                () -> rep.run(Map.of("x", TestTensors.random(7, 2, 3, 8, 8), "scale", TestTensors.positive(8, 4))));
        assertTrue(e.getMessage().contains("scale"), e.getMessage());
    }
}
