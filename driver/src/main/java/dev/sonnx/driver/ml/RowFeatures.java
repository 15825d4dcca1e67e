package dev.sonnx.driver.ml;

import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

/**
 * Reads a feature cell into floats. Accepted: an array of numbers; an ML vector; binary (bytes taken
 * as unsigned pixel values scaled to [0, 1]); an image struct as Spark's image data source reads it
 * ({@code height, width, nChannels, data} with interleaved BGR(A) bytes), given channel-first in RGB
 * order scaled to [0, 1], as vision models take it. Returns null for a null cell so callers can count it.
 */
public final class RowFeatures {
    private RowFeatures() {
    }

    /** Whether a column of this type can feed a model (checked on the driver, before any task runs). */
    public static boolean readable(DataType type) {
        if (type instanceof ArrayType a) {
            return a.elementType() instanceof NumericType;
        }
        if (type instanceof StructType s) {
            return java.util.Arrays.asList(s.fieldNames()).containsAll(java.util.List.of("height", "width",
                    "nChannels", "data"));
        }
        return type instanceof BinaryType || type.typeName().equals("vector");
    }

    public static float[] read(Row row, int column) {
        if (row.isNullAt(column)) {
            return null;
        }
        Object v = row.get(column);
        if (v instanceof scala.collection.mutable.ArraySeq.ofFloat a) {
            return a.array().clone();
        }
        if (v instanceof scala.collection.immutable.ArraySeq.ofFloat a) {
            return a.unsafeArray().clone();
        }
        if (v instanceof scala.collection.mutable.ArraySeq.ofDouble a) {
            return toFloats(a.array());
        }
        if (v instanceof scala.collection.immutable.ArraySeq.ofDouble a) {
            return toFloats(a.unsafeArray());
        }
        if (v instanceof Vector vec) {
            return toFloats(vec.toArray());
        }
        if (v instanceof byte[] bytes) {
            float[] f = new float[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                f[i] = (bytes[i] & 0xff) / 255f;
            }
            return f;
        }
        if (v instanceof Row image) {
            return image(image);
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
                + "; expected an array of numbers, an ML vector, binary or an image");
    }

    /** Spark's image struct: HWC bytes in BGR(A) order, to CHW floats in RGB(A) order. */
    private static float[] image(Row image) {
        int h = image.getInt(image.fieldIndex("height"));
        int w = image.getInt(image.fieldIndex("width"));
        int c = image.getInt(image.fieldIndex("nChannels"));
        byte[] data = (byte[]) image.get(image.fieldIndex("data"));
        if (data == null || data.length != h * w * c) {
            return null;
        }
        float[] f = new float[data.length];
        int plane = h * w;
        for (int ch = 0; ch < c; ch++) {
            // BGR -> RGB swaps the first and third channels; alpha (the fourth) stays.
            int src = c >= 3 && ch < 3 ? 2 - ch : ch;
            for (int p = 0; p < plane; p++) {
                f[ch * plane + p] = (data[p * c + src] & 0xff) / 255f;
            }
        }
        return f;
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /** A label cell as a class index, or null when it is null or not a whole number. */
    public static Long label(Row row, int column) {
        if (row.isNullAt(column)) {
            return null;
        }
        Object v = row.get(column);
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (d != Math.rint(d) || Double.isInfinite(d)) {
                return null;
            }
            return (long) d;
        }
        return null;
    }
}
