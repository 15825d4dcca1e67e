package dev.sonnx.driver.rank;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;

/**
 * One rank's training rows in native memory: features [n, sample shape...] (float32) and labels [n]
 * (int64). Mini-batches are copied into two buffers planned once, so a step allocates nothing.
 */
public final class Shard {
    private final Tensor features;
    private final Tensor labels;
    private final int[] sampleShape;
    private final int sampleSize;
    private final int badRows;
    private final String problem;

    /** {@code problem}: why this shard cannot be trained on (the first bad row), or null. */
    public Shard(Tensor features, Tensor labels, int[] sampleShape, int badRows, String problem) {
        this.features = features;
        this.labels = labels;
        this.sampleShape = sampleShape.clone();
        this.sampleSize = Arrays.stream(sampleShape).reduce(1, (a, b) -> a * b);
        this.badRows = badRows;
        this.problem = problem;
    }

    public int size() {
        return labels.size();
    }

    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** Rows that could not be read and were skipped. */
    public int badRows() {
        return badRows;
    }

    /** Why this shard cannot be trained on (a bad row, named), or null. */
    public String problem() {
        return problem;
    }

    /** Mini-batch buffers for {@code batch} rows, reused step after step. */
    public Batch newBatch(int batch) {
        int[] shape = new int[sampleShape.length + 1];
        shape[0] = batch;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        return new Batch(Tensor.zeros(DataType.FLOAT, shape), Tensor.zeros(DataType.INT64, batch));
    }

    /** Copies rows {@code order[from .. from + batch)} into {@code into}. */
    public void fill(Batch into, int[] order, int from) {
        FloatBuffer src = features.floats();
        FloatBuffer dst = into.x().floats();
        LongBuffer lsrc = labels.longs();
        LongBuffer ldst = into.y().longs();
        int n = into.y().size();
        for (int i = 0; i < n; i++) {
            int row = order[from + i];
            dst.put(i * sampleSize, src, row * sampleSize, sampleSize);
            ldst.put(i, lsrc.get(row));
        }
    }

    /** The first {@code n} rows as one batch (for tracing the model at export). */
    public Batch head(int n) {
        Batch b = newBatch(Math.min(n, size()));
        int[] order = new int[b.y().size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        fill(b, order, 0);
        return b;
    }

    /** A mini-batch: inputs and class labels. */
    public record Batch(Tensor x, Tensor y) {
    }
}
