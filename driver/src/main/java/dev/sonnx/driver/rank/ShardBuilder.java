package dev.sonnx.driver.rank;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Collects rows (a feature vector and a label each) into a {@link Shard}, checking each row's length
 * and label; a bad row either fails the run with its index or is skipped and counted.
 */
public final class ShardBuilder {
    private final int[] sampleShape;
    private final int sampleSize;
    private final int classes;
    private final boolean skipBadRows;
    private final List<float[]> rows = new ArrayList<>();
    private final List<Long> labels = new ArrayList<>();
    private final List<String> badExamples = new ArrayList<>();
    private int bad;
    private long seen;

    /** {@code classes} <= 0 skips the label range check. */
    public ShardBuilder(int[] sampleShape, int classes, boolean skipBadRows) {
        this.sampleShape = sampleShape.clone();
        this.sampleSize = Arrays.stream(sampleShape).reduce(1, (a, b) -> a * b);
        this.classes = classes;
        this.skipBadRows = skipBadRows;
    }

    /** Adds one row; {@code rowId} names it in errors (its index or key). */
    public void add(Object rowId, float[] features, Long label) {
        seen++;
        String problem = null;
        if (features == null) {
            problem = "features are null";
        } else if (features.length != sampleSize) {
            problem = "has " + features.length + " features, the model takes " + sampleSize
                    + " (" + Arrays.toString(sampleShape) + ")";
        } else if (label == null) {
            problem = "label is null";
        } else if (classes > 0 && (label < 0 || label >= classes)) {
            problem = "label " + label + " is outside [0, " + classes + ")";
        }
        if (problem == null) {
            rows.add(features);
            labels.add(label);
            return;
        }
        bad++;
        if (badExamples.size() < 5) {
            badExamples.add("row " + rowId + ": " + problem);
        }
        if (!skipBadRows) {
            throw new BadRowsException("bad training data: row " + rowId + " " + problem
                    + " (skip such rows with the skip-bad-rows option)");
        }
    }

    public Shard build() {
        int n = rows.size();
        int[] shape = new int[sampleShape.length + 1];
        shape[0] = n;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        Tensor x = Tensor.zeros(DataType.FLOAT, shape);
        Tensor y = Tensor.zeros(DataType.INT64, n);
        var xf = x.floats();
        var yl = y.longs();
        for (int i = 0; i < n; i++) {
            xf.put(i * sampleSize, rows.get(i));
            yl.put(i, labels.get(i));
        }
        rows.clear();
        return new Shard(x, y, sampleShape, bad);
    }

    public int badRows() {
        return bad;
    }

    /** Up to five of the first bad rows, described. */
    public List<String> badExamples() {
        return badExamples;
    }

    public long seen() {
        return seen;
    }

    /** The data has rows the model cannot take; the message names the first. */
    public static final class BadRowsException extends IllegalArgumentException {
        public BadRowsException(String message) {
            super(message);
        }
    }
}
