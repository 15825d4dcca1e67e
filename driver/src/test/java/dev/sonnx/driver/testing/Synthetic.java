package dev.sonnx.driver.testing;

import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Test data: the shared MLP (64 features, 10 classes) and a learnable classification problem for it,
 * rows of (id, features, label) where the label is the arg-max of a fixed random projection.
 */
public final class Synthetic {
    public static final int FEATURES = 64;
    public static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.LongType, false)
            .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), true)
            .add("label", DataTypes.IntegerType, true);

    private Synthetic() {
    }

    public static Path shared() {
        return Path.of(System.getProperty("sonnx.shared", "../../shared"));
    }

    /** The shared MLP's file: input [N, 64], logits [N, 10]. */
    public static Path mlpFile() {
        return shared().resolve("train-ref/mlp/model.onnx");
    }

    public static ModelProto mlp() {
        return ModelIO.load(mlpFile());
    }

    /** {@code n} rows whose labels fall in {@code [0, classes)}. */
    public static List<Row> rows(int n, int classes, long seed) {
        SplittableRandom projection = new SplittableRandom(12345);
        float[][] w = new float[classes][FEATURES];
        for (float[] row : w) {
            for (int j = 0; j < FEATURES; j++) {
                row[j] = (float) (projection.nextDouble() * 2 - 1);
            }
        }
        SplittableRandom r = new SplittableRandom(seed);
        List<Row> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] f = new float[FEATURES];
            for (int j = 0; j < FEATURES; j++) {
                f[j] = (float) (r.nextDouble() * 2 - 1);
            }
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                double s = 0;
                for (int j = 0; j < FEATURES; j++) {
                    s += w[c][j] * f[j];
                }
                if (s > bestScore) {
                    bestScore = s;
                    best = c;
                }
            }
            rows.add(RowFactory.create((long) i, f, best));
        }
        return rows;
    }

    public static Dataset<Row> frame(SparkSession spark, List<Row> rows) {
        return spark.createDataFrame(rows, SCHEMA);
    }

    /** Writes {@code n} rows (10 classes) as Parquet under {@code dir}; returns its path. */
    public static String parquet(SparkSession spark, Path dir, int n, long seed) {
        String path = dir.resolve("data-" + seed + ".parquet").toString();
        frame(spark, rows(n, 10, seed)).write().parquet(path);
        return path;
    }

    /** Mean of the first and of the last {@code k} values. */
    public static double[] headAndTail(double[] values, int k) {
        double head = 0;
        double tail = 0;
        for (int i = 0; i < k; i++) {
            head += values[i];
            tail += values[values.length - 1 - i];
        }
        return new double[] {head / k, tail / k};
    }
}
