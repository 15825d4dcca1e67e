package dev.sonnx.runtime.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.conformance.ValueComparator;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.Attrs;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.AttributeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.GraphProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.NodeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.Models;
import dev.sonnx.runtime.testing.OrtReference;
import dev.sonnx.runtime.testing.SharedData;
import dev.sonnx.runtime.testing.TestTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Export to and from the opsets before 11, where operators changed form (Clip, Pad, Slice, TopK,
 * Upsample / Resize, BatchNormalization's spatial, pooling attributes) and IR 3 lists each
 * initializer among the graph inputs; ONNX Runtime, which checks each node against its opset's
 * schema, runs every exported model and is the reference for its outputs.
 */
class LegacyOpsetExportTest {
    private static final Tensor X = TestTensors.random(11, 2, 3, 8, 8);

    /**
     * An opset-8, IR-3 model (its weights graph inputs too) with the legacy forms: Clip's bounds, Pad's
     * pads and value, Slice's starts, ends and axes, Upsample-7's scales and TopK's k as attributes,
     * and BatchNormalization's spatial.
     */
    private static ModelProto legacyModel() {
        List<TensorProto> weights = List.of(
                TensorProtos.fromTensor(TestTensors.positive(1, 3), "scale"), TensorProtos.fromTensor(TestTensors.random(2, 3), "shift"),
                TensorProtos.fromTensor(TestTensors.random(3, 3), "mean"), TensorProtos.fromTensor(TestTensors.positive(4, 3), "var"));
        GraphProto.Builder g = GraphProto.newBuilder().setName("legacy")
                .addNode(node("Clip", "x", "c", Attrs.of("min", -0.5f), Attrs.of("max", 0.7f)))
                .addNode(node("Pad", "c", "p", Attrs.ints("pads", 0, 0, 1, 2, 0, 0, 2, 1), Attrs.of("value", 0.25f)))
                .addNode(node("Slice", "p", "s", Attrs.ints("starts", 1, 2), Attrs.ints("ends", 10, 11),
                        Attrs.ints("axes", 2, 3)))
                .addNode(Models.node("BatchNormalization", "bn", new String[] {"s", "scale", "shift", "mean", "var"},
                        new String[] {"b"}).toBuilder().addAttribute(Attrs.of("spatial", 1L)).build())
                .addNode(node("Upsample", "b", "u", Attrs.floats("scales", 1, 1, 2, 2), Attrs.of("mode", "nearest")))
                .addNode(node("MaxPool", "u", "m", Attrs.ints("kernel_shape", 2, 2), Attrs.ints("strides", 2, 2)))
                .addNode(node("Flatten", "m", "f"))
                .addNode(Models.node("TopK", "topk", new String[] {"f"}, new String[] {"v", "i"}).toBuilder()
                        .addAttribute(Attrs.of("k", 5L)).build())
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, 3, 8, 8))
                .addOutput(Models.tensorInfo("v", DataType.FLOAT, 2, 5))
                .addOutput(Models.tensorInfo("m", DataType.FLOAT, 2, 3, 9, 9));
        for (TensorProto t : weights) {
            g.addInitializer(t).addInput(Models.tensorInfo(t.getName(), DataType.FLOAT, 3));
        }
        return Models.model(g.build(), 8).toBuilder().setIrVersion(3).build();
    }

    private static NodeProto node(String op, String in, String out, AttributeProto... attrs) {
        return Models.node(op, op.toLowerCase(), new String[] {in}, new String[] {out}).toBuilder()
                .addAllAttribute(List.of(attrs)).build();
    }

    private static ModelProto export(ModelProto m, int opset) {
        ModelProto exported = SingaFrontend.toOnnx(SingaBackend.prepare(m, CpuDevice.get()), opset);
        return ModelIO.parse(exported.toByteArray());
    }

    /** ONNX Runtime's outputs of {@code exported} and sonnx's of it are {@code expected}. */
    private static void assertRunsAs(ModelProto exported, List<Tensor> expected, String label) {
        List<Tensor> ort = OrtReference.run(exported, List.of("x"), List.of(X));
        List<Tensor> ours = SingaBackend.prepare(exported, CpuDevice.get()).run(List.of(X));
        for (int o = 0; o < expected.size(); o++) {
            assertNull(ValueComparator.difference(ort.get(o), expected.get(o), Tolerance.ZOO), label + " in ONNX Runtime, output " + o);
            assertNull(ValueComparator.difference(ours.get(o), expected.get(o), Tolerance.ZOO), label + " in sonnx, output " + o);
        }
    }

    private static long irVersionOf(int opset) {
        return SingaFrontend.irVersionFor(opset);
    }

    @ParameterizedTest
    @ValueSource(ints = {7, 9, 10, 11, 12, 13, 17, 21})
    void legacyFormsConvertUpAndBackDown(int opset) {
        ModelProto original = legacyModel();
        List<Tensor> expected = OrtReference.run(original, List.of("x"), List.of(X));
        ModelProto up = export(original, opset);
        assertEquals(irVersionOf(opset), up.getIrVersion());
        assertRunsAs(up, expected, "opset 8 -> " + opset);
        ModelProto down = export(up, 8);
        assertRunsAs(down, expected, "opset 8 -> " + opset + " -> 8");
        if (opset >= 11) {
            NodeProto clip = up.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("Clip")).findFirst()
                    .orElseThrow();
            assertEquals(3, clip.getInputCount(), "Clip's bounds are inputs from opset 11");
            assertTrue(up.getGraph().getNodeList().stream().anyMatch(n -> n.getOpType().equals("Resize")));
        }
    }

    /** The IR that opsets 7 and 8 go with requires every initializer to be a graph input too. */
    @ParameterizedTest
    @ValueSource(ints = {7, 8})
    void irThreeExportsListEveryInitializerAsAGraphInput(int opset) throws IOException {
        Path dir = SharedData.zoo("resnet18");
        SingaRep rep = SingaBackend.prepare(ModelIO.load(dir.resolve("model.onnx")), CpuDevice.get());
        ModelProto exported = ModelIO.parse(SingaFrontend.toOnnx(rep, opset).toByteArray());
        assertEquals(3, exported.getIrVersion());
        Map<String, ValueInfoProto> inputs = new HashMap<>();
        exported.getGraph().getInputList().forEach(v -> inputs.put(v.getName(), v));
        assertEquals(rep.inputNames().get(0), exported.getGraph().getInput(0).getName(), "the feed comes first");
        for (TensorProto t : exported.getGraph().getInitializerList()) {
            ValueInfoProto v = inputs.get(t.getName());
            assertTrue(v != null, "initializer '" + t.getName() + "' is no graph input");
            assertEquals(t.getDataType(), v.getType().getTensorType().getElemType(), t.getName());
            assertEquals(t.getDimsList(), v.getType().getTensorType().getShape().getDimList().stream()
                    .map(d -> d.getDimValue()).toList(), t.getName());
        }
        Tensor input = TensorProtos.toTensor(TensorProto.parseFrom(
                Files.readAllBytes(dir.resolve("test_data_set_0").resolve("input_0.pb"))));
        Tensor expected = TensorProtos.toTensor(TensorProto.parseFrom(
                Files.readAllBytes(dir.resolve("test_data_set_0").resolve("output_0.pb"))));
        Tensor ort = OrtReference.run(exported, rep.inputNames(), List.of(input)).get(0);
        assertNull(ValueComparator.difference(ort, expected, Tolerance.ZOO), "ONNX Runtime");
        Tensor reloaded = SingaBackend.prepare(exported, CpuDevice.get()).run(List.of(input)).get(0);
        assertNull(ValueComparator.difference(reloaded, expected, Tolerance.ZOO), "sonnx");
    }

    @Test
    void formsAnOlderOpsetCannotSayAreRefusedByNode() {
        // Resize with half-pixel coordinates (what bilinear interpolation exports) has no Upsample form
        GraphProto g = GraphProto.newBuilder().setName("halfpixel")
                .addNode(Models.node("Resize", "up", new String[] {"x", "", "scales"}, new String[] {"y"}).toBuilder()
                        .addAttribute(Attrs.of("mode", "linear")).build())
                .addInitializer(TensorProtos.fromTensor(Tensor.of(new float[] {1, 1, 2, 2}, 4), "scales"))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, 3, 8, 8))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 2, 3, 16, 16)).build();
        ModelProto m = Models.model(g, 13);
        SonnxException e = assertThrows(SonnxException.class, () -> export(m, 9));
        assertTrue(e.getMessage().contains("'up' (Resize) at opset 9") && e.getMessage().contains("asymmetric"),
                e.getMessage());
        // at opset 11 the same node needs its roi as an (empty) input, which ONNX Runtime checks
        List<Tensor> expected = OrtReference.run(m, List.of("x"), List.of(X));
        assertRunsAs(export(m, 11), expected, "Resize 13 -> 11");

        // MaxPool's ceil_mode=1 did not exist before opset 10
        GraphProto pool = GraphProto.newBuilder().setName("ceil")
                .addNode(node("MaxPool", "x", "y", Attrs.ints("kernel_shape", 3, 3), Attrs.ints("strides", 2, 2),
                        Attrs.of("ceil_mode", 1L)))
                .addInput(Models.tensorInfo("x", DataType.FLOAT, 2, 3, 8, 8))
                .addOutput(Models.tensorInfo("y", DataType.FLOAT, 2, 3, 4, 4)).build();
        e = assertThrows(SonnxException.class, () -> export(Models.model(pool, 13), 9));
        assertTrue(e.getMessage().contains("ceil_mode exists only from opset 10"), e.getMessage());
    }
}
