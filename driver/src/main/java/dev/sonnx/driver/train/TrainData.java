package dev.sonnx.driver.train;

import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Training rows and which columns hold what: the features (an array of numbers, an ML vector, binary
 * pixels or an image struct), the integer class label, and optionally a key that names a bad row in
 * errors (without one, a row is named by its position in its partition).
 */
public record TrainData(Dataset<Row> rows, String featuresCol, String labelCol, String keyCol) {

    public TrainData {
        Objects.requireNonNull(rows, "rows");
        Objects.requireNonNull(featuresCol, "featuresCol");
        Objects.requireNonNull(labelCol, "labelCol");
    }

    public static TrainData of(Dataset<Row> rows, String featuresCol, String labelCol) {
        return new TrainData(rows, featuresCol, labelCol, null);
    }

    public TrainData withKey(String column) {
        return new TrainData(rows, featuresCol, labelCol, column);
    }
}
