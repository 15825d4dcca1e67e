package dev.sonnx.driver.ml;

import dev.sonnx.driver.train.DistributedTrainer;
import dev.sonnx.driver.train.TrainConfig;
import dev.sonnx.driver.train.TrainData;
import dev.sonnx.driver.train.TrainResult;
import dev.sonnx.runtime.onnx.ModelIO;
import dev.sonnx.runtime.opt.DistOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.UUID;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.FloatParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Distributed fine-tuning of an ONNX model as a Spark ML {@code Estimator}: {@code fit} runs the
 * barrier-mode training of {@link DistributedTrainer} on the features and label columns and returns
 * an {@link OnnxModelTransformer} of the merged model (reading the same features column), so the two
 * sit in a {@code Pipeline} like any other estimator and model.
 */
public final class OnnxFineTuner extends Estimator<OnnxModelTransformer> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(OnnxFineTuner.class);

    private final String uid;
    private final byte[] modelBytes;

    private final Param<String> featuresCol;
    private final Param<String> labelCol;
    private final IntParam ranks;
    private final IntParam epochs;
    private final IntParam batchSize;
    private final Param<String> optimizer;
    private final DoubleParam learningRate;
    private final DoubleParam momentum;
    private final DoubleParam weightDecay;
    private final Param<String> distOption;
    private final FloatParam spars;
    private final IntParam lastLayers;
    private final IntParam headClasses;
    private final BooleanParam freezeImported;
    private final Param<String> checkpointDir;
    private final IntParam checkpointEvery;
    private final Param<String> outputDir;
    private final BooleanParam skipBadRows;
    private final LongParam seed;

    public OnnxFineTuner(byte[] modelBytes) {
        this("onnx_finetune_" + UUID.randomUUID().toString().substring(0, 8), modelBytes);
    }

    public OnnxFineTuner(String uid, byte[] modelBytes) {
        this.uid = uid;
        this.modelBytes = modelBytes.clone();
        // Params name their owner by uid, so they are created once the uid is known.
        this.featuresCol = new Param<>(this, "featuresCol", "column of the features");
        this.labelCol = new Param<>(this, "labelCol", "column of the class labels");
        this.ranks = new IntParam(this, "ranks", "data-parallel ranks (barrier tasks)",
                ParamValidators.gtEq(1));
        this.epochs = new IntParam(this, "epochs", "passes over the data", ParamValidators.gtEq(1));
        this.batchSize = new IntParam(this, "batchSize", "rows per step on each rank",
                ParamValidators.gtEq(1));
        this.optimizer = new Param<>(this, "optimizer", "sgd, nesterov, adam or adamw");
        this.learningRate = new DoubleParam(this, "learningRate", "learning rate",
                ParamValidators.gt(0));
        this.momentum = new DoubleParam(this, "momentum", "SGD momentum", ParamValidators.gtEq(0));
        this.weightDecay = new DoubleParam(this, "weightDecay", "L2 weight decay",
                ParamValidators.gtEq(0));
        this.distOption = new Param<>(this, "distOption",
                "fp32, fp16, partialUpdate, sparseTopK or sparseThreshold");
        this.spars = new FloatParam(this, "spars", "fraction (sparseTopK) or threshold"
                + " (sparseThreshold) of gradient elements sent");
        this.lastLayers = new IntParam(this, "lastLayers", "graph cut, SINGA's sense (-1: none)");
        this.headClasses = new IntParam(this, "headClasses", "classes of a new Linear head (0: none)",
                ParamValidators.gtEq(0));
        this.freezeImported = new BooleanParam(this, "freezeImported",
                "train only the new head");
        this.checkpointDir = new Param<>(this, "checkpointDir",
                "Hadoop path of the checkpoints (empty: none)");
        this.checkpointEvery = new IntParam(this, "checkpointEvery", "steps between checkpoints",
                ParamValidators.gtEq(0));
        this.outputDir = new Param<>(this, "outputDir",
                "Hadoop path receiving model.onnx, metrics.csv and loss-curve.png (empty: none)");
        this.skipBadRows = new BooleanParam(this, "skipBadRows",
                "skip and count unreadable rows instead of failing");
        this.seed = new LongParam(this, "seed", "seed of shuffling and new layers");
        setDefault(featuresCol, "features");
        setDefault(labelCol, "label");
        setDefault(ranks, (Object) 2);
        setDefault(epochs, (Object) 1);
        setDefault(batchSize, (Object) 32);
        setDefault(optimizer, "sgd");
        setDefault(learningRate, (Object) 0.01);
        setDefault(momentum, (Object) 0.9);
        setDefault(weightDecay, (Object) 0.0);
        setDefault(distOption, "fp32");
        setDefault(spars, (Object) 0.05f);
        setDefault(lastLayers, (Object) (-1));
        setDefault(headClasses, (Object) 0);
        setDefault(freezeImported, (Object) false);
        setDefault(checkpointDir, "");
        setDefault(checkpointEvery, (Object) 0);
        setDefault(outputDir, "");
        setDefault(skipBadRows, (Object) false);
        setDefault(seed, (Object) 0L);
    }

    // Spark ML finds params through public no-argument methods that return them.
    public Param<String> featuresCol() {
        return featuresCol;
    }

    public Param<String> labelCol() {
        return labelCol;
    }

    public IntParam ranks() {
        return ranks;
    }

    public IntParam epochs() {
        return epochs;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public Param<String> optimizer() {
        return optimizer;
    }

    public DoubleParam learningRate() {
        return learningRate;
    }

    public DoubleParam momentum() {
        return momentum;
    }

    public DoubleParam weightDecay() {
        return weightDecay;
    }

    public Param<String> distOption() {
        return distOption;
    }

    public FloatParam spars() {
        return spars;
    }

    public IntParam lastLayers() {
        return lastLayers;
    }

    public IntParam headClasses() {
        return headClasses;
    }

    public BooleanParam freezeImported() {
        return freezeImported;
    }

    public Param<String> checkpointDir() {
        return checkpointDir;
    }

    public IntParam checkpointEvery() {
        return checkpointEvery;
    }

    public Param<String> outputDir() {
        return outputDir;
    }

    public BooleanParam skipBadRows() {
        return skipBadRows;
    }

    public LongParam seed() {
        return seed;
    }

    public OnnxFineTuner setFeaturesCol(String v) {
        set(featuresCol, v);
        return this;
    }

    public OnnxFineTuner setLabelCol(String v) {
        set(labelCol, v);
        return this;
    }

    public OnnxFineTuner setRanks(int v) {
        set(ranks, (Object) v);
        return this;
    }

    public OnnxFineTuner setEpochs(int v) {
        set(epochs, (Object) v);
        return this;
    }

    public OnnxFineTuner setBatchSize(int v) {
        set(batchSize, (Object) v);
        return this;
    }

    public OnnxFineTuner setOptimizer(String name, double lr) {
        set(optimizer, name);
        set(learningRate, (Object) lr);
        return this;
    }

    public OnnxFineTuner setMomentum(double v) {
        set(momentum, (Object) v);
        return this;
    }

    public OnnxFineTuner setWeightDecay(double v) {
        set(weightDecay, (Object) v);
        return this;
    }

    public OnnxFineTuner setDistOption(String option, float sparsity) {
        DistOption.parse(option);
        set(distOption, option);
        set(spars, (Object) sparsity);
        return this;
    }

    /** Cuts the graph ({@code lastLayers}) and adds a Linear head of {@code classes} outputs. */
    public OnnxFineTuner setTransfer(int cut, int classes, boolean freeze) {
        set(lastLayers, (Object) cut);
        set(headClasses, (Object) classes);
        set(freezeImported, (Object) freeze);
        return this;
    }

    public OnnxFineTuner setCheckpoints(String dir, int every) {
        set(checkpointDir, dir);
        set(checkpointEvery, (Object) every);
        return this;
    }

    public OnnxFineTuner setOutputDir(String dir) {
        set(outputDir, dir);
        return this;
    }

    public OnnxFineTuner setSkipBadRows(boolean v) {
        set(skipBadRows, (Object) v);
        return this;
    }

    public OnnxFineTuner setSeed(long v) {
        set(seed, (Object) v);
        return this;
    }

    /** The training settings these params describe. */
    public TrainConfig trainConfig() {
        TrainConfig.Builder b = TrainConfig.builder()
                .epochs((Integer) $(epochs))
                .batchSize((Integer) $(batchSize))
                .optimizer($(optimizer), (Double) $(learningRate), (Double) $(momentum), (Double) $(weightDecay))
                .distOption(DistOption.parse($(distOption)), (Float) $(spars))
                .transfer((Integer) $(lastLayers), (Integer) $(headClasses), (Boolean) $(freezeImported))
                .skipBadRows((Boolean) $(skipBadRows))
                .seed((Long) $(seed));
        if (!$(checkpointDir).isEmpty()) {
            b.checkpoints($(checkpointDir), (Integer) $(checkpointEvery));
        }
        return b.build();
    }

    @Override
    public OnnxModelTransformer fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        TrainData data = TrainData.of(dataset.toDF(), $(featuresCol), $(labelCol));
        TrainResult result;
        try {
            result = new DistributedTrainer(dataset.sparkSession().sparkContext(), LOG::info)
                    .fit(ModelIO.parse(modelBytes, uid + " model", null), data, (Integer) $(ranks), trainConfig(),
                            $(outputDir).isEmpty() ? null : $(outputDir));
        } catch (IOException e) {
            throw new UncheckedIOException("fine-tuning " + uid + ": " + e.getMessage(), e);
        }
        OnnxModelTransformer model = new OnnxModelTransformer(uid, result.model().toByteArray())
                .setFeaturesCol($(featuresCol)).withSummary(result);
        return model.setParent(this);
    }

    /** Checks the columns; the schema itself passes through (fitting adds no columns). */
    @Override
    public StructType transformSchema(StructType schema) {
        for (String col : new String[] {$(featuresCol), $(labelCol)}) {
            if (!Arrays.asList(schema.fieldNames()).contains(col)) {
                throw new IllegalArgumentException("the training data has no column '" + col + "' (columns: "
                        + String.join(", ", schema.fieldNames()) + ")");
            }
        }
        return schema;
    }

    @Override
    public OnnxFineTuner copy(ParamMap extra) {
        return copyValues(new OnnxFineTuner(uid, modelBytes), extra);
    }

    @Override
    public String uid() {
        return uid;
    }
}
