package dev.sonnx.jobs;

import dev.sonnx.driver.io.HadoopFiles;
import dev.sonnx.driver.train.TrainConfig;
import dev.sonnx.driver.train.TrainResult;
import dev.sonnx.jobs.cli.Job;
import dev.sonnx.jobs.cli.JobArgs;
import dev.sonnx.jobs.cli.JobRunner;
import dev.sonnx.jobs.data.DataSources;
import dev.sonnx.jobs.registry.ModelRegistry;
import dev.sonnx.runtime.cli.Args;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.util.Json;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * The retraining pipeline: the registry's current model fine-tuned on new data, both evaluated on a
 * holdout (a split of the new data, or {@code --holdout-data}), and the candidate published as the
 * next version only when its accuracy beats the current one's by more than {@code --min-improvement}.
 * Versions are kept; {@code current} moves atomically; every run leaves a report in
 * {@code REGISTRY/reports/}. An empty registry starts from {@code --base MODEL} as v0001.
 */
public final class RetrainPipelineJob implements Job<RetrainPipelineJob.Settings> {
    private static final DateTimeFormatter RUN_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
            .withZone(ZoneOffset.UTC);

    /** What the command line asked for. */
    public record Settings(String registry, String base, DataSources.Spec data, DataSources.Spec holdout,
                           double holdoutFraction, double minImprovement, int ranks, TrainConfig config,
                           int checkpointEvery, int evalBatch) {
    }

    public static void main(String[] args) {
        JobRunner.main(new RetrainPipelineJob(), args);
    }

    @Override
    public String name() {
        return "retrain";
    }

    @Override
    public String usage() {
        return """
                  --registry DIR [--base MODEL.onnx (starts an empty registry)]
                  --holdout-fraction X (0.2) | --holdout-data PATH [--holdout-format F --holdout-labels P]
                  --min-improvement X (0: any gain publishes)  --eval-batch-size N (256)
                  checkpoints go to REGISTRY/checkpoints/RUN every 100 steps unless --checkpoint-dir/-every say otherwise
                """ + JobArgs.DATA_USAGE + JobArgs.TRAIN_USAGE;
    }

    @Override
    public Set<String> switches() {
        return JobArgs.TRAIN_SWITCHES;
    }

    @Override
    public Settings settings(JobArgs a) {
        double fraction = a.getDouble("holdout-fraction", 0.2);
        if (!(fraction > 0 && fraction < 1)) {
            throw new Args.UsageException("--holdout-fraction must be in (0, 1), got " + fraction);
        }
        return new Settings(a.require("registry"), a.get("base", null), a.data("", true), a.data("holdout-", false),
                fraction, a.getDouble("min-improvement", 0), a.ranks(), a.trainConfig(false),
                a.getInt("checkpoint-every", 100), a.getInt("eval-batch-size", 256));
    }

