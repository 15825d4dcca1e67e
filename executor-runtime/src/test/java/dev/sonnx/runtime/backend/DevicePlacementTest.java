package dev.sonnx.runtime.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sonnx.nccl.LocalCommunicator;
import dev.sonnx.runtime.conformance.ConformanceRunner;
import dev.sonnx.runtime.conformance.Tolerance;
import dev.sonnx.runtime.conformance.ValueComparator;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.model.SonnxModel;
import dev.sonnx.runtime.opt.DistOption;
import dev.sonnx.runtime.opt.SGD;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.testing.HostBackedDevice;
import dev.sonnx.runtime.testing.SharedData;
import dev.sonnx.runtime.train.TrainCheck;
import dev.sonnx.runtime.train.TrainReference;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The device-neutral half of running on a GPU, checked without one: a model prepared for a device
 * whose memory the CPU kernels cannot read ({@link HostBackedDevice}), with every node running through
 * the host fallback, must give the CPU's results for inference, training and the dist options. This is
 * the plumbing {@code cuda:N} uses around its kernels (placement, constants and feeds split between
 * host and device, copies, the fallback's backward and state updates, optimizer state on the device).
 */
class DevicePlacementTest {
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @Test
    void everySeedCasePassesThroughTheHostFallback() throws IOException {
        HostBackedDevice device = new HostBackedDevice();
        List<Path> cases = new ArrayList<>();
        for (String line : Files.readAllLines(SharedData.root().resolve("onnx-conformance/manifest.tsv"))) {
            String[] row = line.split("\t");
            if (row.length > 3 && row[3].equals("seed")) {
                cases.add(SharedData.nodeCase(row[0]));
            }
        }
        List<String> failures = new ArrayList<>();
        for (ConformanceRunner.Result r : new ConformanceRunner(device, null, 120).runAll(cases, QUIET)) {
            if (!r.passed()) {
                failures.add(r.name() + ": " + r.reason());
            }
        }
        assertEquals(378, cases.size());
        assertEquals(List.of(), failures);
        assertTrue(device.allocations.get() > 0, "nothing reached the device");
    }

    @Test
    void zooModelsMatchTheirReferencesOnTheDevice() {
        HostBackedDevice device = new HostBackedDevice();
        ConformanceRunner runner = new ConformanceRunner(device, Tolerance.ZOO, 120);
        for (String zoo : List.of("resnet18", "gpt2-mini", "bert-squad-mini")) {
            ConformanceRunner.Result r = runner.runCase(SharedData.zoo(zoo));
            assertTrue(r.passed(), zoo + ": " + r.reason());
        }
    }

    @Test
    void outputsStayOnTheDeviceWithTheCpusValues() {
        HostBackedDevice device = new HostBackedDevice();
        SingaRep rep = SingaBackend.prepare(SharedData.trainRef("mlp").resolve("model.onnx"), device);
        TrainReference ref = TrainReference.load(SharedData.trainRef("mlp"));
        Tensor onDevice = rep.run(List.of(ref.x())).get(0);
        assertFalse(onDevice.isHost());
        assertSame(device, onDevice.device());
        Tensor onCpu = SingaBackend.prepare(SharedData.trainRef("mlp").resolve("model.onnx"), CpuDevice.get())
                .run(List.of(ref.x())).get(0);
        assertEquals(null, ValueComparator.difference(onDevice, onCpu, new Tolerance(0, 0)),
                "the same CPU kernels run on host copies: the results are bit for bit the CPU's");
    }

    @Test
    void cudaWithoutTheLibrariesOrAGpuSaysWhy() {
        String problem;
        try {
            Device.parse("cuda:0");
            problem = null;
        } catch (IllegalStateException e) {
            problem = e.getMessage();
        }
        Assumptions.assumeTrue(problem != null, "a CUDA device is present here: nothing to refuse");
        assertTrue(problem.startsWith("device cuda:0 is not available: ") || problem.contains("no CUDA support"),
                problem);
        // the CPU is untouched by the attempt
        assertEquals(CpuDevice.get(), Device.parse("cpu"));
    }

    @Test
    void trainingReproducesTheReferenceTrajectories() {
        for (String name : List.of("mlp", "cnn-bn")) {
            TrainReference ref = TrainReference.load(SharedData.trainRef(name));
            TrainCheck.Result r = TrainCheck.run(ref, new HostBackedDevice(), "fp32", 0.05f, null, QUIET);
            assertEquals(0, r.failed(), name + ": " + r.passed() + " passed");
        }
    }

    @Test
    void optimizerStateRestoredFromTheHostContinuesOnTheDevice() {
        TrainReference ref = TrainReference.load(SharedData.trainRef("mlp"));
        double[] straight = new double[4];
        SonnxModel a = new SonnxModel(ref.model(), new HostBackedDevice());
        a.compile(List.of(ref.x()), true, true, false);
        a.setOptimizer(new SGD(ref.lr(), ref.momentum(), ref.weightDecay()));
        for (int i = 0; i < 4; i++) {
            straight[i] = a.trainOneBatch(ref.x(), ref.y(), "fp32", 0)[1].toHost().getDouble(0);
        }
        SonnxModel b = new SonnxModel(ref.model(), new HostBackedDevice());
        b.compile(List.of(ref.x()), true, true, false);
        SGD first = new SGD(ref.lr(), ref.momentum(), ref.weightDecay());
        b.setOptimizer(first);
        for (int i = 0; i < 2; i++) {
            b.trainOneBatch(ref.x(), ref.y(), "fp32", 0);
        }
        // a checkpoint's optimizer state comes back as host tensors; the momentum must reach the device
        SGD resumed = new SGD(ref.lr(), ref.momentum(), ref.weightDecay());
        resumed.loadState(first.state());
        resumed.setStep(first.step());
        b.setOptimizer(resumed);
        for (int i = 2; i < 4; i++) {
            assertEquals(straight[i], b.trainOneBatch(ref.x(), ref.y(), "fp32", 0)[1].toHost().getDouble(0), 0,
                    "step " + i);
        }
        assertTrue(resumed.state().values().stream().noneMatch(Tensor::isHost), "momentum left on the host");
    }

    @Test
    void everyDistOptionFollowsTheCpuTrajectory() {
        TrainReference ref = TrainReference.load(SharedData.trainRef("mlp"));
        for (DistOption option : DistOption.values()) {
            double[] cpu = TrainCheck.run(ref, CpuDevice.get(), option.id(), 0.05f, new LocalCommunicator(), QUIET)
                    .losses();
            double[] dev = TrainCheck.run(ref, new HostBackedDevice(), option.id(), 0.05f, new LocalCommunicator(),
                    QUIET).losses();
            for (int i = 0; i < cpu.length; i++) {
                assertEquals(cpu[i], dev[i], 1e-6 * Math.abs(cpu[i]), option.id() + " step " + i);
            }
        }
    }
}
