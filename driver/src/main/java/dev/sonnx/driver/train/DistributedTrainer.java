package dev.sonnx.driver.train;

import dev.sonnx.driver.checkpoint.HadoopCheckpointStore;
import dev.sonnx.driver.io.HadoopFiles;
import dev.sonnx.driver.ml.ModelInputs;
import dev.sonnx.driver.ml.RowFeatures;
import dev.sonnx.driver.progress.MetricsReport;
import dev.sonnx.driver.progress.ProgressServer;
import dev.sonnx.driver.rank.RankOutcome;
import dev.sonnx.driver.rank.StepMetrics;
import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.backend.SingaBackend;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.cpu.CpuDevice;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.opt.DistOption;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Distributed fine-tuning on Spark. The driver validates the model, the settings and the columns
 * (so a bad model fails here, before any executor starts) and broadcasts the model's bytes; a barrier
 * stage runs one {@link RankTask} per rank over the rows repartitioned to the world size, rank 0
 * streaming progress back; the driver merges the ranks' models (rank 0's, or the average for
 * partialUpdate) and writes model.onnx, metrics.csv and loss-curve.png, each atomically.
 */
public final class DistributedTrainer {
    private static final ClassTag<RankOutcome> OUTCOME = ClassTag$.MODULE$.apply(RankOutcome.class);

    private final SparkContext sc;
    private final Consumer<String> log;
    private long collectiveTimeoutSeconds = 120;
    private int logEvery = 10;

    public DistributedTrainer(SparkContext sc, Consumer<String> log) {
        this.sc = sc;
        this.log = log;
    }

    /** How long a rank waits for a stalled or dead peer before the stage fails (and Spark retries it). */
    public DistributedTrainer collectiveTimeout(long seconds) {
        this.collectiveTimeoutSeconds = seconds;
        return this;
    }

    /** Logs every {@code n}-th step's loss and throughput (epochs are always logged). */
    public DistributedTrainer logEvery(int n) {
        this.logEvery = Math.max(1, n);
        return this;
    }

