package dev.sonnx.runtime.conformance;

import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.ValueProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.tensor.Value;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Runs ONNX backend test cases (a folder with {@code model.onnx} and {@code test_data_set_N} folders): loads
 * and prepares the model, feeds each data set's inputs, and compares every output. A failure of any
 * kind (unsupported operator, wrong value, exception, timeout) is a FAIL with a reason, never a crash
 * of the runner.
 */
public final class ConformanceRunner {

    /** The outcome of one case. */
    public record Result(String name, boolean passed, String reason, long millis) {
    }

    private final Device device;
    private final Tolerance tolerance;
    private final long timeoutSeconds;

    /** {@code tolerance} null: the node rule, or the zoo rule for cases inside a folder named onnx-zoo. */
    public ConformanceRunner(Device device, Tolerance tolerance, long timeoutSeconds) {
        this.device = device;
        this.tolerance = tolerance;
        this.timeoutSeconds = timeoutSeconds;
    }

    /** Case folders under the given paths: a path with model.onnx is a case; else its children that are. */
    public static List<Path> discover(List<Path> paths) throws IOException {
        List<Path> cases = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isRegularFile(p.resolve("model.onnx"))) {
                cases.add(p);
                continue;
            }
            if (!Files.isDirectory(p)) {
                throw new IOException(p + " is neither a test case (folder with model.onnx) nor a folder of them");
            }
            try (Stream<Path> s = Files.list(p)) {
                s.filter(c -> Files.isRegularFile(c.resolve("model.onnx"))).sorted().forEach(cases::add);
            }
        }
        return cases;
    }

    /** Runs every case, printing {@code PASS name} / {@code FAIL name: reason} and the summary line last. */
    public List<Result> runAll(List<Path> cases, PrintStream out) {
        List<Result> results = new ArrayList<>();
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "sonnx-case");
            t.setDaemon(true);
            return t;
        });
        try {
            for (Path c : cases) {
                Result r = runWithTimeout(pool, c);
                results.add(r);
                out.println(r.passed() ? "PASS " + r.name() : "FAIL " + r.name() + ": " + r.reason());
                out.flush();
            }
        } finally {
            pool.shutdownNow();
        }
        long passed = results.stream().filter(Result::passed).count();
        out.println(passed + " passed, " + (results.size() - passed) + " failed");
        return results;
    }

    private Result runWithTimeout(ExecutorService pool, Path dir) {
        String name = dir.getFileName().toString();
        long start = System.nanoTime();
        Future<Result> f = pool.submit(() -> runCase(dir));
        try {
            return f.get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            return new Result(name, false, "timed out after " + timeoutSeconds + " s", elapsed(start));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(name, false, "interrupted", elapsed(start));
        } catch (ExecutionException e) {
            return new Result(name, false, "runner error: " + e.getCause(), elapsed(start));
        }
    }

    /** Runs one case folder. */
    public Result runCase(Path dir) {
        String name = dir.getFileName().toString();
        long start = System.nanoTime();
        try {
            ModelProto model = ModelIO.load(dir.resolve("model.onnx"));
            SingaRep rep = SingaBackend.prepare(model, device,
                    SingaBackend.PrepareOptions.DEFAULTS.named(name));
            // As ONNX's own backend-test runner: the case's data defines the inputs, even where it
            // contradicts the shapes the model declares (a few castlike cases do).
            rep.setCheckFeedShapes(false);
            List<Path> sets;
            try (Stream<Path> s = Files.list(dir)) {
                sets = s.filter(p -> p.getFileName().toString().startsWith("test_data_set_") && Files.isDirectory(p))
                        .sorted().toList();
            }
            if (sets.isEmpty()) {
                return new Result(name, false, "no test_data_set_* folder", elapsed(start));
            }
            for (Path set : sets) {
                String diff = runDataSet(rep, set);
                if (diff != null) {
                    return new Result(name, false, (sets.size() > 1 ? set.getFileName() + ": " : "") + diff,
                            elapsed(start));
                }
            }
            return new Result(name, true, null, elapsed(start));
        } catch (RuntimeException | IOException | StackOverflowError | OutOfMemoryError e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            return new Result(name, false, msg.replace('\n', ' '), elapsed(start));
        }
    }

    private String runDataSet(SingaRep rep, Path set) {
        List<ValueInfoProto> inputs = rep.inputs();
        List<Value> feeds = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            Path f = set.resolve("input_" + i + ".pb");
            if (!Files.exists(f)) {
                break;
            }
            feeds.add(asDeclared(ValueProtos.read(f, inputs.get(i).getType()), inputs.get(i)));
        }
        List<Value> actual = rep.runValues(feeds, -1, false, null, null);
        List<ValueInfoProto> outputs = rep.outputs();
        for (int i = 0; i < outputs.size(); i++) {
            Path f = set.resolve("output_" + i + ".pb");
            if (!Files.exists(f)) {
                continue;
            }
            Value expected = asDeclared(ValueProtos.read(f, outputs.get(i).getType()), outputs.get(i));
            String d = ValueComparator.difference(actual.get(i), expected, toleranceFor(set));
            if (d != null) {
                return "output '" + outputs.get(i).getName() + "': " + d;
            }
        }
        return null;
    }

    /**
     * ONNX 1.12 wrote the bfloat16 test data of its Cast cases as uint16 tensors holding the bfloat16
     * bits; a value file whose declared type is bfloat16 but holds uint16 is read as those bits.
     */
    static Value asDeclared(Value v, ValueInfoProto declared) {
        if (v instanceof Tensor t && t.dtype() == DataType.UINT16 && declared.getType().hasTensorType()
                && declared.getType().getTensorType().getElemType() == DataType.BFLOAT16.code()) {
            Tensor bf = Tensor.zeros(DataType.BFLOAT16, t.shape());
            bf.bytes().put(0, t.bytes(), 0, t.size() * 2);
            return bf;
        }
        return v;
    }

    private Tolerance toleranceFor(Path set) {
        return tolerance != null ? tolerance : defaultTolerance(set.getParent());
    }

    /** The zoo rule for cases in a folder named {@code onnx-zoo}, the node rule otherwise. */
    static Tolerance defaultTolerance(Path caseDir) {
        Path parent = caseDir.toAbsolutePath().normalize().getParent();
        return parent != null && parent.getFileName() != null && parent.getFileName().toString().equals("onnx-zoo")
                ? Tolerance.ZOO : Tolerance.NODE;
    }

    private static long elapsed(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}
