package dev.sonnx.driver.ml;

import dev.sonnx.driver.train.TrainResult;
import dev.sonnx.runtime.SonnxException;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.onnx.proto.Onnx.ModelProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Batch inference over a DataFrame as a Spark ML {@code Transformer} (the {@code Model} an
 * {@link OnnxFineTuner} fits, usable alone or in a {@code Pipeline}). The features column feeds the
 * model's one input (reshaped to its declared sample shape); rows run in mini-batches; each ONNX output
 * becomes a column named after it (prefixed by {@code outputPrefix}) holding the row's slice,
 * flattened; {@code predictionCol} gets the first output's arg-max (a double, as Spark ML evaluators
 * expect) and, with {@code topK} > 0, {@code topKLabelsCol}/{@code topKScoresCol} get its k best
 * classes and their softmax probabilities. The model is broadcast once and prepared once per
 * executor JVM ({@link ExecutorModelCache}).
 */
public final class OnnxModelTransformer extends Model<OnnxModelTransformer> {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final byte[] modelBytes;
    private transient ModelProto parsed;
    private transient TrainResult summary;

    private final Param<String> featuresCol;
    private final IntParam miniBatchSize;
    private final Param<String> device;
    private final Param<String> outputPrefix;
    private final Param<String> predictionCol;
    private final IntParam topK;
    private final Param<String> topKLabelsCol;
    private final Param<String> topKScoresCol;

    public OnnxModelTransformer(byte[] modelBytes) {
        this("onnx_" + UUID.randomUUID().toString().substring(0, 8), modelBytes);
    }

    public OnnxModelTransformer(String uid, byte[] modelBytes) {
        this.uid = uid;
        this.modelBytes = modelBytes.clone();
        // Params name their owner by uid, so they are created once the uid is known.
        this.featuresCol = new Param<>(this, "featuresCol", "column feeding the model input");
        this.miniBatchSize = new IntParam(this, "miniBatchSize", "rows per model run",
                ParamValidators.gtEq(1));
        this.device = new Param<>(this, "device",
                "cpu, cuda:N, or auto (the task's GPU when Spark assigned one, else the CPU)");
        this.outputPrefix = new Param<>(this, "outputPrefix", "prefix of the ONNX output columns");
        this.predictionCol = new Param<>(this, "predictionCol",
                "column of the first output's arg-max (empty: none)");
        this.topK = new IntParam(this, "topK", "best classes to list (0: none)", ParamValidators.gtEq(0));
        this.topKLabelsCol = new Param<>(this, "topKLabelsCol", "column of the k best classes");
        this.topKScoresCol = new Param<>(this, "topKScoresCol",
                "column of the k best classes' softmax probabilities");
        setDefault(featuresCol, "features");
        setDefault(miniBatchSize, (Object) 64);
        setDefault(device, "cpu");
        setDefault(outputPrefix, "");
        setDefault(predictionCol, "prediction");
        setDefault(topK, (Object) 0);
        setDefault(topKLabelsCol, "topk_labels");
        setDefault(topKScoresCol, "topk_scores");
    }

    // Spark ML finds params through public no-argument methods that return them.
    public Param<String> featuresCol() {
        return featuresCol;
    }

    public IntParam miniBatchSize() {
        return miniBatchSize;
    }

    public Param<String> device() {
        return device;
    }

    public Param<String> outputPrefix() {
        return outputPrefix;
    }

    public Param<String> predictionCol() {
        return predictionCol;
    }

    public IntParam topK() {
        return topK;
    }

    public Param<String> topKLabelsCol() {
        return topKLabelsCol;
    }

    public Param<String> topKScoresCol() {
        return topKScoresCol;
    }

    public OnnxModelTransformer setFeaturesCol(String v) {
        set(featuresCol, v);
        return this;
    }

    public OnnxModelTransformer setMiniBatchSize(int v) {
        set(miniBatchSize, (Object) v);
        return this;
    }

    public OnnxModelTransformer setDevice(String v) {
        set(device, v);
        return this;
    }

    public OnnxModelTransformer setOutputPrefix(String v) {
        set(outputPrefix, v);
        return this;
    }

    public OnnxModelTransformer setPredictionCol(String v) {
        set(predictionCol, v);
        return this;
    }

