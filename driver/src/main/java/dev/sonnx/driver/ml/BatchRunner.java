package dev.sonnx.driver.ml;

import dev.sonnx.driver.rank.RankDevices;
import dev.sonnx.runtime.backend.SingaRep;
import dev.sonnx.runtime.tensor.Device;
import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.io.Serializable;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Runs one partition through the executor's cached model in mini-batches, lazily (a batch at a time,
 * so a partition never sits in memory whole), appending the output cells to each input row.
 */
final class BatchRunner implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    /**
     * What the driver planned: the device setting, the input's per-row shape, the features column,
     * the batch size, the ONNX outputs in column order, and the derived columns.
     */
    record Plan(String device, int[] sampleShape, int column, int batch, List<String> outputs, boolean prediction,
                int topK) implements Serializable {
    }

    private final Broadcast<byte[]> model;
    private final Plan plan;

    BatchRunner(Broadcast<byte[]> model, Plan plan) {
        this.model = model;
        this.plan = plan;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        SingaRep rep = ExecutorModelCache.get(model.value(), device(plan.device(), TaskContext.get()));
        return new Iterator<>() {
            private final Batch batch = new Batch(rep);
            private final List<Row> in = new ArrayList<>(plan.batch());
            private Row[] out = new Row[0];
            private int next;

            @Override
            public boolean hasNext() {
                if (next < out.length) {
                    return true;
                }
                in.clear();
                while (rows.hasNext() && in.size() < plan.batch()) {
                    in.add(rows.next());
                }
                if (in.isEmpty()) {
                    return false;
                }
                out = batch.run(in);
                next = 0;
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return out[next++];
            }
        };
    }

    /**
     * The device a task runs on: {@code cpu} uses the task's cores ({@code spark.task.cpus}), so
     * concurrent tasks do not oversubscribe the executor; {@code auto} takes the task's GPU when Spark
     * assigned one.
     */
    static String device(String setting, TaskContext task) {
        if (task == null || !(setting.equals("auto") || setting.equals("cpu"))) {
            return setting;
        }
        String[] gpus = new String[0];
        ResourceInformation gpu = task.resourcesJMap().get("gpu");
        if (setting.equals("auto") && gpu != null) {
            gpus = gpu.addresses();
        }
        Device d = RankDevices.choose(gpus, task.cpus());
        return d.isHost() ? "cpu:" + d.threads() : d.name();
    }

    /** A row as errors name it: its cells, cut short. */
    private static String describe(Row r) {
        String s = r.mkString("[", ", ", "]");
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }

    /** One mini-batch's buffers: the input tensor, reused for every full batch. */
    private final class Batch {
        private final SingaRep rep;
        private final int sampleSize;
        private final Tensor full;

        Batch(SingaRep rep) {
            this.rep = rep;
            this.sampleSize = Arrays.stream(plan.sampleShape()).reduce(1, (a, b) -> a * b);
            this.full = input(plan.batch());
        }

        private Tensor input(int n) {
            int[] shape = new int[plan.sampleShape().length + 1];
            shape[0] = n;
            System.arraycopy(plan.sampleShape(), 0, shape, 1, plan.sampleShape().length);
            return Tensor.zeros(DataType.FLOAT, shape);
        }

        Row[] run(List<Row> in) {
            int n = in.size();
            Tensor x = n == plan.batch() ? full : input(n);
            FloatBuffer xf = x.floats();
            for (int i = 0; i < n; i++) {
                float[] f = RowFeatures.read(in.get(i), plan.column());
                if (f == null || f.length != sampleSize) {
                    throw new IllegalArgumentException("row " + describe(in.get(i)) + ": features "
                            + (f == null ? "are null" : "have " + f.length + " values")
                            + "; the model takes " + sampleSize + " " + Arrays.toString(plan.sampleShape()));
                }
                xf.put(i * sampleSize, f);
            }
            List<Tensor> outs = rep.run(List.of(x));
            Object[][] cells = new Object[n][];
            int extra = outs.size() + (plan.prediction() ? 1 : 0) + (plan.topK() > 0 ? 2 : 0);
            for (int i = 0; i < n; i++) {
                Row r = in.get(i);
                cells[i] = new Object[r.size() + extra];
                for (int c = 0; c < r.size(); c++) {
                    cells[i][c] = r.get(c);
                }
            }
            for (int o = 0; o < outs.size(); o++) {
                Tensor t = outs.get(o).toHost();
                if (t.rank() == 0 || t.dim(0) != n) {
                    throw new IllegalStateException("output '" + plan.outputs().get(o) + "' has shape "
                            + Arrays.toString(t.shape()) + "; batch inference needs the batch (" + n + ") first");
                }
                int per = t.size() / n;
                for (int i = 0; i < n; i++) {
                    cells[i][in.get(i).size() + o] = OutputCells.slice(t, i * per, per);
                }
            }
            if (plan.prediction() || plan.topK() > 0) {
                Tensor first = outs.get(0).toHost();
                int per = first.size() / n;
                float[] scores = new float[per];
                for (int i = 0; i < n; i++) {
                    OutputCells.floats(first, i * per, scores);
                    int at = in.get(i).size() + outs.size();
                    if (plan.prediction()) {
                        cells[i][at++] = (double) OutputCells.argMax(scores);
                    }
                    if (plan.topK() > 0) {
                        OutputCells.TopK top = OutputCells.topKSoftmax(scores, plan.topK());
                        cells[i][at++] = top.labels();
                        cells[i][at] = top.scores();
                    }
                }
            }
            // the cells hold copies: the outputs' memory serves the next batch
            outs.forEach(Tensor::release);
            Row[] result = new Row[n];
            for (int i = 0; i < n; i++) {
                result[i] = RowFactory.create(cells[i]);
            }
            return result;
        }
    }
}
