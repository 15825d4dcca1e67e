package dev.sonnx.runtime.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.export.SingaFrontend;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.OrtReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Model families that ../shared does not hold, as PyTorch exports them (random weights, opsets 7 to
 * 17): residual bottlenecks, dense concatenations, channel shuffles, squeeze-and-excitation, inverted
 * residuals with hard-swish, inception branches, ConvNeXt's depthwise blocks and channels-last
 * LayerNorm, Swin's shifted windows, a vision transformer, segmentation heads that resize, 3-D
 * convolutions, Faster R-CNN's proposals, RoiAlign and NMS, a transformer encoder over tokens, LSTM
 * and GRU layers, opset 9's Upsample, and a U-Net style decoder's transposed convolutions. Each runs through every inference pass sonnx applies and
 * must match ONNX Runtime (graph optimizations off) within the zoo tolerance.
 *
 * <p>The models come from {@code src/test/python/export_models.py} (Debian's python3-torch,
 * python3-torchvision and python3-onnx, which {@code bin/setup} installs), written once into
 * {@code target/exported-models} and written again when the script changes.
 */
class ExportedModelsTest {
    private static final Path SCRIPT = Path.of("src/test/python/export_models.py");
    private static final Path OUT = Path.of("target/exported-models");
    private static final List<String> CASES = List.of("resnet_bottleneck", "densenet121", "squeezenet1_0_opset7",
            "squeezenet1_1_opset9", "shufflenet_v2", "mobilenet_v3_small", "efficientnet_b0", "googlenet",
            "mnasnet0_5", "regnet_y_400mf", "convnext", "swin", "vit", "lraspp_mobilenet_v3",
            "deeplabv3_mobilenet_v3", "video_3d", "fasterrcnn_mobilenet_v3", "text_encoder", "lstm_gru",
            "upsample_opset9", "unet_decoder");
    /** The cases with operators that opset 11 lacks: HardSwish (14), LayerNormalization (17). */
    private static final Set<String> NEWER_THAN_11 = Set.of("mobilenet_v3_small", "convnext", "swin", "text_encoder");

    @BeforeAll
    static void export() throws IOException, InterruptedException {
        String stamp = digest(Files.readAllBytes(SCRIPT));
        Path stampFile = OUT.resolve("script.sha256");
        if (Files.exists(stampFile) && Files.readString(stampFile).equals(stamp)) {
            return;
        }
        deleteTree(OUT);
        Files.createDirectories(OUT);
        Path log = OUT.resolve("export.log");
        Process p = new ProcessBuilder(python(), SCRIPT.toString(), OUT.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("exporting the models took over 15 minutes; see " + log.toAbsolutePath());
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("export_models.py failed (bin/setup installs python3-torch, "
                    + "python3-torchvision and python3-onnx):\n" + tail(log));
        }
        Files.writeString(stampFile, stamp);
    }

    @TestFactory
    Stream<DynamicTest> eachExportMatchesOnnxRuntime() {
        return CASES.stream().map(name -> DynamicTest.dynamicTest(name, () -> matchesOnnxRuntime(OUT.resolve(name))));
    }

    /**
     * {@code sonnx export}'s conversion of each model to opset 17 and, where the model's operators
     * exist there, to opset 11 (Clip, Pad, Slice and TopK forms, Upsample into Resize, Resize's
     * required inputs, IR 3's initializers as graph inputs): ONNX Runtime checks each exported node
     * against its opset's schema, and runs it to the original's outputs.
     */
    @TestFactory
    Stream<DynamicTest> eachReExportAtOpsets11And17MatchesOnnxRuntime() {
        return CASES.stream().flatMap(name -> Stream.of(17, 11).filter(opset -> opset == 17 || !NEWER_THAN_11.contains(name))
                .map(opset -> DynamicTest.dynamicTest(name + " at opset " + opset, () -> {
                    Path dir = OUT.resolve(name);
                    ModelProto model = ModelIO.load(dir.resolve("model.onnx"));
                    SingaRep rep = SingaBackend.prepare(model, CpuDevice.get());
                    ModelProto exported = ModelIO.parse(SingaFrontend.toOnnx(rep, opset).toByteArray());
                    Tensor input = input(dir);
                    String feed = model.getGraph().getInput(0).getName();
                    List<Tensor> expected = OrtReference.run(model, List.of(feed), List.of(input));
                    assertClose(OrtReference.run(exported, List.of(feed), List.of(input)), expected,
                            name + " exported at opset " + opset + ", in ONNX Runtime");
                    assertClose(SingaBackend.prepare(exported, CpuDevice.get()).run(List.of(input)), expected,
                            name + " exported at opset " + opset + ", in sonnx");
                })));
    }

    private static void matchesOnnxRuntime(Path dir) throws IOException {
        ModelProto model = ModelIO.load(dir.resolve("model.onnx"));
        Tensor input = input(dir);
        List<Tensor> expected = OrtReference.run(model, List.of(model.getGraph().getInput(0).getName()), List.of(input));
        assertClose(SingaBackend.prepare(model, CpuDevice.get()).run(List.of(input)), expected,
                dir.getFileName().toString());
    }

    private static Tensor input(Path dir) throws IOException {
        return TensorProtos.toTensor(TensorProto.parseFrom(Files.readAllBytes(dir.resolve("test_data_set_0/input_0.pb"))));
    }

    /** {@code actual} within the zoo tolerance of ONNX Runtime's {@code expected}, scaled to its magnitudes. */
    private static void assertClose(List<Tensor> actual, List<Tensor> expected, String label) {
        assertEquals(expected.size(), actual.size(), "output count");
        // an empty reference (no detections) would compare nothing
        assertTrue(expected.get(0).size() > 0, "ONNX Runtime's first output is empty");
        for (int i = 0; i < expected.size(); i++) {
            // random weights leave some logits near 1e-10: the zoo's absolute 1e-4 scales with the output
            double scale = largestMagnitude(expected.get(i));
            if (expected.get(i).dtype().isFloat()) {
                assertTrue(scale > 0, "output " + i + " is all zeros");
            }
            Tolerance tolerance = new Tolerance(Tolerance.ZOO.atol() * Math.min(1, scale), Tolerance.ZOO.rtol());
            assertNull(ValueComparator.difference(actual.get(i), expected.get(i), tolerance),
                    label + " output " + i + " (largest magnitude " + scale + ")");
        }
    }

    private static double largestMagnitude(Tensor t) {
        double m = 0;
        for (int i = 0; i < t.size(); i++) {
            m = Math.max(m, Math.abs(t.getDouble(i)));
        }
        return m;
    }

    /** Debian's interpreter, where its python3-torch lives (a pyenv or venv python3 may lack it). */
    private static String python() {
        String configured = System.getProperty("sonnx.python");
        if (configured != null) {
            return configured;
        }
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    private static String digest(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