    @Override
    public void run(Settings s, SparkSession spark, PrintStream out) throws Exception {
        var log = Logs.to(out);
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        ModelRegistry registry = new ModelRegistry(files, s.registry());
        String run = RUN_TIME.format(Instant.now()) + "-" + UUID.randomUUID().toString().substring(0, 6);
        String current = registry.current().orElse(null);
        if (current == null) {
            current = bootstrap(registry, files, s.base(), run);
            log.accept("the registry was empty: published " + s.base() + " as " + current);
        } else if (s.base() != null) {
            log.accept("the registry serves " + current + "; --base is ignored");
        }
        byte[] currentModel = files.read(registry.modelPath(current));

        DataSources.Loaded data = DataSources.load(spark, s.data());
        if (data.labelCol() == null) {
            throw new IllegalArgumentException(s.data().path() + " has no label column; retraining needs labels");
        }
        Dataset<Row> train;
        Dataset<Row> holdout;
        DataSources.Loaded holdoutData = data;
        if (s.holdout() != null) {
            train = data.rows();
            holdoutData = DataSources.load(spark, s.holdout());
            holdout = holdoutData.rows();
        } else {
            Dataset<Row>[] split = data.rows().randomSplit(new double[] {1 - s.holdoutFraction(), s.holdoutFraction()},
                    s.config().seed);
            train = split[0].persist(StorageLevel.MEMORY_AND_DISK());
            holdout = split[1].persist(StorageLevel.MEMORY_AND_DISK());
        }
        String staging = registry.staging(run);
        String checkpoints = HadoopFiles.resolve(HadoopFiles.resolve(s.registry(), "checkpoints"), run);
        TrainConfig config = s.config().checkpointDir != null ? s.config()
                : s.config().toBuilder().checkpoints(checkpoints, s.checkpointEvery()).build();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("run", run);
        report.put("registry", s.registry());
        report.put("base_version", current);
        report.put("data", s.data().path());
        try {
            log.accept("fine-tuning " + current + " on " + s.data().path() + " (run " + run + ")");
            TrainResult trained = FineTuneJob.fineTune(spark, ModelIO.parse(currentModel),
                    new DataSources.Loaded(train, data.featuresCol(), data.labelCol(), data.keyCol()), s.ranks(),
                    config, staging, out);
            byte[] candidate = files.read(HadoopFiles.resolve(staging, "model.onnx"));
            long holdoutRows = holdout.count();
            double before = Evaluation.accuracy(currentModel, holdout, holdoutData.featuresCol(),
                    holdoutData.labelCol(), s.evalBatch());
            double after = Evaluation.accuracy(candidate, holdout, holdoutData.featuresCol(), holdoutData.labelCol(),
                    s.evalBatch());
            boolean publish = after > before + s.minImprovement();
            report.put("steps", trained.steps());
            report.put("train_seconds", round(trained.seconds()));
            report.put("final_loss", trained.metrics().isEmpty() ? null
                    : round(trained.metrics().get(trained.metrics().size() - 1).loss()));
            report.put("holdout_rows", holdoutRows);
            report.put("metric", "accuracy");
            report.put("current_metric", round(before));
            report.put("candidate_metric", round(after));
            report.put("min_improvement", s.minImprovement());
            String version = null;
            if (publish) {
                version = registry.publish(staging);
            } else {
                registry.discard(staging);
            }
            report.put("decision", publish ? "published" : "rejected");
            report.put("version", version);
            report.put("current", publish ? version : current);
            registry.writeReport(run, toJson(report));
            out.printf(Locale.ROOT, "holdout accuracy: %s %.4f, candidate %.4f (%d rows)%n", current, before, after,
                    holdoutRows);
            out.println(publish ? "published " + version + "; current -> " + version
                    : "kept " + current + ": the candidate does not improve on it by more than " + s.minImprovement());
            out.println("report: " + HadoopFiles.resolve(HadoopFiles.resolve(s.registry(), "reports"), run + ".json"));
        } catch (Exception e) {
            if (files.exists(staging)) {
                registry.discard(staging);
            }
            report.put("decision", "failed");
            report.put("error", JobRunner.describe(e));
            registry.writeReport(run, toJson(report));
            throw e;
        } finally {
            if (config.checkpointDir.equals(checkpoints)) {
                files.delete(checkpoints);
            }
            train.unpersist();
            holdout.unpersist();
        }
    }

    /** Publishes {@code base} as the first version of an empty registry. */
    private static String bootstrap(ModelRegistry registry, HadoopFiles files, String base, String run)
            throws Exception {
        if (base == null) {
            throw new IllegalArgumentException("the registry " + registry.root() + " has no current version;"
                    + " start it with --base MODEL.onnx");
        }
        byte[] model = files.read(base);
        ModelIO.parse(model, base, null);
        String staging = registry.staging(run + "-base");
        files.write(HadoopFiles.resolve(staging, "model.onnx"), model);
        return registry.publish(staging);
    }

    private static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }

    static String toJson(Map<String, Object> fields) {
        StringBuilder sb = new StringBuilder("{\n");
        int i = 0;
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            Object v = e.getValue();
            sb.append("  ").append(Json.quote(e.getKey())).append(": ")
                    .append(v == null ? "null" : v instanceof Number || v instanceof Boolean ? v.toString()
                            : Json.quote(v.toString()));
            sb.append(++i < fields.size() ? ",\n" : "\n");
        }
        return sb.append("}\n").toString();
    }
}
