package dev.sonnx.jobs;

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
 * The jobs' test fixtures: one local Spark session for the JVM, the shared MLP (64 features, 10
 * classes), and rows (id, features, label) of a learnable problem: the label is the arg-max of a fixed
 * random projection of the features.
 */
final class TestData {
    static final int FEATURES = 64;
    private static SparkSession session;

    private TestData() {
    }

    static synchronized SparkSession spark() {
        if (session == null || session.sparkContext().isStopped()) {
            session = SparkSession.builder().master("local[4,2]").appName("sonnx-jobs-tests")
                    .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "4").getOrCreate();
        }
        return session;
    }

    static Path mlp() {
        return Path.of(System.getProperty("sonnx.shared", "../../shared"), "train-ref/mlp/model.onnx");
    }

    static List<Row> rows(int n, long seed) {
        SplittableRandom projection = new SplittableRandom(12345);
        float[][] w = new float[10][FEATURES];
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
            rows.add(RowFactory.create((long) i, f, argMax(w, f)));
        }
        return rows;
    }

    static int argMax(float[][] w, float[] f) {
        int best = 0;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < w.length; c++) {
            double s = 0;
            for (int j = 0; j < f.length; j++) {
                s += w[c][j] * f[j];
            }
            if (s > bestScore) {
                bestScore = s;
                best = c;
            }
        }
        return best;
    }

    static Dataset<Row> frame(List<Row> rows) {
        StructType schema = new StructType().add("id", DataTypes.LongType, false)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false)
                .add("label", DataTypes.IntegerType, false);
        return spark().createDataFrame(rows, schema);
    }

    /** Writes {@code n} rows as Parquet under {@code dir}; returns the path. */
    static String parquet(Path dir, int n, long seed) {
        String path = dir.resolve("data-" + seed + ".parquet").toString();
        frame(rows(n, seed)).write().parquet(path);
        return path;
    }
}
