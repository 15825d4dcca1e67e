package dev.sonnx.runtime.cli;

import dev.sonnx.runtime.backend.Profiler;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.model.SonnxModel;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.opt.SGD;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.Tensor;
import dev.sonnx.runtime.util.JitWarmUp;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.Set;

/**
 * {@code sonnx time --model M --batch B}: the wall time of one inference run, or with {@code --train}
 * one training step (forward, softmax cross-entropy, backward, SGD with momentum), of a model whose
 * first input is float32 [batch, ...], on any device. Each timed run ends when the device has
 * finished its work; the input is on the device beforehand (as a framework's own benchmark has it).
 * Prints the median and the 10th and 90th percentiles over {@code --runs} runs after a warm-up of at
 * least {@code --warmup} runs and {@code --warmup-seconds}, then until the JIT is quiet
 * ({@link JitWarmUp}); with {@code -Dsonnx.profile=true}, the host time per operator type ({@code =nodes}: per node).
 */
final class TimeCommand implements Main.Command {

    @Override
    public String usage() {
        return "time --model MODEL.onnx --batch B [--device cpu|cuda:N] [--runs N] [--warmup N] [--warmup-seconds S] [--train] [--threads N] [--precision fp32|mixed]";
    }

    @Override
    public int run(String[] argv, PrintStream out) {
        Args a = new Args(argv, Set.of("train"));
        Path file = Path.of(a.require("model"));
        int batch = a.getInt("batch", 1);
        int runs = a.getInt("runs", 30);
        int warmup = a.getInt("warmup", 5);
        double warmupSeconds = a.getDouble("warmup-seconds", 3);
        boolean train = a.flag("train");
        Device device = Device.parse(a.get("device", "cpu"));
        Main.applyRunOptions(a);
        a.checkAllUsed();
        if (batch < 1 || runs < 1 || warmup < 0 || !(warmupSeconds >= 0)) {
            throw new Args.UsageException("--batch and --runs must be positive, --warmup and --warmup-seconds not negative");
        }
        ModelProto model = ModelIO.load(file);
        Tensor x = input(model, batch);
        // one run, queued: its outputs (none for a training step) are handed back after the timing
        Supplier<List<Tensor>> step;
        if (train) {
            SonnxModel m = new SonnxModel(model, device);
            m.compile(List.of(x), true, true, false);
            m.setOptimizer(new SGD(0.01, 0.9, 0));
            Tensor xd = x.to(device);
            int classes = m.forward(xd).get(0).dim(1);
            Tensor y = labels(batch, classes);
            step = () -> {
                m.trainOneBatch(xd, y, "fp32", 0);
                return List.of();
            };
        } else {
            SingaRep rep = SingaBackend.prepare(file, device);
            List<Tensor> feed = List.of(x.to(device));
            step = () -> rep.run(feed);
        }
        String warmUpLine = JitWarmUp.run(warmupSeconds, warmup, () -> {
            List<Tensor> outputs = step.get();
            device.synchronize();
            outputs.forEach(Tensor::release);
        });
        Profiler.reset();
        long compileMillis = JitWarmUp.compileMillis();
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            List<Tensor> outputs = step.get();
            device.synchronize();   // each timed run ends when the device has finished
            ms[i] = (System.nanoTime() - start) / 1e6;
            outputs.forEach(Tensor::release);
        }
        compileMillis = JitWarmUp.compileMillis() - compileMillis;
        out.println(warmUpLine);
        // compiling takes the host thread's core: a figure far above zero means warm-up was too short
        out.printf(Locale.ROOT, "JIT compilation during the timed runs: %d ms%n", compileMillis);
        if (Profiler.ENABLED) {
            out.print("host time per " + (Profiler.PER_NODE ? "node" : "operator type") + " over the timed runs (kernels queue asynchronously on a GPU):\n"
                    + Profiler.report());
        }
        Arrays.sort(ms);
        out.printf(Locale.ROOT, "model=%s device=%s batch=%d mode=%s runs=%d median_ms=%.3f p10_ms=%.3f p90_ms=%.3f%n",
                file.getFileName(), device.name(), batch, train ? "train" : "infer", runs, ms[runs / 2],
                ms[runs / 10], ms[Math.min(runs - 1, runs * 9 / 10)]);
        return 0;
    }

    /** Uniform [0, 1) float32 of the first input's shape with the batch axis set (other free axes: 1). */
    private static Tensor input(ModelProto model, int batch) {
        ValueInfoProto v = model.getGraph().getInput(0);
        List<TensorShapeProto.Dimension> dims = v.getType().getTensorType().getShape().getDimList();
        int[] shape = new int[dims.size()];
        for (int k = 0; k < shape.length; k++) {
            shape[k] = k == 0 ? batch : dims.get(k).hasDimValue() ? (int) dims.get(k).getDimValue() : 1;
        }
        Tensor x = Tensor.zeros(DataType.FLOAT, shape);
        SplittableRandom r = new SplittableRandom(42);
        var f = x.floats();
        for (int i = 0; i < x.size(); i++) {
            f.put(i, (float) r.nextDouble());
        }
        return x;
    }

    private static Tensor labels(int batch, int classes) {
        long[] y = new long[batch];
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < batch; i++) {
            y[i] = r.nextInt(classes);
        }
        return Tensor.of(y, batch);
    }
}
