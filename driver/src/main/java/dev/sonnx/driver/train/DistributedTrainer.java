package dev.sonnx.driver.train;

import dev.sonnx.driver.progress.MetricsReport;
import dev.sonnx.driver.progress.ProgressServer;
import dev.sonnx.driver.rank.RankOutcome;
import dev.sonnx.driver.rank.StepMetrics;
import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.opt.DistOption;
import dev.sonnx.runtime.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.reflect.ClassTag$;

/**
 * Distributed fine-tuning on Spark: the driver validates the model once (before any executor starts)
 * and broadcasts its bytes; a barrier stage runs one {@link RankTask} per rank over the data
 * repartitioned to the world size; the driver merges the ranks' models (rank 0's, or the average for
 * partialUpdate) and writes the result, metrics.csv and the loss curve atomically.
 */
public final class DistributedTrainer {
    private final SparkContext sc;
    private final Consumer<String> log;
    private long collectiveTimeoutSeconds = 120;

    public DistributedTrainer(SparkContext sc, Consumer<String> log) {
        this.sc = sc;
        this.log = log;
    }

    /** How long a rank waits for a stalled or dead peer before the stage fails (and Spark retries it). */
    public DistributedTrainer collectiveTimeout(long seconds) {
        this.collectiveTimeoutSeconds = seconds;
        return this;
    }

    /**
     * Trains on {@code data}, whose first column holds the features (array, vector or binary) and
     * second the integer label, with {@code ranks} ranks. {@code outputDir} (may be null) receives
     * model.onnx, metrics.csv and loss-curve.png.
     */
    public TrainResult fit(ModelProto model, Dataset<Row> data, int ranks, int classes, TrainConfig config,
                           Path outputDir) throws IOException {
        if (ranks <= 0) {
            throw new IllegalArgumentException("ranks must be positive, got " + ranks);
        }
        int[] sampleShape = sampleShape(model);
        validateOnDriver(model);
        byte[] bytes = model.toByteArray();
        Broadcast<byte[]> broadcast = JavaSparkContext.fromSparkContext(sc).broadcast(bytes);
        long start = System.nanoTime();
        List<RankOutcome> outcomes;
        List<StepMetrics> streamed;
        try (ProgressServer progress = new ProgressServer("0.0.0.0", log, 50)) {
            String address = progress.address(sc.getConf().get("spark.driver.host", "127.0.0.1"));
            log.accept("training " + ranks + " ranks: " + config);
            JavaRDD<Row> rows = data.toJavaRDD().repartition(ranks);
            RankTask task = new RankTask(broadcast, config, sampleShape, classes, address, collectiveTimeoutSeconds);
            outcomes = new ArrayList<>(JavaRDD.fromRDD(rows.rdd().barrier().mapPartitions(task, false,
                    ClassTag$.MODULE$.apply(dev.sonnx.driver.rank.RankOutcome.class)), ClassTag$.MODULE$.apply(
                    dev.sonnx.driver.rank.RankOutcome.class)).collect());
            streamed = progress.steps();
        } finally {
            broadcast.destroy();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        outcomes.sort((a, b) -> Integer.compare(a.rank(), b.rank()));
        ModelProto merged = merge(outcomes, config.distOption);
        RankOutcome first = outcomes.get(0);
        List<StepMetrics> metrics = !first.metrics().isEmpty() ? first.metrics() : streamed;
        long badRows = outcomes.stream().mapToLong(RankOutcome::badRows).sum();
        if (badRows > 0) {
            log.accept("skipped " + badRows + " unreadable rows");
        }
        if (outputDir != null) {
            Files.createDirectories(outputDir);
            ModelIO.save(merged, outputDir.resolve("model.onnx"));
            MetricsReport.writeCsv(metrics, outputDir.resolve("metrics.csv"));
            MetricsReport.writeLossCurve(metrics, "training loss (" + ranks + " ranks, " + config.distOption.id() + ")",
                    outputDir.resolve("loss-curve.png"));
        }
        return new TrainResult(merged, first.steps(), first.resumedFrom(), metrics, badRows, seconds);
    }

    private static ModelProto merge(List<RankOutcome> outcomes, DistOption option) {
        List<ModelProto> models = new ArrayList<>();
        for (RankOutcome o : outcomes) {
            if (o.model() != null) {
                models.add(ModelIO.parse(o.model(), "rank " + o.rank() + " model", null));
            }
        }
        if (models.isEmpty()) {
            throw new SonnxException("no rank returned a model");
        }
        return option == DistOption.PARTIAL_UPDATE ? ModelMerge.average(models) : models.get(0);
    }

    /** Prepares the model once on the driver so that a bad model fails here, before any executor starts. */
    private static void validateOnDriver(ModelProto model) {
        SingaBackend.prepare(model, CpuDevice.get(), SingaBackend.PrepareOptions.DEFAULTS.named("the training model"));
    }

    /** The model input's dims after the batch axis. */
    static int[] sampleShape(ModelProto model) {
        List<ValueInfoProto> inputs = new ArrayList<>(model.getGraph().getInputList());
        inputs.removeIf(v -> model.getGraph().getInitializerList().stream().anyMatch(t -> t.getName().equals(v.getName())));
        if (inputs.size() != 1) {
            throw new SonnxException("fine-tuning takes models with one input; this one has " + inputs.size());
        }
        TensorShapeProto s = inputs.get(0).getType().getTensorType().getShape();
        int[] r = new int[Math.max(0, s.getDimCount() - 1)];
        for (int i = 1; i < s.getDimCount(); i++) {
            if (!s.getDim(i).hasDimValue()) {
                throw new SonnxException("input '" + inputs.get(0).getName() + "' has a symbolic dimension " + i
                        + " (" + s.getDim(i).getDimParam() + "); fine-tuning needs fixed sample dimensions");
            }
            r[i - 1] = (int) s.getDim(i).getDimValue();
        }
        return r;
    }

    /** Writes a model file atomically (local path). */
    public static void save(ModelProto model, Path file) throws IOException {
        AtomicFiles.write(file, model::writeTo);
    }

    static String describe(int[] shape) {
        return Arrays.toString(shape);
    }
}
