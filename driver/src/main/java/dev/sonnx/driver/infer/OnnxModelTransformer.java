package dev.sonnx.driver.infer;

import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.onnx.proto.Onnx.TensorShapeProto;
import dev.sonnx.runtime.onnx.proto.Onnx.ValueInfoProto;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Batch inference over a DataFrame as a Spark ML {@code Transformer}: the feature column feeds the
 * model's first input (reshaped to its declared sample shape), rows run in mini-batches, and each ONNX
 * output becomes an {@code array<float>} column named after it (per row). The model is broadcast once
 * and prepared once per executor JVM.
 */
public final class OnnxModelTransformer extends Model<OnnxModelTransformer> {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final byte[] modelBytes;
    private final Param<String> featuresCol;
    private final IntParam miniBatchSize;
    private final Param<String> device;
    private final Param<String> outputPrefix;

    public OnnxModelTransformer(byte[] modelBytes) {
        this("onnx_" + UUID.randomUUID().toString().substring(0, 8), modelBytes);
    }

    public OnnxModelTransformer(String uid, byte[] modelBytes) {
        this.uid = uid;
        this.modelBytes = modelBytes.clone();
        this.featuresCol = new Param<>(this, "featuresCol", "column holding each row's features");
        this.miniBatchSize = new IntParam(this, "miniBatchSize", "rows per model run");
        this.device = new Param<>(this, "device", "cpu or cuda:N");
        this.outputPrefix = new Param<>(this, "outputPrefix", "prefix of the output columns");
        setDefault(featuresCol, "features");
        setDefault(miniBatchSize, (Object) 64);
        setDefault(device, "cpu");
        setDefault(outputPrefix, "");
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

    public byte[] modelBytes() {
        return modelBytes.clone();
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public OnnxModelTransformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        String col = getOrDefault(featuresCol);
        if (!Arrays.asList(schema.fieldNames()).contains(col)) {
            throw new IllegalArgumentException("input has no column '" + col + "' (columns: "
                    + String.join(", ", schema.fieldNames()) + ")");
        }
        SingaRep rep = ExecutorModelCache.get(modelBytes, "cpu");
        StructType out = schema;
        for (String name : rep.outputNames()) {
            out = out.add(new StructField(getOrDefault(outputPrefix) + name,
                    DataTypes.createArrayType(DataTypes.FloatType, false), true,
                    org.apache.spark.sql.types.Metadata.empty()));
        }
        return out;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType outSchema = transformSchema(dataset.schema());
        Broadcast<byte[]> model = JavaSparkContext.fromSparkContext(SparkSession.active().sparkContext())
                .broadcast(modelBytes);
        int column = Arrays.asList(dataset.schema().fieldNames()).indexOf(getOrDefault(featuresCol));
        int batch = (Integer) getOrDefault(miniBatchSize);
        return dataset.toDF().mapPartitions(new BatchRunner(model, column, batch,
                getOrDefault(device)), Encoders.row(outSchema));
    }

    /** Runs one partition in mini-batches with the executor's cached model. */
    private static final class BatchRunner implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final Broadcast<byte[]> model;
        private final int column;
        private final int batch;
        private final String device;

        BatchRunner(Broadcast<byte[]> model, int column, int batch, String device) {
            this.model = model;
            this.column = column;
            this.batch = Math.max(1, batch);
            this.device = device;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            SingaRep rep = ExecutorModelCache.get(model.value(), device);
            int[] sample = sampleShape(rep.inputs().get(0));
            int sampleSize = Arrays.stream(sample).reduce(1, (a, b) -> a * b);
            return new Iterator<>() {
                private final List<Row> pending = new ArrayList<>();
                private int next;

                @Override
                public boolean hasNext() {
                    if (next < pending.size()) {
                        return true;
                    }
                    pending.clear();
                    next = 0;
                    List<Row> in = new ArrayList<>();
                    while (rows.hasNext() && in.size() < batch) {
                        in.add(rows.next());
                    }
                    if (in.isEmpty()) {
                        return false;
                    }
                    pending.addAll(runBatch(rep, in, sample, sampleSize));
                    return true;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new java.util.NoSuchElementException();
                    }
                    return pending.get(next++);
                }
            };
        }

        private List<Row> runBatch(SingaRep rep, List<Row> in, int[] sample, int sampleSize) {
            int[] shape = new int[sample.length + 1];
            shape[0] = in.size();
            System.arraycopy(sample, 0, shape, 1, sample.length);
            Tensor x = Tensor.zeros(DataType.FLOAT, shape);
            var xf = x.floats();
            for (int i = 0; i < in.size(); i++) {
                float[] f = RowFeatures.read(in.get(i), column);
                if (f == null || f.length != sampleSize) {
                    throw new IllegalArgumentException("row " + i + " of a batch: features "
                            + (f == null ? "are null" : "have " + f.length + " values")
                            + "; the model takes " + sampleSize + " (" + Arrays.toString(sample) + ")");
                }
                xf.put(i * sampleSize, f);
            }
            List<Tensor> outs = rep.run(List.of(x));
            List<Row> result = new ArrayList<>(in.size());
            for (int i = 0; i < in.size(); i++) {
                Row r = in.get(i);
                Object[] cells = new Object[r.size() + outs.size()];
                for (int c = 0; c < r.size(); c++) {
                    cells[c] = r.get(c);
                }
                for (int o = 0; o < outs.size(); o++) {
                    Tensor t = outs.get(o);
                    int per = t.size() / Math.max(1, t.dim(0));
                    float[] v = new float[per];
                    for (int j = 0; j < per; j++) {
                        v[j] = t.getFloat(i * per + j);
                    }
                    cells[r.size() + o] = scala.jdk.javaapi.CollectionConverters.asScala(boxed(v)).toSeq();
                }
                result.add(RowFactory.create(cells));
            }
            return result;
        }

        private static List<Float> boxed(float[] v) {
            List<Float> l = new ArrayList<>(v.length);
            for (float f : v) {
                l.add(f);
            }
            return l;
        }
    }

    /** The per-row shape of a model input: its declared dims after the batch axis. */
    static int[] sampleShape(ValueInfoProto input) {
        TensorShapeProto s = input.getType().getTensorType().getShape();
        int[] r = new int[Math.max(0, s.getDimCount() - 1)];
        for (int i = 1; i < s.getDimCount(); i++) {
            if (!s.getDim(i).hasDimValue()) {
                throw new IllegalArgumentException("input '" + input.getName() + "' has a symbolic dimension " + i
                        + "; batch inference needs fixed sample dimensions");
            }
            r[i - 1] = (int) s.getDim(i).getDimValue();
        }
        return r;
    }
}
