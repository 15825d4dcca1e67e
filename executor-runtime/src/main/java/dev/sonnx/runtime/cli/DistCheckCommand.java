package dev.sonnx.runtime.cli;

import dev.sonnx.nccl.Communicator;
import dev.sonnx.nccl.InProcessRendezvous;
import dev.sonnx.nccl.LocalCommunicator;
import dev.sonnx.nccl.NcclCommunicator;
import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.opt.DistOption;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.train.TrainCheck;
import dev.sonnx.runtime.train.TrainReference;
import dev.sonnx.runtime.util.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code sonnx dist-check DIR}: trains a reference trajectory once with each of the five dist options,
 * through NCCL with one rank on a GPU (a one-rank local communicator on the CPU), and prints each
 * option's losses. {@code --write F} keeps them as a small text file; {@code --reference F} compares
 * with such a file (a CPU run's, say) within 1e-3 relative per step.
 */
final class DistCheckCommand implements Main.Command {
    static final double RTOL = 1e-3;

    @Override
    public String usage() {
        return "dist-check DIR [--device cpu|cuda:N] [--spars S] [--write FILE] [--reference FILE]";
    }

    @Override
    public int run(String[] argv, PrintStream out) {
        Args a = new Args(argv, Set.of());
        Device device = Device.parse(a.get("device", "cpu"));
        float spars = (float) a.getDouble("spars", 0.05);
        String write = a.get("write", null);
        String reference = a.get("reference", null);
        Main.applyRunOptions(a);
        a.checkAllUsed();
        if (a.positionals().size() != 1) {
            throw new Args.UsageException("give one training reference folder");
        }
        // the reference is read before the training runs, so that a bad path fails at once
        Map<String, double[]> expected = reference == null ? null : read(Path.of(reference));
        TrainReference ref = TrainReference.load(Path.of(a.positionals().get(0)));
        Map<String, double[]> losses = new LinkedHashMap<>();
        for (DistOption option : DistOption.values()) {
            out.println("== " + option.id() + " on " + device.name());
            try (Communicator comm = communicator(device)) {
                TrainCheck.Result r = TrainCheck.run(ref, device, option.id(), spars, comm, out);
                losses.put(option.id(), r.losses());
            }
        }
        if (write != null) {
            write(Path.of(write), losses);
        }
        int failed = 0;
        if (expected != null) {
            for (Map.Entry<String, double[]> e : losses.entrySet()) {
                double[] exp = expected.get(e.getKey());
                String verdict = compare(e.getValue(), exp);
                failed += verdict.startsWith("PASS") ? 0 : 1;
                out.println(e.getKey() + " vs reference: " + verdict);
            }
            out.println((losses.size() - failed) + " passed, " + failed + " failed");
        }
        return failed == 0 ? 0 : 1;
    }

    /** One rank of NCCL on a GPU; the CPU path's one-rank communicator elsewhere. */
    private static Communicator communicator(Device device) {
        if (device.isHost()) {
            return new LocalCommunicator();
        }
        int index = Integer.parseInt(device.name().substring(device.name().indexOf(':') + 1));
        InProcessRendezvous rendezvous = new InProcessRendezvous(1, Duration.ofSeconds(60));
        return NcclCommunicator.create(0, 1, index, rendezvous.forRank(0), Duration.ofSeconds(60));
    }

    private static String compare(double[] actual, double[] expected) {
        if (expected == null) {
            return "FAIL (not in the reference)";
        }
        if (expected.length != actual.length) {
            return "FAIL (" + actual.length + " steps, reference " + expected.length + ")";
        }
        double worst = 0;
        for (int i = 0; i < actual.length; i++) {
            double rel = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1e-12);
            worst = Math.max(worst, rel);
        }
        return (worst <= RTOL ? "PASS" : "FAIL") + String.format(Locale.ROOT, " (largest relative difference %.2e)", worst);
    }

    /** Lines {@code option loss0 loss1 ...}, written under a temporary name and renamed (AtomicFiles). */
    static void write(Path file, Map<String, double[]> losses) {
        StringBuilder sb = new StringBuilder();
        losses.forEach((option, values) -> {
            sb.append(option);
            for (double v : values) {
                sb.append(' ').append(String.format(Locale.ROOT, "%.9g", v));
            }
            sb.append('\n');
        });
        try {
            AtomicFiles.writeString(file, sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static Map<String, double[]> read(Path file) {
        Map<String, double[]> r = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 2) {
                    continue;
                }
                double[] v = new double[f.length - 1];
                for (int i = 1; i < f.length; i++) {
                    v[i - 1] = Double.parseDouble(f[i]);
                }
                r.put(f[0], v);
            }
        } catch (IOException e) {
            throw new SonnxException("cannot read the reference " + file + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null || e.getMessage().equals(file.toString()) ? "" : ": " + e.getMessage())
                    + ")", e);
        } catch (NumberFormatException e) {
            throw new SonnxException("the reference " + file + " holds a value that is not a number: "
                    + e.getMessage(), e);
        }
        return r;
    }
}
