package dev.sonnx.jobs;

import dev.sonnx.driver.io.HadoopFiles;
import dev.sonnx.driver.train.DistributedTrainer;
import dev.sonnx.driver.train.TrainConfig;
import dev.sonnx.driver.train.TrainData;
import dev.sonnx.driver.train.TrainResult;
import dev.sonnx.jobs.cli.Job;
import dev.sonnx.jobs.cli.JobArgs;
import dev.sonnx.jobs.cli.JobRunner;
import dev.sonnx.jobs.data.DataSources;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.sql.SparkSession;

/**
 * Distributed fine-tuning of an ONNX model: {@code --model} (any Hadoop path) trained on {@code --data}
 * with the given ranks, optimizer and dist option, optionally cut and given a new head; writes
 * model.onnx, metrics.csv and loss-curve.png to {@code --output}.
 */
public final class FineTuneJob implements Job<FineTuneJob.Settings> {

    /** What the command line asked for. */
    public record Settings(String model, DataSources.Spec data, int ranks, TrainConfig config, String output) {
    }

    public static void main(String[] args) {
        JobRunner.main(new FineTuneJob(), args);
    }

    @Override
    public String name() {
        return "finetune";
    }

    @Override
    public String usage() {
        return "  --model PATH.onnx --output DIR\n" + JobArgs.DATA_USAGE + JobArgs.TRAIN_USAGE;
    }

    @Override
    public Set<String> switches() {
        return JobArgs.TRAIN_SWITCHES;
    }

    @Override
    public Settings settings(JobArgs a) {
        return new Settings(a.require("model"), a.data("", true), a.ranks(), a.trainConfig(), a.require("output"));
    }

    @Override
    public void run(Settings s, SparkSession spark, PrintStream out) throws Exception {
        TrainResult r = fineTune(spark, s.model(), s.data(), s.ranks(), s.config(), s.output(), out);
        out.printf(Locale.ROOT, "fine-tuned %d steps in %.1f s; final loss %.4f; model: %s%n", r.steps(), r.seconds(),
                r.metrics().isEmpty() ? Double.NaN : r.metrics().get(r.metrics().size() - 1).loss(),
                HadoopFiles.resolve(s.output(), "model.onnx"));
    }

    /** Loads the model and the data, trains, writes the outputs: shared with the retraining pipeline. */
    static TrainResult fineTune(SparkSession spark, String modelPath, DataSources.Spec data, int ranks,
                                TrainConfig config, String output, PrintStream out) throws Exception {
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        ModelProto model = ModelIO.parse(files.read(modelPath), modelPath, null);
        DataSources.Loaded loaded = DataSources.load(spark, data);
        return fineTune(spark, model, loaded, ranks, config, output, out);
    }

    static TrainResult fineTune(SparkSession spark, ModelProto model, DataSources.Loaded loaded, int ranks,
                                TrainConfig config, String output, PrintStream out) throws Exception {
        if (loaded.labelCol() == null) {
            throw new IllegalArgumentException("the training data has no label column (name it with --label-col)");
        }
        TrainData train = new TrainData(loaded.rows(), loaded.featuresCol(), loaded.labelCol(), loaded.keyCol());
        return new DistributedTrainer(spark.sparkContext(), Logs.to(out)).fit(model, train, ranks, config, output);
    }
}
