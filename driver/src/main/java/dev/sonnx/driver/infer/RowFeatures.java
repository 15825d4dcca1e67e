package dev.sonnx.driver.infer;

import java.io.Serializable;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;

/**
 * Reads a feature column into floats: array of float/double/int, an ML vector, or binary (bytes taken
 * as unsigned pixel values scaled to [0, 1]). Returns null for a null cell so callers can count it.
 */
public final class RowFeatures implements Serializable {
    private static final long serialVersionUID = 1L;

    private RowFeatures() {
    }

    public static float[] read(Row row, int column) {
        if (row.isNullAt(column)) {
            return null;
        }
        Object v = row.get(column);
        if (v instanceof Vector vec) {
            double[] d = vec.toArray();
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                f[i] = (float) d[i];
            }
            return f;
        }
        if (v instanceof byte[] bytes) {
            float[] f = new float[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                f[i] = (bytes[i] & 0xff) / 255f;
            }
            return f;
        }
        if (v instanceof scala.collection.Seq<?> seq) {
            float[] f = new float[seq.size()];
            scala.collection.Iterator<?> it = seq.iterator();
            for (int i = 0; it.hasNext(); i++) {
                Object x = it.next();
                if (x == null) {
                    return null;
                }
                f[i] = ((Number) x).floatValue();
            }
            return f;
        }
        throw new IllegalArgumentException("feature column holds " + v.getClass().getSimpleName()
                + "; expected an array of numbers, an ML vector or binary");
    }

    /** A label cell as a class index, or null. */
    public static Long label(Row row, int column) {
        if (row.isNullAt(column)) {
            return null;
        }
        Object v = row.get(column);
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (d != Math.rint(d)) {
                return null;
            }
            return (long) d;
        }
        return null;
    }
}
