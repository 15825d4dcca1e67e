package dev.sonnx.jobs.data;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.split;
import static org.apache.spark.sql.functions.trim;

import dev.sonnx.driver.io.HadoopFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Reads the jobs' datasets into DataFrames with a features column, a label column (when the data
 * has labels) and a key column:
 * <ul>
 * <li>{@code parquet}: columns as they are (features: an array of numbers, a vector, binary pixels or
 * an image struct);</li>
 * <li>{@code csv} (with a header): the features column may hold numbers separated by spaces, commas or
 * semicolons (brackets allowed); without one, every other numeric column is a feature, in order;</li>
 * <li>{@code idx}: an IDX image file ({@code --data}) and optionally its label file ({@code --labels}),
 * as {@code id}, {@code image} (binary pixels) and {@code label};</li>
 * <li>{@code image}: a folder read by Spark's image source; the key is the file, the label the name of
 * the file's folder when it is a number ({@code DIR/3/x.png}).</li>
 * </ul>
 */
public final class DataSources {
    private DataSources() {
    }

    /** Where the data is and which columns mean what (null: the format's default). */
    public record Spec(String path, String format, String labels, String featuresCol, String labelCol,
                       String keyCol) {
    }

    /** A dataset with the names of its columns; {@code labelCol} or {@code keyCol} null when absent. */
    public record Loaded(Dataset<Row> rows, String featuresCol, String labelCol, String keyCol) {
    }

    public static Loaded load(SparkSession spark, Spec spec) throws IOException {
        String format = spec.format() != null ? spec.format().toLowerCase(Locale.ROOT) : guessFormat(spec.path());
        return switch (format) {
            case "parquet" -> columns(spark.read().parquet(spec.path()), spec, "features");
            case "csv" -> csv(spark, spec);
            case "idx" -> idx(spark, spec);
            case "image" -> image(spark, spec);
            default -> throw new IllegalArgumentException("unknown data format '" + spec.format()
                    + "' (parquet, csv, idx or image)");
        };
    }

    static String guessFormat(String path) {
        String p = path.toLowerCase(Locale.ROOT);
        if (p.endsWith(".csv") || p.endsWith(".csv.gz")) {
            return "csv";
        }
        if (p.contains("idx") || p.endsWith("-ubyte.gz") || p.endsWith("-ubyte")) {
            return "idx";
        }
        return "parquet";
    }

    /** Checks the columns the spec names and fills in the defaults the data offers. */
    private static Loaded columns(Dataset<Row> df, Spec spec, String defaultFeatures) {
        List<String> names = Arrays.asList(df.columns());
        String features = spec.featuresCol() != null ? spec.featuresCol() : defaultFeatures;
        if (!names.contains(features)) {
            throw new IllegalArgumentException(spec.path() + " has no features column '" + features + "' (columns: "
                    + String.join(", ", names) + "); name it with --features-col");
        }
        String label = spec.labelCol() != null ? spec.labelCol() : "label";
        if (!names.contains(label)) {
            if (spec.labelCol() != null) {
                throw new IllegalArgumentException(spec.path() + " has no label column '" + label + "' (columns: "
                        + String.join(", ", names) + ")");
            }
            label = null;
        }
        String key = spec.keyCol() != null ? spec.keyCol() : "id";
        if (!names.contains(key)) {
            if (spec.keyCol() != null) {
                throw new IllegalArgumentException(spec.path() + " has no key column '" + key + "' (columns: "
                        + String.join(", ", names) + ")");
            }
            key = null;
        }
        return new Loaded(df, features, label, key);
    }

    private static Loaded csv(SparkSession spark, Spec spec) {
        Dataset<Row> df = spark.read().option("header", "true").option("inferSchema", "true").csv(spec.path());
        String features = spec.featuresCol() != null ? spec.featuresCol() : "features";
        StructType schema = df.schema();
        if (Arrays.asList(df.columns()).contains(features)) {
            StructField f = schema.apply(features);
            if (f.dataType() instanceof StringType) {
                // "[0.1, 0.2]", "0.1;0.2" or "0.1 0.2" -> array<float>
                Column text = trim(regexp_replace(col(features), "[\\[\\]]", ""));
                df = df.withColumn(features, split(text, "[;,\\s]+").cast(DataTypes.createArrayType(DataTypes.FloatType)));
            }
            return columns(df, spec, features);
        }
        String label = spec.labelCol() != null ? spec.labelCol() : "label";
        String key = spec.keyCol() != null ? spec.keyCol() : "id";
        List<Column> numeric = new ArrayList<>();
        for (StructField f : schema.fields()) {
            if (f.dataType() instanceof NumericType && !f.name().equals(label) && !f.name().equals(key)) {
                numeric.add(col(f.name()).cast(DataTypes.FloatType));
            }
        }
        if (numeric.isEmpty()) {
            throw new IllegalArgumentException(spec.path() + " has no features column '" + features
                    + "' and no numeric columns besides the label and key (columns: "
                    + String.join(", ", df.columns()) + ")");
        }
        df = df.withColumn(features, array(numeric.toArray(new Column[0])));
        return columns(df, spec, features);
    }

    private static Loaded idx(SparkSession spark, Spec spec) throws IOException {
        HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
        IdxFiles.Images images = IdxFiles.readImages(files.open(spec.path()), spec.path());
        int[] labels = spec.labels() == null ? null : IdxFiles.readLabels(files.open(spec.labels()), spec.labels());
        if (labels != null && labels.length != images.count()) {
            throw new IllegalArgumentException(spec.labels() + " has " + labels.length + " labels for the "
                    + images.count() + " images of " + spec.path());
        }
        StructType schema = new StructType().add("id", DataTypes.LongType, false).add("image", DataTypes.BinaryType, false);
        if (labels != null) {
            schema = schema.add("label", DataTypes.IntegerType, false);
        }
        List<Row> rows = new ArrayList<>(images.count());
        for (int i = 0; i < images.count(); i++) {
            rows.add(labels == null ? RowFactory.create((long) i, images.pixels()[i])
                    : RowFactory.create((long) i, images.pixels()[i], labels[i]));
        }
        // Slices of about half a megabyte: the rows travel inside the tasks.
        long bytes = (long) images.count() * images.rows() * images.cols();
        int slices = (int) Math.max(spark.sparkContext().defaultParallelism(), Math.min(1024, bytes >> 19));
        Dataset<Row> df = spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(rows, slices), schema);
        return columns(df, new Spec(spec.path(), "idx", spec.labels(), spec.featuresCol(),
                labels == null ? null : spec.labelCol(), spec.keyCol()), "image");
    }

    private static Loaded image(SparkSession spark, Spec spec) {
        Dataset<Row> df = spark.read().format("image").option("dropInvalid", "true").load(spec.path())
                .withColumn("path", col("image.origin"));
        Column folder = regexp_extract(col("path"), "/([0-9]+)/[^/]+$", 1);
        df = df.withColumn("label", org.apache.spark.sql.functions.when(folder.notEqual(""),
                folder.cast(DataTypes.IntegerType)));
        boolean labelled = !df.filter(col("label").isNotNull()).isEmpty();
        if (!labelled) {
            df = df.drop("label");
        }
        return columns(df, new Spec(spec.path(), "image", null, spec.featuresCol(),
                labelled ? spec.labelCol() : null, spec.keyCol() != null ? spec.keyCol() : "path"), "image");
    }
}