    /**
     * Trains {@code model} on {@code data} with {@code ranks} ranks. {@code outputDir} (a Hadoop path;
     * null: write nothing) receives model.onnx, metrics.csv and loss-curve.png.
     *
     * @throws TrainingException when the ranks stop on bad data, a non-finite loss, or a foreign checkpoint
     */
    public TrainResult fit(ModelProto model, TrainData data, int ranks, TrainConfig config, String outputDir)
            throws IOException {
        if (ranks <= 0) {
            throw new IllegalArgumentException("ranks must be positive, got " + ranks);
        }
        SingaRep rep = validateOnDriver(model, config);
        int[] sampleShape = ModelInputs.sampleShape(model, "fine-tuning");
        int classes = classes(rep, config);
        Dataset<Row> rows = select(data);

        HadoopCheckpointStore checkpoints = config.checkpointDir == null ? null
                : new HadoopCheckpointStore(config.checkpointDir, config.keepCheckpoints, sc.hadoopConfiguration());
        Broadcast<byte[]> broadcast = JavaSparkContext.fromSparkContext(sc).broadcast(model.toByteArray());
        long start = System.nanoTime();
        String description = sc.getLocalProperty("spark.job.description");
        List<RankOutcome> outcomes;
        List<StepMetrics> streamed;
        try (ProgressServer progress = new ProgressServer("0.0.0.0", log, logEvery)) {
            String address = progress.address(sc.getConf().get("spark.driver.host", "127.0.0.1"));
            log.accept("training with " + ranks + " ranks: " + config);
            sc.setJobDescription("sonnx fine-tuning: " + ranks + " ranks, " + config.distOption.id());
            RankTask task = new RankTask(broadcast, config, sampleShape, classes, checkpoints, address,
                    collectiveTimeoutSeconds);
            JavaRDD<Row> partitions = rows.repartition(ranks).toJavaRDD();
            // Spark retries a failed barrier stage only when it is a shuffle map stage (a failed result
            // stage aborts the job), so the outcomes cross one small shuffle on their way back.
            JavaRDD<RankOutcome> ranksRdd = JavaRDD.fromRDD(partitions.rdd().barrier().mapPartitions(task, false,
                    OUTCOME), OUTCOME);
            outcomes = new ArrayList<>(ranksRdd.repartition(1).collect());
            streamed = progress.steps();
        } finally {
            sc.setJobDescription(description);
            broadcast.destroy();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        outcomes.sort((a, b) -> Integer.compare(a.rank(), b.rank()));
        for (RankOutcome o : outcomes) {
            if (o.failure() != null) {
                throw new TrainingException(o.failure());
            }
        }
        RankOutcome first = outcomes.get(0);
        List<StepMetrics> metrics = merge(streamed, first.metrics());
        long badRows = outcomes.stream().mapToLong(RankOutcome::badRows).sum();
        if (badRows > 0) {
            log.accept("skipped " + badRows + " bad rows");
        }
        if (first.resumedFrom() > 0) {
            log.accept("the stage was retried; it resumed from the checkpoint of step " + first.resumedFrom());
        }
        ModelProto merged = mergeModels(outcomes, config.distOption);
        if (outputDir != null) {
            HadoopFiles files = new HadoopFiles(sc.hadoopConfiguration());
            files.write(HadoopFiles.resolve(outputDir, "model.onnx"), merged::writeTo);
            files.write(HadoopFiles.resolve(outputDir, "metrics.csv"), out -> MetricsReport.writeCsv(metrics, out));
            String title = "training loss (" + ranks + " ranks, " + config.distOption.id() + ")";
            files.write(HadoopFiles.resolve(outputDir, "loss-curve.png"),
                    out -> MetricsReport.writeLossCurve(metrics, title, out));
            log.accept("wrote model.onnx, metrics.csv and loss-curve.png to " + outputDir);
        }
        List<String> executors = outcomes.stream().map(RankOutcome::executor).toList();
        log.accept("ranks ran on executors " + executors);
        return new TrainResult(merged, first.steps(), first.resumedFrom(), metrics, badRows, seconds, executors);
    }

    /** Steps streamed while training ran (all attempts), overridden by what rank 0 returned for its attempt. */
    private static List<StepMetrics> merge(List<StepMetrics> streamed, List<StepMetrics> returned) {
        Map<Long, StepMetrics> byStep = new TreeMap<>();
        streamed.forEach(m -> byStep.put(m.step(), m));
        returned.forEach(m -> byStep.put(m.step(), m));
        long last = returned.isEmpty() ? Long.MAX_VALUE : returned.get(returned.size() - 1).step();
        byStep.keySet().removeIf(step -> step > last); // a failed attempt may have run past the end of this one
        return List.copyOf(byStep.values());
    }

    private static ModelProto mergeModels(List<RankOutcome> outcomes, DistOption option) {
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

    /**
     * Prepares the model once on the driver, so that a bad model (unreadable, an unsupported operator,
     * a cut past its first node) fails here, before any executor starts.
     */
    static SingaRep validateOnDriver(ModelProto model, TrainConfig config) {
        SingaRep rep = SingaBackend.prepare(model, CpuDevice.get(),
                SingaBackend.PrepareOptions.DEFAULTS.named("the training model"));
        int nodes = rep.nodeCount();
        if (config.lastLayers < -1 && nodes + config.lastLayers + 1 <= 0) {
            throw new IllegalArgumentException("lastLayers " + config.lastLayers + " cuts all " + nodes
                    + " nodes of the model");
        }
        return rep;
    }

    /** Classes the labels must fall in: the new head's, else the model output's last dimension (0: unknown). */
    private static int classes(SingaRep rep, TrainConfig config) {
        if (config.newHeadClasses > 0) {
            return config.newHeadClasses;
        }
        if (config.lastLayers != -1) {
            return 0;
        }
        TensorShapeProto s = rep.outputs().get(0).getType().getTensorType().getShape();
        int n = s.getDimCount();
        return n >= 2 && s.getDim(n - 1).hasDimValue() ? (int) s.getDim(n - 1).getDimValue() : 0;
    }

    /** The training columns in the order the ranks read them, checked against the data's schema. */
    private static Dataset<Row> select(TrainData data) {
        StructType schema = data.rows().schema();
        StructField features = field(schema, data.featuresCol(), "features");
        if (!RowFeatures.readable(features.dataType())) {
            throw new IllegalArgumentException("features column '" + features.name() + "' is "
                    + features.dataType().simpleString() + "; expected an array of numbers, a vector, binary or"
                    + " an image");
        }
        StructField label = field(schema, data.labelCol(), "label");
        if (!(label.dataType() instanceof NumericType)) {
            throw new IllegalArgumentException("label column '" + label.name() + "' is "
                    + label.dataType().simpleString() + "; expected class indices (a number type)");
        }
        List<Column> cols = new ArrayList<>(List.of(data.rows().col(features.name()), data.rows().col(label.name())));
        if (data.keyCol() != null) {
            cols.add(data.rows().col(field(schema, data.keyCol(), "key").name()));
        }
        return data.rows().select(cols.toArray(new Column[0]));
    }

    private static StructField field(StructType schema, String name, String role) {
        for (StructField f : schema.fields()) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("the training data has no " + role + " column '" + name + "' (columns: "
                + String.join(", ", schema.fieldNames()) + ")");
    }
}
