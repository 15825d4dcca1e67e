package dev.sonnx.driver.rank;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Collects rows (a feature vector and a label each) into a {@link Shard}, checking each row's length,
 * values and label. A bad row is either skipped and counted, or (by default) ends the reading: the
 * shard then carries a problem that names the row, which the ranks agree on before training.
 */
public final class ShardBuilder {
    private final int[] sampleShape;
    private final int sampleSize;
    private final int classes;
    private final boolean skipBadRows;
    private float[] features = new float[0];
    private long[] labels = new long[0];
    private int rows;
    private int bad;
    private String problem;

    /** {@code classes} <= 0 skips the label range check. */
    public ShardBuilder(int[] sampleShape, int classes, boolean skipBadRows) {
        this.sampleShape = sampleShape.clone();
        this.sampleSize = Arrays.stream(sampleShape).reduce(1, (a, b) -> a * b);
        this.classes = classes;
        this.skipBadRows = skipBadRows;
    }

    /** Whether reading should stop: a bad row was found and bad rows are not skipped. */
    public boolean failed() {
        return problem != null;
    }

    /**
     * Adds one row; {@code rowId} names it in errors (its index or key). Returns false when the row
     * was bad.
     */
    public boolean add(Object rowId, float[] row, Long label) {
        String why = check(row, label);
        if (why == null) {
            append(row, label);
            return true;
        }
        reject(rowId, why);
        return false;
    }

    /** Counts a row that could not be read at all; {@code why} completes "row ID ...". */
    public void reject(Object rowId, String why) {
        bad++;
        if (!skipBadRows && problem == null) {
            problem = "bad training data: row " + rowId + " " + why + " (skip such rows with the skip-bad-rows option)";
        }
    }

    private String check(float[] row, Long label) {
        if (row == null) {
            return "has null features";
        }
        if (row.length != sampleSize) {
            return "has " + row.length + " features, the model takes " + sampleSize + " " + Arrays.toString(sampleShape);
        }
        for (int i = 0; i < row.length; i++) {
            if (!Float.isFinite(row[i])) {
                return "has a non-finite feature (" + row[i] + " at index " + i + ")";
            }
        }
        if (label == null) {
            return "has no label (null or not a whole number)";
        }
        if (classes > 0 && (label < 0 || label >= classes)) {
            return "has label " + label + ", outside [0, " + classes + ")";
        }
        return null;
    }

    private void append(float[] row, long label) {
        if (rows == labels.length) {
            int capacity = Math.max(64, labels.length * 2);
            labels = Arrays.copyOf(labels, capacity);
            features = Arrays.copyOf(features, Math.multiplyExact(capacity, sampleSize));
        }
        System.arraycopy(row, 0, features, rows * sampleSize, sampleSize);
        labels[rows++] = label;
    }

    public Shard build() {
        int[] shape = new int[sampleShape.length + 1];
        shape[0] = rows;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        Tensor x = Tensor.zeros(DataType.FLOAT, shape);
        Tensor y = Tensor.zeros(DataType.INT64, rows);
        FloatBuffer xf = x.floats();
        xf.put(0, features, 0, rows * sampleSize);
        y.longs().put(0, labels, 0, rows);
        features = new float[0];
        labels = new long[0];
        return new Shard(x, y, sampleShape, bad, problem);
    }

    /** Rows skipped (or, when not skipping, found) as bad. */
    public int badRows() {
        return bad;
    }
}
