package dev.sonnx.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sonnx.runtime.backend.Profiler;
import dev.sonnx.runtime.backend.SampleFeeds;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.model.SonnxModel;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.TensorProtos;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorProto;
import dev.sonnx.runtime.opt.SGD;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.util.JitWarmUp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code sonnx bench}: median latency of a model in sonnx and, with {@code --compare}, in ONNX Runtime
 * on the same inputs in the same process, the two engines alternating run by run; with
 * {@code --train}, the median SGD step time of sonnx.
 * The last line is {@code ratio sonnx/ort: X.XX} when comparing.
 */
public final class BenchMain {
    private BenchMain() {
    }

    private static final String USAGE = "usage: sonnx bench --model M [--batch B] [--threads T] [--runs N]"
            + " [--warmup W] [--warmup-seconds S] [--train [--times]] [--compare] [--only sonnx|ort]";

    public static void main(String[] argv) throws Exception {
        if (argv.length == 0 || List.of(argv).contains("--help") || List.of(argv).contains("-h")) {
            System.out.println(USAGE);
            return;
        }
        Map<String, String> opts;
        Path modelFile;
        int batch;
        int threads;
        int runs;
        try {
            opts = parse(argv);
            modelFile = Path.of(required(opts, "model"));
            batch = intOption(opts, "batch", 1);
            threads = intOption(opts, "threads", 0);
            runs = intOption(opts, "runs", 20);
        } catch (IllegalArgumentException e) {
            System.err.println("sonnx bench: " + e.getMessage() + "\n" + USAGE);
            System.exit(2);
            return;
        }
        boolean train = opts.containsKey("train");
        // The JVM compiles the hot paths only after thousands of calls; a model server runs for hours.
        // Warm-up (inference: both engines, alternating; training: sonnx's steps) lasts at least
        // --warmup-seconds, then until the JIT is quiet, then --warmup more runs: a method called once
        // per run reaches the JVM's optimising compiler only after a few hundred runs, and until then
        // that compiler takes a core from oneDNN's threads at random moments (resnet18 at batch 8, sonnx alone, 40 timed runs
        // after 10, 60 and 150 warm-up runs: 0.28, 0.08 and 0.02 s of compiler time, medians 84.7,
        // 80.2 and 78.0 ms).
        int warmup = Integer.parseInt(opts.getOrDefault("warmup", "5"));
        double warmupSeconds = Double.parseDouble(opts.getOrDefault("warmup-seconds", "3"));
        boolean compare = opts.containsKey("compare");
        String only = opts.getOrDefault("only", "");
        CpuDevice.setDefaultThreads(threads);
        int t = CpuDevice.get().threads();

        ModelProto model = ModelIO.load(modelFile);
        List<ValueInfoProto> fed = fedInputs(model);
        if (batch > 1) {
            FreeBatch.Result free = FreeBatch.of(model, fed);
            model = free.model();
            if (free.reshapes() > 0) {
                System.out.printf(Locale.ROOT, "batch freed in %d Reshape shapes (they started with the batch, 1)%n",
                        free.reshapes());
            }
        }
        List<Tensor> inputs = inputs(modelFile, fed, batch);
        System.out.printf(Locale.ROOT, "model %s, batch %d, %d threads, inputs %s%n", modelFile, batch, t,
                inputs.stream().map(Tensor::describe).toList());

        if (train) {
            double[] steps = trainSteps(model, inputs, warmupSeconds, warmup, runs);
            System.out.printf(Locale.ROOT, "sonnx train step: median %.2f ms over %d runs%n", median(steps), runs);
            if (opts.containsKey("times")) {
                // Every step's time, for scripts that pool runs (bench/train_bench.py).
                StringBuilder line = new StringBuilder("sonnx train step times:");
                for (double ms : steps) {
                    line.append(String.format(Locale.ROOT, " %.3f", ms));
                }
                System.out.println(line);
            }
            printProfile();
            System.out.printf(Locale.ROOT, "peak RSS: %d MB%n", peakRssMb());
            return;
        }
        boolean runOurs = !only.equals("ort");
        // Prepared only when it runs, so that --only ort measures ONNX Runtime's memory alone.
        SingaRep probe = runOurs ? SingaBackend.prepare(model, CpuDevice.get()) : null;
        boolean runOrt = compare || only.equals("ort");
        // Both engines in one loop, alternating run by run, so that load from other processes on a
        // shared machine falls on both alike. Each run's outputs are handed back, as ONNX Runtime's
        // results are closed.
        try (OrtRunner ort = runOrt ? new OrtRunner(model, fed.stream().map(ValueInfoProto::getName).toList(), inputs, t) : null) {
            double[] ourTimes = new double[runs];
            double[] ortTimes = new double[runs];
            System.out.println(JitWarmUp.run(warmupSeconds, 0, () -> {
                if (runOurs) {
                    probe.run(inputs).forEach(Tensor::release);
                }
                if (runOrt) {
                    ort.run();
                }
            }));
            long compileMillis = 0;
            for (int i = 0; i < warmup + runs; i++) {
                if (i == warmup) {
                    Profiler.reset();
                    compileMillis = JitWarmUp.compileMillis();
                }
                if (runOurs) {
                    long t0 = System.nanoTime();
                    probe.run(inputs).forEach(Tensor::release);
                    if (i >= warmup) {
                        ourTimes[i - warmup] = (System.nanoTime() - t0) / 1e6;
                    }
                }
                if (runOrt) {
                    double ms = ort.run();
                    if (i >= warmup) {
                        ortTimes[i - warmup] = ms;
                    }
                }
            }
            compileMillis = JitWarmUp.compileMillis() - compileMillis;
            double ours = median(ourTimes);
            // compiling takes a core from the kernels: a figure far above zero means warm-up was too short
            System.out.printf(Locale.ROOT, "JIT compilation during the timed runs: %d ms%n", compileMillis);
            if (runOurs) {
                System.out.printf(Locale.ROOT, "sonnx inference: median %.2f ms over %d runs%n", ours, runs);
                printProfile();
            }
            if (runOrt) {
                System.out.printf(Locale.ROOT, "onnxruntime inference: median %.2f ms over %d runs%n",
                        median(ortTimes), runs);
            }
            System.out.printf(Locale.ROOT, "peak RSS: %d MB%n", peakRssMb());
            if (runOurs && runOrt) {
                // a ratio means something only where both engines compute the same thing
                System.out.println(agreement(probe.run(inputs), ort.outputs()));
                System.out.printf(Locale.ROOT, "ratio sonnx/ort: %.2f%n", ours / median(ortTimes));
            }
        }
    }

