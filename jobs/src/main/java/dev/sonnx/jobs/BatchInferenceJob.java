package dev.sonnx.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.monotonically_increasing_id;

import dev.sonnx.driver.io.HadoopFiles;
import dev.sonnx.driver.ml.OnnxModelTransformer;
import dev.sonnx.jobs.cli.Job;
import dev.sonnx.jobs.cli.JobArgs;
import dev.sonnx.jobs.cli.JobRunner;
import dev.sonnx.jobs.data.DataSources;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Batch inference: {@code --model} over {@code --data}, written as Parquet to {@code --output}: the
 * input key, the label when the data has one, the prediction, and the top-k labels and softmax scores
 * (optionally the raw ONNX outputs too). Reports rows per second and, with labels, the accuracy.
 */
public final class BatchInferenceJob implements Job<BatchInferenceJob.Settings> {

    /** What the command line asked for. */
    public record Settings(String model, DataSources.Spec data, String output, int topK, int batch, String device,
                           boolean overwrite, boolean withOutputs) {
    }

    public static void main(String[] args) {
        JobRunner.main(new BatchInferenceJob(), args);
    }

    @Override
    public String name() {
        return "infer";
    }

    @Override
    public String usage() {
        return "  --model PATH.onnx --output PATH.parquet [--overwrite]\n" + JobArgs.DATA_USAGE
                + "  --top-k K (5)  --batch-size N (256)  --device cpu|auto|cuda:N  --with-outputs\n";
    }

    @Override
    public Set<String> switches() {
        return Set.of("overwrite", "with-outputs");
    }

    @Override
    public Settings settings(JobArgs a) {
        return new Settings(a.require("model"), a.data("", true), a.require("output"), a.getInt("top-k", 5),
                a.getInt("batch-size", 256), a.get("device", "cpu"), a.flag("overwrite"), a.flag("with-outputs"));
    }

    @Override
    public void run(Settings s, SparkSession spark, PrintStream out) throws Exception {
        byte[] model = new HadoopFiles(spark.sparkContext().hadoopConfiguration()).read(s.model());
        DataSources.Loaded data = DataSources.load(spark, s.data());
        Dataset<Row> rows = data.rows();
        String key = data.keyCol();
        if (key == null) {
            key = "row_id";
            rows = rows.withColumn(key, monotonically_increasing_id());
        }
        OnnxModelTransformer t = new OnnxModelTransformer(model).setFeaturesCol(data.featuresCol())
                .setMiniBatchSize(s.batch()).setDevice(s.device()).setTopK(s.topK()).setTopKCols("top_labels", "top_scores");
        List<Column> keep = new ArrayList<>(List.of(col(key)));
        if (data.labelCol() != null) {
            keep.add(col(data.labelCol()));
        }
        keep.add(col("prediction"));
        if (s.topK() > 0) {
            keep.add(col("top_labels"));
            keep.add(col("top_scores"));
        }
        if (s.withOutputs()) {
            for (ValueInfoProto o : ModelIO.parse(model).getGraph().getOutputList()) {
                keep.add(col(o.getName()));
            }
        }
        long start = System.nanoTime();
        t.transform(rows).select(keep.toArray(new Column[0])).write()
                .mode(s.overwrite() ? SaveMode.Overwrite : SaveMode.ErrorIfExists).parquet(s.output());
        double seconds = (System.nanoTime() - start) / 1e9;
        Dataset<Row> written = spark.read().parquet(s.output());
        long n = written.count();
        out.printf(Locale.ROOT, "wrote %d predictions to %s in %.1f s (%.0f rows/s)%n", n, s.output(), seconds,
                n / seconds);
        if (data.labelCol() != null) {
            out.printf(Locale.ROOT, "accuracy: %.4f%n", Evaluation.accuracy(written, "prediction", data.labelCol()));
        }
    }
}