    public OnnxModelTransformer setTopK(int k) {
        set(topK, (Object) k);
        return this;
    }

    public OnnxModelTransformer setTopKCols(String labels, String scores) {
        set(topKLabelsCol, labels);
        set(topKScoresCol, scores);
        return this;
    }

    public byte[] modelBytes() {
        return modelBytes.clone();
    }

    /** The ONNX model this transformer runs. */
    public ModelProto model() {
        if (parsed == null) {
            parsed = ModelIO.parse(modelBytes, uid + " model", null);
        }
        return parsed;
    }

    /** The training run that produced this model, when an {@link OnnxFineTuner} fitted it in this JVM. */
    public TrainResult summary() {
        if (summary == null) {
            throw new IllegalStateException("no training summary: this transformer was not fitted in this JVM");
        }
        return summary;
    }

    public boolean hasSummary() {
        return summary != null;
    }

    OnnxModelTransformer withSummary(TrainResult r) {
        this.summary = r;
        return this;
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public OnnxModelTransformer copy(ParamMap extra) {
        OnnxModelTransformer c = copyValues(new OnnxModelTransformer(uid, modelBytes), extra);
        c.summary = summary;
        return c.setParent(parent());
    }

    @Override
    public StructType transformSchema(StructType schema) {
        String col = $(featuresCol);
        if (!Arrays.asList(schema.fieldNames()).contains(col)) {
            throw new IllegalArgumentException("input has no column '" + col + "' (columns: "
                    + String.join(", ", schema.fieldNames()) + ")");
        }
        if (!RowFeatures.readable(schema.apply(col).dataType())) {
            throw new IllegalArgumentException("column '" + col + "' is " + schema.apply(col).dataType().simpleString()
                    + "; expected an array of numbers, a vector, binary or an image");
        }
        ModelInputs.sampleShape(model(), "batch inference");
        StructType out = schema;
        List<ValueInfoProto> outputs = model().getGraph().getOutputList();
        for (ValueInfoProto o : outputs) {
            out = add(out, $(outputPrefix) + o.getName(), DataTypes.createArrayType(sparkType(o), false));
        }
        if (!$(predictionCol).isEmpty()) {
            out = add(out, $(predictionCol), DataTypes.DoubleType);
        }
        if ((Integer) $(topK) > 0) {
            out = add(out, $(topKLabelsCol), DataTypes.createArrayType(DataTypes.IntegerType, false));
            out = add(out, $(topKScoresCol), DataTypes.createArrayType(DataTypes.FloatType, false));
        }
        return out;
    }

    private static StructType add(StructType schema, String name, org.apache.spark.sql.types.DataType type) {
        if (Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new IllegalArgumentException("output column '" + name + "' already exists in the input;"
                    + " set outputPrefix or rename it");
        }
        return schema.add(new StructField(name, type, false, org.apache.spark.sql.types.Metadata.empty()));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType outSchema = transformSchema(dataset.schema());
        List<String> outputs = model().getGraph().getOutputList().stream().map(ValueInfoProto::getName).toList();
        Broadcast<byte[]> model = JavaSparkContext.fromSparkContext(SparkSession.active().sparkContext())
                .broadcast(modelBytes);
        BatchRunner.Plan plan = new BatchRunner.Plan($(device), ModelInputs.sampleShape(model(), "batch inference"),
                Arrays.asList(dataset.schema().fieldNames()).indexOf($(featuresCol)), (Integer) $(miniBatchSize),
                new ArrayList<>(outputs), !$(predictionCol).isEmpty(), (Integer) $(topK));
        return dataset.toDF().mapPartitions(new BatchRunner(model, plan), Encoders.row(outSchema));
    }

    private static org.apache.spark.sql.types.DataType sparkType(ValueInfoProto output) {
        int code = output.getType().getTensorType().getElemType();
        DataType t = DataType.fromCode(code);
        return switch (t) {
            case FLOAT -> DataTypes.FloatType;
            case DOUBLE -> DataTypes.DoubleType;
            case INT32 -> DataTypes.IntegerType;
            case INT64 -> DataTypes.LongType;
            default -> throw new SonnxException("output '" + output.getName() + "' is " + t
                    + "; batch inference writes float, double, int32 and int64 outputs");
        };
    }
}
