package dev.sonnx.jobs;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.when;

import dev.sonnx.driver.ml.OnnxModelTransformer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Top-1 accuracy of a model on labelled rows: the metric the retraining pipeline and the demo report. */
public final class Evaluation {
    private Evaluation() {
    }

    /** The share of rows whose prediction (the arg-max of the first output) equals the label. */
    public static double accuracy(byte[] model, Dataset<Row> rows, String featuresCol, String labelCol, int batch) {
        OnnxModelTransformer t = new OnnxModelTransformer(model).setFeaturesCol(featuresCol).setMiniBatchSize(batch)
                .setPredictionCol("__prediction");
        return accuracy(t.transform(rows), "__prediction", labelCol);
    }

    /** The share of rows where {@code predictionCol} equals {@code labelCol}; NaN for no rows. */
    public static double accuracy(Dataset<Row> predictions, String predictionCol, String labelCol) {
        Row r = predictions.agg(avg(when(col(predictionCol).equalTo(col(labelCol)), 1.0).otherwise(0.0))).first();
        return r.isNullAt(0) ? Double.NaN : r.getDouble(0);
    }
}