    private static void printProfile() {
        if (Profiler.ENABLED) {
            System.out.print(Profiler.report());
        }
    }

    /** The graph inputs that are fed (not initializers), in order. */
    static List<ValueInfoProto> fedInputs(ModelProto model) {
        java.util.Set<String> inits = new java.util.HashSet<>();
        model.getGraph().getInitializerList().forEach(t -> inits.add(t.getName()));
        return model.getGraph().getInputList().stream().filter(v -> !inits.contains(v.getName())).toList();
    }

    /** The model's test_data_set_0 inputs (tiled to the batch) when present, else made-up ones. */
    static List<Tensor> inputs(Path modelFile, List<ValueInfoProto> fed, int batch) throws IOException {
        Path set = modelFile.toAbsolutePath().getParent().resolve("test_data_set_0");
        List<Tensor> r = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < fed.size(); i++) {
            Path f = set.resolve("input_" + i + ".pb");
            Tensor one;
            if (Files.exists(f)) {
                one = TensorProtos.toTensor(TensorProto.parseFrom(Files.readAllBytes(f)));
            } else {
                one = SampleFeeds.zeros(fed.get(i));
                if (one != null && one.dtype() == DataType.FLOAT) {
                    for (int k = 0; k < one.size(); k++) {
                        one.setFloat(k, (float) random.nextGaussian());
                    }
                }
            }
            if (one == null) {
                throw new IllegalArgumentException("cannot make an input for " + fed.get(i).getName());
            }
            r.add(batch == 1 ? one : tile(one, batch));
        }
        return r;
    }

    private static Tensor tile(Tensor one, int batch) {
        int[] shape = one.shape().clone();
        int per = one.size() / shape[0] * one.dtype().byteSize();
        int rows = shape[0];
        shape[0] = rows * batch;
        Tensor t = Tensor.zeros(one.dtype(), shape);
        for (int b = 0; b < batch; b++) {
            t.bytes().put(b * per * rows, one.bytes(), 0, per * rows);
        }
        return t;
    }

    /**
     * The times of SGD steps on the first input with random labels for the first output's classes,
     * after the warm-up inference has too: at least {@code warmupSeconds} of steps, then until the JIT
     * is quiet, then {@code warmup} more. A fine-tuning job runs thousands of steps; its first dozen
     * run while the JVM still compiles the Java around the kernels, and the compiler takes a core from
     * oneDNN's threads (mobilenetv2 at batch 8: 317 ms a step after 5 warm-up steps, 258 after 25).
     */
    private static double[] trainSteps(ModelProto model, List<Tensor> inputs, double warmupSeconds, int warmup,
                                       int runs) {
        SonnxModel m = new SonnxModel(model, CpuDevice.get());
        m.compile(inputs, true, true, false);
        m.setOptimizer(new SGD(0.001, 0.9, 1e-4));
        Tensor out = m.predict(inputs.toArray(new Tensor[0])).get(0);
        int n = out.dim(0);
        int classes = out.size() / n;
        long[] labels = new long[n];
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(classes);
        }
        Tensor y = Tensor.of(labels, n);
        System.out.println(JitWarmUp.run(warmupSeconds, 0, () -> m.trainOneBatch(inputs.get(0), y, "fp32", 0)));
        double[] times = new double[runs];
        for (int i = 0; i < warmup + runs; i++) {
            if (i == warmup) {
                Profiler.reset(); // the profile covers the timed steps only
            }
            long t0 = System.nanoTime();
            m.trainOneBatch(inputs.get(0), y, "fp32", 0);
            if (i >= warmup) {
                times[i - warmup] = (System.nanoTime() - t0) / 1e6;
            }
        }
        return times;
    }

    /** An ONNX Runtime session over the same model and inputs, timed one run at a time. */
    private static final class OrtRunner implements AutoCloseable {
        static final boolean SPIN = Boolean.parseBoolean(System.getProperty("sonnx.bench.ortSpin", "false"));
        /** -Dsonnx.bench.ortProfile=PREFIX: ONNX Runtime's per-node profile of every run, a JSON file PREFIX_*.json. */
        static final String PROFILE = System.getProperty("sonnx.bench.ortProfile");
        private final OrtSession.SessionOptions options;
        private final OrtSession session;
        private final Map<String, OnnxTensor> feeds = new LinkedHashMap<>();

        OrtRunner(ModelProto model, List<String> names, List<Tensor> inputs, int threads) throws OrtException {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            if (!SPIN) {
                options.addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            if (PROFILE != null) {
                options.enableProfiling(PROFILE);
            }
            session = env.createSession(model.toByteArray(), options);
            for (int i = 0; i < inputs.size(); i++) {
                Tensor t = inputs.get(i);
                long[] shape = Arrays.stream(t.shape()).asLongStream().toArray();
                feeds.put(names.get(i), switch (t.dtype()) {
                    case FLOAT -> OnnxTensor.createTensor(env, t.floats(), shape);
                    case INT64 -> OnnxTensor.createTensor(env, t.longs(), shape);
                    case INT32 -> OnnxTensor.createTensor(env, t.ints(), shape);
                    default -> throw new IllegalArgumentException("input type " + t.dtype());
                });
            }
        }

        /** One run's outputs in the graph's order: float32 ones as arrays, the others null. */
        List<float[]> outputs() throws OrtException {
            List<float[]> r = new ArrayList<>();
            try (OrtSession.Result result = session.run(feeds)) {
                for (var entry : result) {
                    r.add(entry.getValue() instanceof OnnxTensor t
                            && t.getInfo().type == ai.onnxruntime.OnnxJavaType.FLOAT ? toArray(t.getFloatBuffer()) : null);
                }
            }
            return r;
        }

        private static float[] toArray(java.nio.FloatBuffer b) {
            float[] a = new float[b.remaining()];
            b.get(a);
            return a;
        }

        /** One run, in milliseconds. */
        double run() throws OrtException {
            long t0 = System.nanoTime();
            try (OrtSession.Result ignored = session.run(feeds)) {
                return (System.nanoTime() - t0) / 1e6;
            }
        }

        @Override
        public void close() throws OrtException {
            if (PROFILE != null) {
                System.out.println("onnxruntime profile: " + session.endProfiling());
            }
            feeds.values().forEach(OnnxTensor::close);
            session.close();
            options.close();
        }
    }

    /** How far sonnx's float32 outputs are from ONNX Runtime's: the largest difference, against the largest value. */
    static String agreement(List<Tensor> ours, List<float[]> theirs) {
        double diff = 0;
        double scale = 0;
        int compared = 0;
        for (int o = 0; o < Math.min(ours.size(), theirs.size()); o++) {
            Tensor t = ours.get(o);
            float[] ref = theirs.get(o);
            if (ref == null || t.dtype() != DataType.FLOAT) {
                continue;
            }
            if (t.size() != ref.length) {
                return "outputs: output " + o + " has " + t.size() + " values in sonnx, " + ref.length
                        + " in onnxruntime";
            }
            for (int i = 0; i < ref.length; i++) {
                diff = Math.max(diff, Math.abs(t.getFloat(i) - ref[i]));
                scale = Math.max(scale, Math.abs(ref[i]));
            }
            compared++;
        }
        ours.forEach(Tensor::release);
        return String.format(Locale.ROOT, "outputs: max |sonnx - ort| %.3g (largest |ort| %.3g) over %d float outputs",
                diff, scale, compared);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static long peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    private static Map<String, String> parse(String[] argv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'");
            }
            String key = a.substring(2);
            if (key.equals("train") || key.equals("compare") || key.equals("times")) {
                m.put(key, "true");
            } else if (i + 1 < argv.length) {
                m.put(key, argv[++i]);
            } else {
                throw new IllegalArgumentException("option --" + key + " needs a value");
            }
        }
        return m;
    }

    private static int intOption(Map<String, String> opts, String key, int def) {
        String v = opts.get(key);
        try {
            return v == null ? def : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option --" + key + " takes a whole number, not '" + v + "'");
        }
    }

    private static String required(Map<String, String> opts, String key) {
        String v = opts.get(key);
        if (v == null) {
            throw new IllegalArgumentException("option --" + key + " is required");
        }
        return v;
    }
}
