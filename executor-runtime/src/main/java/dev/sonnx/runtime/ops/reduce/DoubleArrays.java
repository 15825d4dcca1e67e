package dev.sonnx.runtime.ops.reduce;

import dev.sonnx.runtime.tensor.DataType;
import dev.sonnx.runtime.tensor.Shapes;
import dev.sonnx.runtime.tensor.Tensor;

/**
 * Bulk conversions between float tensors and double arrays, for gradient code that computes in
 * double whatever the tensor type (float32 and float64 go through their buffers in bulk).
 */
public final class DoubleArrays {
    private DoubleArrays() {
    }

    /** The elements of a numeric tensor as doubles. */
    public static double[] of(Tensor t) {
        int n = t.size();
        double[] r = new double[n];
        if (t.dtype() == DataType.FLOAT) {
            float[] f = new float[n];
            t.floats().get(0, f);
            for (int i = 0; i < n; i++) {
                r[i] = f[i];
            }
        } else if (t.dtype() == DataType.DOUBLE) {
            t.doubles().get(0, r);
        } else {
            for (int i = 0; i < n; i++) {
                r[i] = t.getDouble(i);
            }
        }
        return r;
    }

    /** A tensor of {@code dtype} and {@code shape} holding {@code values} (rounded to the type). */
    public static Tensor toTensor(double[] values, DataType dtype, int[] shape) {
        if (values.length != Shapes.size(shape)) {
            throw new IllegalArgumentException(values.length + " values do not fill shape " + Shapes.toString(shape));
        }
        Tensor t = Tensor.uninitialized(dtype, shape);
        int n = values.length;
        if (dtype == DataType.FLOAT) {
            float[] f = new float[n];
            for (int i = 0; i < n; i++) {
                f[i] = (float) values[i];
            }
            t.floats().put(0, f);
        } else if (dtype == DataType.DOUBLE) {
            t.doubles().put(0, values);
        } else {
            for (int i = 0; i < n; i++) {
                t.setDouble(i, values[i]);
            }
        }
        return t;
    }
}
