package dev.sonnx.runtime.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.conformance.ValueComparator;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.model.SonnxModel;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.opt.SGD;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OrtReference;
import dev.sonnx.runtime.testing.SharedData;
import dev.sonnx.runtime.train.TrainReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Exported files are standard ONNX: sonnx reloads them with the same outputs, and ONNX Runtime loads
 * them and reproduces the reference outputs.
 */
class ExportTest {
    private static final Tolerance SAME = new Tolerance(1e-6, 1e-6);

    /** The feeds and expected outputs of a zoo case's test_data_set_0. */
    private static List<Tensor> read(Path set, String prefix, int count) throws IOException {
        List<Tensor> r = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            r.add(TensorProtos.toTensor(TensorProto.parseFrom(Files.readAllBytes(set.resolve(prefix + i + ".pb")))));
        }
        return r;
    }

    private static int opset(ModelProto m) {
        return (int) m.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty())
                .mapToLong(OperatorSetIdProto::getVersion).findFirst().orElse(0);
    }

    /** Exports an imported model through SonnxModel and checks it against sonnx and ONNX Runtime. */
    private static void roundTrip(ModelProto original, List<Tensor> inputs, List<Tensor> expected, int opset) {
        SonnxModel model = new SonnxModel(original, CpuDevice.get());
        model.compile(inputs, false, true, false);
        ModelProto exported = SingaFrontend.toOnnx(model, inputs, opset);
        assertEquals(opset, opset(exported));
        assertEquals(SingaFrontend.PRODUCER, exported.getProducerName());

        SingaRep before = SingaBackend.prepare(original, CpuDevice.get());
        SingaRep after = SingaBackend.prepare(ModelIO.parse(exported.toByteArray()), CpuDevice.get());
        List<Tensor> a = before.run(inputs);
        List<Tensor> b = after.run(inputs);
        for (int i = 0; i < a.size(); i++) {
            assertNull(ValueComparator.difference(b.get(i), a.get(i), SAME), "sonnx reload, output " + i);
        }
        List<Tensor> ort = OrtReference.run(exported, after.inputNames(), inputs);
        for (int i = 0; i < expected.size(); i++) {
            assertNull(ValueComparator.difference(ort.get(i), expected.get(i), Tolerance.ZOO), "ONNX Runtime, output " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "mobilenetv2", "tinyyolov2", "gpt2-mini", "bert-squad-mini"})
    void zooModelsRoundTrip(String name) throws IOException {
        Path dir = SharedData.zoo(name);
        ModelProto m = ModelIO.load(dir.resolve("model.onnx"));
        int feeds = (int) m.getGraph().getInputList().stream().filter(v -> m.getGraph().getInitializerList().stream()
                .noneMatch(t -> t.getName().equals(v.getName()))).count();
        List<Tensor> inputs = read(dir.resolve("test_data_set_0"), "input_", feeds);
        List<Tensor> outputs = read(dir.resolve("test_data_set_0"), "output_", m.getGraph().getOutputCount());
        roundTrip(m, inputs, outputs, Math.max(11, opset(m)));
    }

    /** {@code sonnx export}'s path (no tracing) converts between opsets 11, 13 and 17 both ways. */
    @ParameterizedTest
    @CsvSource({"resnet18, 11", "resnet18, 13", "resnet18, 17", "gpt2-mini, 11", "gpt2-mini, 13", "gpt2-mini, 17",
            "bert-squad-mini, 11", "bert-squad-mini, 13", "bert-squad-mini, 17"})
    void zooModelsConvertBetweenOpsets(String name, int opset) throws IOException {
        Path dir = SharedData.zoo(name);
        ModelProto m = ModelIO.load(dir.resolve("model.onnx"));
        SingaRep rep = SingaBackend.prepare(m, CpuDevice.get());
        ModelProto exported = SingaFrontend.toOnnx(rep, opset);
        assertEquals(opset, opset(exported));
        List<Tensor> inputs = read(dir.resolve("test_data_set_0"), "input_", rep.inputNames().size());
        List<Tensor> expected = read(dir.resolve("test_data_set_0"), "output_", m.getGraph().getOutputCount());
        List<Tensor> ort = OrtReference.run(exported, rep.inputNames(), inputs);
        for (int i = 0; i < expected.size(); i++) {
            assertNull(ValueComparator.difference(ort.get(i), expected.get(i), Tolerance.ZOO), name + " output " + i);
        }
        SingaRep reloaded = SingaBackend.prepare(exported, CpuDevice.get());
        List<Tensor> ours = reloaded.run(inputs);
        for (int i = 0; i < expected.size(); i++) {
            assertNull(ValueComparator.difference(ours.get(i), expected.get(i), Tolerance.ZOO), name + " output " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {11, 13, 17})
    void trainedModelsExportAtEachOpset(int opset) {
        for (String name : new String[] {"mlp", "cnn-bn"}) {
            TrainReference ref = TrainReference.load(SharedData.trainRef(name));
            SonnxModel model = new SonnxModel(ref.model(), CpuDevice.get());
            model.compile(List.of(ref.x()), true, true, false);
            model.setOptimizer(new SGD(ref.lr(), ref.momentum(), ref.weightDecay()));
            for (int i = 0; i < 3; i++) {
                model.trainOneBatch(ref.x(), ref.y(), "fp32", 0);
            }
            List<Tensor> ours = model.predict(ref.x());
            ModelProto exported = SingaFrontend.toOnnx(model, List.of(ref.x()), opset);
            SingaRep reloaded = SingaBackend.prepare(exported, CpuDevice.get());
            assertNull(ValueComparator.difference(reloaded.run(List.of(ref.x())).get(0), ours.get(0), SAME), name);
            List<Tensor> ort = OrtReference.run(exported, reloaded.inputNames(), List.of(ref.x()));
            assertNull(ValueComparator.difference(ort.get(0), ours.get(0), Tolerance.ZOO), name + " in ONNX Runtime");
            assertTrue(exported.getGraph().getInitializerList().stream().anyMatch(t -> !t.getName().isEmpty()));
        }
    }
}
